// The bank APIs as one encapsulated Fastify plugin: its error format, FAPI response headers, the guard
// and the routes apply to its own routes only. The composition root mounts it on the mTLS listener:
//   app.register(bankApiPlugin, { prefix: '/api/v1', db, tokens })
import assert from 'node:assert/strict';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { TRANSACTION_PAGE_SIZE_MAX } from '../bank/accounts.ts';
import type { Db } from '../store/db.ts';
import { INTERACTION_ID_HEADER, INTERACTION_ID_LOG_LABEL, interactionIdOf, isInteractionId } from '../http/interaction-id.ts';
import { AuditGroupCommit } from '../security/audit-group-commit.ts';
import type { SecurityEvents } from '../security/security-events.ts';
import type { AccessTokenLookup } from './access.ts';
import type { AccessCache } from './access-cache.ts';
import type { DpopResourceOptions } from './dpop.ts';
import { accountRoutes } from './accounts.ts';
import { DEFAULT_TRANSFER_POLICY, type TransferPolicy } from '../bank/transfers/policy.ts';
import { transferRoutes } from './transfers.ts';
import { ACCOUNT_ID_PATTERN } from './transfer-schemas.ts';
import { apiErrorHandler, methodNotAllowed, notFound, unknownQueryParameters } from './errors.ts';
import { bankApiGuard, type ClientCertificateThumbprintSource, socketCertificateThumbprint } from './guard.ts';

export interface BankApiOptions {
  db: Db;
  tokens: AccessTokenLookup;
  /** The public URL DPoP proofs name and the memory of used proofs, for DPoP-bound tokens (FAPI 2.0). */
  dpop: DpopResourceOptions;
  /** Lines per transaction-history page, 1–500 (default 500); smaller in tests to exercise paging. */
  pageSizeLimit?: number;
  /** Where the client certificate comes from; defaults to the TLS connection. */
  clientCertificateThumbprint?: ClientCertificateThumbprintSource;
  /** The bank's clock (baseDate, "today", expiry checks); defaults to the system clock. */
  clock?: () => Date;
  /** Transfer rules (fees, cut-off, limits…); defaults to the sandbox's. */
  transferPolicy?: TransferPolicy;
  /** Where stolen-looking token uses are recorded and acted on; none in tests of the routes alone. */
  securityEvents?: SecurityEvents;
  /** This node's group commit of audit entries (shared with the authorization server's); one of its own when absent. */
  audit?: AuditGroupCommit;
  /** This node's cache of what the guard read (access-cache.ts); without it every request reads the store. */
  accessCache?: AccessCache;
}

/** Reads take no body; the largest body, a one-item transfer request, is well under 2 KiB even in full-width text. */
const BODY_LIMIT_BYTES = 4096;
/**
 * FAPI: echo the client's x-fapi-interaction-id, or make one, on every response; and log with it.
 * On the bank's listeners it is already the request id (and in every log line); mounted elsewhere,
 * the plugin derives it itself.
 */
async function interactionId(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const id = isInteractionId(request.id) ? request.id : interactionIdOf(request.headers);
  reply.header(INTERACTION_ID_HEADER, id);
  if (id !== request.id) request.log = request.log.child({ [INTERACTION_ID_LOG_LABEL]: id });
}

async function responseHeaders(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('content-type', 'application/json; charset=utf-8');
  reply.header('date', new Date().toUTCString());
  // Account data must not sit in shared or browser caches.
  reply.header('cache-control', 'no-store');
}

/**
 * Every call, refused or answered, is an audit entry: who, for whom, which account, what came of it.
 * Written before the response leaves (onSend), through the node's group commit: a response is never
 * seen without its entry, and concurrent calls share one commit.
 */
const ACCOUNT_ID_SHAPE = new RegExp(ACCOUNT_ID_PATTERN);

function auditAccess(audit: AuditGroupCommit) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // A request a quota refused (http/quotas.ts) never reached the API: it is counted in the metrics,
    // not written here, or a flood would queue on the audit chain's lock.
    if (reply.statusCode === 429) return;
    const query = request.query as Record<string, unknown> | undefined;
    await audit.append('api.access', {
      clientId: request.bankAccess?.clientId ?? request.tokenClientId ?? undefined,
      customerId: request.bankAccess?.customerId,
      grantId: request.bankAccess?.grantId,
      // Only what is shaped like an account id: a malformed one is the client's text, refused with E40001, not a fact.
      accountId: typeof query?.accountId === 'string' && ACCOUNT_ID_SHAPE.test(query.accountId) ? query.accountId : undefined,
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status: reply.statusCode,
      interactionId: String(reply.getHeader(INTERACTION_ID_HEADER)),
    });
  };
}

const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** A preValidation hook refusing query parameters the route's schema does not define. */
function refuseUnknownQueryParameters(route: RouteOptions) {
  const schema = route.schema?.querystring as { properties?: Record<string, unknown> } | undefined;
  const known = new Set(Object.keys(schema?.properties ?? {}));
  return async (request: FastifyRequest): Promise<void> => {
    const query = request.query;
    if (typeof query !== 'object' || query === null) return;
    const unknown = Object.keys(query).filter((name) => !known.has(name));
    if (unknown.length > 0) throw unknownQueryParameters(unknown);
  };
}

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

export const bankApiPlugin: FastifyPluginAsync<BankApiOptions> = async (app, options) => {
  const pageSize = options.pageSizeLimit ?? TRANSACTION_PAGE_SIZE_MAX;
  assert.ok(Number.isSafeInteger(pageSize) && pageSize >= 1 && pageSize <= TRANSACTION_PAGE_SIZE_MAX, `pageSizeLimit must be 1–${TRANSACTION_PAGE_SIZE_MAX}`);
  const clock = options.clock ?? (() => new Date());

  app.decorateRequest('bankAccess', null);
  app.decorateRequest('tokenClientId', null);
  app.setErrorHandler(apiErrorHandler);
  app.addHook('onRoute', (route) => {
    route.bodyLimit = BODY_LIMIT_BYTES;
    // Before schema validation, which would otherwise silently drop them (Ajv's removeAdditional).
    route.preValidation = [...hooksOf(route.preValidation), refuseUnknownQueryParameters(route)];
  });
  // Order matters: the interaction id first, so that even a refused request carries it.
  app.addHook('onRequest', interactionId);
  app.addHook('onRequest', bankApiGuard({ db: options.db, tokens: options.tokens, clientCertificateThumbprint: options.clientCertificateThumbprint ?? socketCertificateThumbprint, clock, dpop: options.dpop, securityEvents: options.securityEvents, cache: options.accessCache }));
  app.addHook('onSend', responseHeaders);
  app.addHook('onSend', auditAccess(options.audit ?? new AuditGroupCommit(options.db)));
  app.setNotFoundHandler((request, reply) => {
    // A path the API has, asked with another method, is a 405 naming the methods it takes.
    const path = request.url.split('?')[0] ?? '/';
    const allowed = ROUTE_METHODS.filter((method) => app.hasRoute({ method, url: path }));
    if (allowed.length > 0) {
      reply.header('allow', [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])].join(', '));
      throw methodNotAllowed();
    }
    throw notFound();
  });
  await app.register(accountRoutes, { db: options.db, pageSize, clock });
  await app.register(transferRoutes, { db: options.db, policy: options.transferPolicy ?? DEFAULT_TRANSFER_POLICY, clock });
};
