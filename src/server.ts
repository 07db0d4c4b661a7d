// The composition root: config → store → PKI and keys → authorization server → bank APIs →
// listeners. Reading this file shows the whole running bank.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';
import pino, { type Logger } from 'pino';
import type { GinkoConfig } from './config/config.ts';
import { openStore, type Db, type Store } from './store/db.ts';
import { acquireLock, releaseLock } from './store/embedded-lock.ts';
import { loadOrCreateDevPki, type DevPki } from './pki/dev-pki.ts';
import { fapiTlsOptions } from './http/tls.ts';
import { createListener, mountProvider, pointToMtlsListener } from './http/listeners.ts';
import { enforceQuotas, type QuotaOptions } from './http/quotas.ts';
import { quotaCounters } from './http/quota-counters.ts';
import { TppIdentities } from './http/quota-identities.ts';
import { INTERACTION_PREFIX } from './auth/interactions.ts';
import { MY_PREFIX, LOGIN_PATH } from './customer/pages.ts';
import { loadKeys } from './auth/keys.ts';
import { createProvider } from './auth/provider.ts';
import { newClientMetadataCache } from './auth/client-cache.ts';
import { interactionRoutes } from './auth/interactions.ts';
import { customerRoutes } from './customer/routes.ts';
import { appRoutes } from './ciba/app-routes.ts';
import { currentSession, customerSessionKind } from './customer/sessions.ts';
import { addSecurityHeaders } from './web/security-headers.ts';
import { stylesheetRoute } from './web/stylesheet.ts';
import { passkeyScriptRoutes } from './web/passkey-script.ts';
import { passkeyPartyOf } from './customer/passkeys.ts';
import { accessTokenLookup } from './auth/access-tokens.ts';
import { dpopProofReplay } from './auth/dpop-replay.ts';
import { dpopNonces } from './auth/dpop-nonces.ts';
import { revokeConsent } from './auth/consents.ts';
import { BROWSER_PATHS, MTLS_PATHS, OIDC_ROUTES } from './auth/routes.ts';
import { bankApiPlugin } from './api/plugin.ts';
import { ACCESS_CHANGED_CHANNEL, newAccessCache } from './api/access-cache.ts';
import { followStoreChanges } from './store/notice-cache.ts';
import { AuditGroupCommit } from './security/audit-group-commit.ts';
import { resourceMetadataRoute } from './api/resource-metadata.ts';
import { DEMO_CUSTOMERS, seedDemoBank } from './bank/demo-data.ts';
import { startTransferScheduler } from './bank/transfers/scheduler.ts';
import { sandboxAdminRoutes } from './tpp/sandbox-admin.ts';
import { providerClientCheck, TppAdmin } from './operator/tpp-admin.ts';
import { consoleRoutes } from './operator/console-routes.ts';
import { CONSOLE_PREFIX } from './operator/console-pages.ts';
import { ADMIN_API_PREFIX, adminApiPlugin } from './operator/admin-api.ts';
import { seedDemoOperator } from './operator/demo-operator.ts';
import { BankMetrics } from './ops/metrics.ts';
import { acceptForwardedCertificates } from './http/client-certificate.ts';
import { SecurityEvents } from './security/security-events.ts';
import { watchProvider } from './security/provider-events.ts';
import { healthRoutes } from './ops/health.ts';
import { Lifecycle } from './ops/lifecycle.ts';
import { createOperationsListener } from './ops/operations-listener.ts';
import { openApiDocument, registerOpenApi } from './portal/openapi.ts';
import { openApiRoute, portalRoutes } from './portal/routes.ts';

export interface RunningBank {
  config: GinkoConfig;
  store: Store;
  pki: DevPki;
  provider: Provider;
  browser: FastifyInstance;
  mtls: FastifyInstance;
  /** The plain-HTTP /metrics listener, when GINKO_METRICS_PORT is set. */
  operations: FastifyInstance | undefined;
  metrics: BankMetrics;
  /** Graceful: /readyz turns 503, then in-flight requests finish, then the store closes (ops/lifecycle.ts). */
  close(): Promise<void>;
}

/** Path of the bank APIs on the mTLS listener; also their RFC 9728 resource identifier. */
export const API_PREFIX = '/api/v1';

/** How often future-dated transfers, clearing and lapsed approvals are looked at. */
const TRANSFER_SCHEDULER_INTERVAL_MS = 1000;

export async function startBank(config: GinkoConfig, logger: Logger = pino({ level: config.logLevel })): Promise<RunningBank> {
  const embedded = !config.databaseUrl;
  const lock = embedded ? acquireLock(config.dataDir, `${config.browser.publicUrl}`) : undefined;
  // Independent of the store: the dev PKI and the keys (RSA key generation on a first start, on the
  // threadpool) are made while this thread opens it. Awaited below; a store that fails to open must not
  // leave their failure unhandled.
  const credentials = Promise.all([loadOrCreateDevPki(join(config.dataDir, 'pki'), { hostnames: hostnamesOf(config) }), loadKeys(config)]);
  credentials.catch(noop);
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    migrate: config.migrateOnStart,
    onConnectionLost: (error) => logger.warn({ err: error }, 'the database dropped a connection; the pool reconnects on demand'),
  });
  // Quota counts: in Redis when configured (shared by every node), else in this node's memory.
  const metrics = new BankMetrics();
  const counters = quotaCounters(config.redis, logger, () => metrics.countQuotaFallback());
  await counters.ready();
  const stopOnFailure: (() => Promise<void>)[] = [];
  try {
    const [pki, keys] = await credentials;
    // The demo seed is mostly scrypt on the threadpool (four password hashes, a second of CPU): it runs
    // while this thread makes the provider and the routes, and is done before anything listens.
    const seeding = config.seedDemoData ? seedDemo(store.db) : Promise.resolve();
    const seedSettled = seeding.then(noop, noop);
    stopOnFailure.push(() => seedSettled);
    // What this node read of tokens and TPPs, forgotten on the store's notice of any change to them
    // (api/access-cache.ts, auth/client-cache.ts): revocations and suspensions reach every node that way.
    const accessCache = newAccessCache();
    const clientCache = newClientMetadataCache();
    const accessNotices = await followStoreChanges(store, ACCESS_CHANGED_CHANNEL, [accessCache, clientCache], logger);
    stopOnFailure.push(() => accessNotices.close());
    const provider = createProvider({ config, db: store.db, clientCache, keys, sandboxCaPem: config.sandboxOutbound ? pki.caCertificatePem : undefined });
    metrics.instrumentProvider(provider);
    const securityEvents = new SecurityEvents(store.db, (kind, clientId) => metrics.countSecurityEvent(kind, clientId), logger);
    // One group commit of audit entries per node, for the API calls and the authorization server.
    const auditGroup = new AuditGroupCommit(store.db);
    watchProvider(provider, { db: store.db, securityEvents, logger, audit: auditGroup });
    const identities = new TppIdentities(config.accessTokenTtlSeconds);
    identities.learnFromProvider(provider, [OIDC_ROUTES.pushed_authorization_request, OIDC_ROUTES.token]);
    const quotas: QuotaOptions = { policy: config.quotas, counters, identities, trustedProxies: config.trustedProxies, apiPrefix: API_PREFIX, pagePrefixes: [INTERACTION_PREFIX, MY_PREFIX, CONSOLE_PREFIX], metrics, securityEvents, logger };
    const lifecycle = new Lifecycle();
    // However a grant ends inside oidc-provider (code reuse, refresh-token revocation), the consent ends too.
    provider.on('grant.revoked', (_ctx: unknown, grantId: string) => {
      revokeConsent(store.db, grantId).catch((error: unknown) => logger.error({ err: error, grantId }, 'could not mark consent revoked'));
    });

    const browser = await createListener(fapiTlsOptions({ ...serverTls(pki), requestClientCertificate: false }), logger, config.listenerLimits, (app) => {
      // Before the provider's middleware, which answers its own endpoints without going further.
      addSecurityHeaders(app);
      metrics.instrumentListener(app, 'browser');
      enforceQuotas(app, 'browser', quotas);
    });
    await browser.register(healthRoutes, { db: store.db, lifecycle });
    mountProvider(browser, provider, BROWSER_PATHS);
    pointToMtlsListener(browser, MTLS_PATHS, config.mtls.publicUrl);
    await browser.register(stylesheetRoute);
    await browser.register(passkeyScriptRoutes);
    // The customer's login, the same at a linking and on /my: passkeys for this origin, the fallback's back-off and lock.
    const passkeyParty = passkeyPartyOf(config.browser.publicUrl);
    const login = { throttle: config.loginThrottle, securityEvents };
    await browser.register(interactionRoutes, { provider, db: store.db, consentDays: config.consentDays, cookieKeys: keys.cookieKeys, transferPolicy: config.transferPolicy, passkeyParty, login });
    await browser.register(customerRoutes, { provider, db: store.db, cookieKeys: keys.cookieKeys, passkeyParty, login, sessionLimits: config.customerSessions });
    // CIBA's authentication device in the sandbox: the bank app's approvals page, behind the customer's /my login.
    await browser.register(appRoutes, { provider, db: store.db, cookieKeys: keys.cookieKeys, consentDays: config.consentDays, logger, loginPath: LOGIN_PATH, sessionOf: (request) => currentSession(store.db, customerSessionKind(config.customerSessions), keys.cookieKeys, request, new Date()) });
    // The operator's console and the admin API: one TppAdmin, so both do exactly the same (operator/).
    const tppAdmin = new TppAdmin(store.db, providerClientCheck(provider));
    await browser.register(consoleRoutes, { db: store.db, tppAdmin, cookieKeys: keys.cookieKeys });
    await browser.register(adminApiPlugin, { prefix: ADMIN_API_PREFIX, db: store.db, tppAdmin });
    if (lock) await browser.register(sandboxAdminRoutes, { db: store.db, pki, adminToken: lock.adminToken });

    const mtls = await createListener(fapiTlsOptions({ ...serverTls(pki), requestClientCertificate: true }), logger, config.listenerLimits, (app) => {
      // First of all: a Client-Cert header from anyone but a trusted proxy is gone before anything reads it.
      acceptForwardedCertificates(app, { trustedProxies: config.trustedProxies, caCertificatePem: pki.caCertificatePem });
      metrics.instrumentListener(app, 'mtls');
      // After the certificate hook: a TPP is known by the certificate a trusted proxy passed on, too.
      enforceQuotas(app, 'mtls', quotas);
    });
    await mtls.register(healthRoutes, { db: store.db, lifecycle });
    mountProvider(mtls, provider, MTLS_PATHS);
    await mtls.register(resourceMetadataRoute, { resource: `${config.mtls.publicUrl}${API_PREFIX}`, authorizationServer: config.browser.publicUrl });
    await registerOpenApi(mtls, { apiPrefix: API_PREFIX, mtlsPublicUrl: config.mtls.publicUrl, issuer: config.browser.publicUrl });
    metrics.observeAccessCache(accessCache, accessNotices);
    await mtls.register(bankApiPlugin, { prefix: API_PREFIX, db: store.db, tokens: accessTokenLookup(provider), dpop: { publicUrl: config.mtls.publicUrl, replay: dpopProofReplay(provider), nonces: dpopNonces(keys) }, pageSizeLimit: config.transactionPageSize, transferPolicy: config.transferPolicy, securityEvents, accessCache, audit: auditGroup });

    const document = () => openApiDocument(mtls);
    await mtls.register(openApiRoute, { apiPrefix: API_PREFIX, document });
    await browser.register(portalRoutes, { document, guide: portalGuide(config) });

    await seeding;
    await browser.listen({ host: config.browser.host, port: config.browser.port });
    await mtls.listen({ host: config.mtls.host, port: config.mtls.port });
    const operations = config.metrics && (await createOperationsListener({ db: store.db, lifecycle, metrics, logger }));
    if (operations && config.metrics) await operations.listen({ host: config.metrics.host, port: config.metrics.port });
    // A rotation (`ginko keys rotate`) reaches this node within the interval; the schedule does the rest.
    const keysReload = keys.reloadEvery(config.keysReloadSeconds, logger);
    const transferScheduler = startTransferScheduler({ db: store.db, policy: config.transferPolicy, intervalMs: TRANSFER_SCHEDULER_INTERVAL_MS, clock: () => new Date(), logger });

    return {
      config,
      store,
      pki,
      provider,
      browser,
      mtls,
      operations,
      metrics,
      close: () =>
        lifecycle.shutdown([browser, mtls, ...(operations ? [operations] : [])], config.shutdown, async () => {
          keysReload.stop();
          await transferScheduler.stop();
          await accessNotices.close();
          await auditGroup.settled();
          await counters.close();
          await store.close();
          if (lock) releaseLock(config.dataDir, lock);
        }),
    };
  } catch (error) {
    for (const stop of stopOnFailure) await stop();
    await counters.close();
    await store.close();
    if (lock) releaseLock(config.dataDir, lock);
    throw error;
  }
}

/** The demo customers (with a year of history) and the demo operator, their password hashes side by side. */
async function seedDemo(db: Db): Promise<void> {
  await Promise.all([seedDemoBank(db), seedDemoOperator(db, new Date())]);
}

const noop = () => {};

function portalGuide(config: GinkoConfig) {
  const demo = DEMO_CUSTOMERS[0]!;
  return {
    issuer: config.browser.publicUrl,
    mtlsPublicUrl: config.mtls.publicUrl,
    apiBaseUrl: `${config.mtls.publicUrl}${API_PREFIX}`,
    demoLogin: config.seedDemoData ? { loginId: demo.loginId, password: demo.password } : undefined,
  };
}

function serverTls(pki: DevPki) {
  return { certificatePem: pki.serverCertificatePem, privateKeyPem: pki.serverPrivateKeyPem, caCertificatePem: pki.caCertificatePem };
}

/** The dev server certificate must name every host the two public URLs use. */
function hostnamesOf(config: GinkoConfig): string[] {
  const hosts = [config.browser.publicUrl, config.mtls.publicUrl].map((url) => new URL(url).hostname.replace(/^\[|\]$/g, ''));
  return [...new Set([...hosts, ...config.serverHostnames])];
}
