// The baseline authorization server of scenarios 2 and 3: oidc-provider built by the bank's own
// createProvider (same FAPI configuration) on an in-memory adapter with the TPP as a static client, served by plain node https servers with the bank's TLS options (no Fastify, no
// store, no pages), and an interaction handler that logs in and approves without any page.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Adapter, AdapterPayload, ClientMetadata } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { createProvider } from '../src/auth/provider.ts';
import { KeyRing } from '../src/auth/keys.ts';
import { newKeySet } from '../src/auth/key-set.ts';
import { fapiTlsOptions } from '../src/http/tls.ts';
import type { BenchBank } from './bank.ts';

/** The one customer the baseline approves for. */
export const BARE_SUBJECT = 'bench-customer';

export interface BareProvider {
  provider: Provider;
  issuer: string;
  mtlsUrl: string;
  caCertificatePem: string;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Starts the baseline next to the bench bank, with the bank's certificates and the same TPP. */
export async function startBareProvider(bench: BenchBank): Promise<BareProvider> {
  const { pki } = bench.bank;
  const tls = (requestClientCertificate: boolean) =>
    fapiTlsOptions({ certificatePem: pki.serverCertificatePem, privateKeyPem: pki.serverPrivateKeyPem, caCertificatePem: pki.caCertificatePem, requestClientCertificate });
  let provider: Provider | undefined;
  const browser = createServer(tls(false), (req, res) => {
    if ((req.url ?? '').startsWith('/interaction/')) void autoApprove(provider!, req, res);
    else void provider!.callback()(req, res);
  });
  const mtls = createServer(tls(true), (req, res) => void provider!.callback()(req, res));
  const [browserPort, mtlsPort] = await Promise.all([listen(browser), listen(mtls)]);
  const issuer = `https://localhost:${browserPort}`;
  const mtlsUrl = `https://localhost:${mtlsPort}`;
  const config = {
    ...bench.bank.config,
    browser: { ...bench.bank.config.browser, port: browserPort, publicUrl: issuer },
    mtls: { ...bench.bank.config.mtls, port: mtlsPort, publicUrl: mtlsUrl },
  };
  const client = { ...(bench.registered.metadata as ClientMetadata), client_id: bench.registered.clientId };
  provider = createProvider({
    config,
    keys: new KeyRing(await newKeySet(Date.now())),
    withoutStore: { clients: [client], adapter: memoryAdapter() },
  });
  return {
    provider,
    issuer,
    mtlsUrl,
    caCertificatePem: pki.caCertificatePem,
    async close() {
      await Promise.all([close(browser), close(mtls)]);
    },
  };
}

/**
 * oidc-provider's own in-memory adapter, without its 1,000-entry LRU: a flow stores about ten models,
 * so the LRU would evict grants and codes of a benchmark's worth of flows before they are used.
 */
function memoryAdapter(): (model: string) => Adapter {
  const rows = new Map<string, { payload: AdapterPayload; expiresAt: number | undefined }>();
  const live = (key: string): AdapterPayload | undefined => {
    const row = rows.get(key);
    if (row?.expiresAt !== undefined && row.expiresAt <= Date.now()) rows.delete(key);
    else return row?.payload;
    return undefined;
  };
  return (model) => ({
    async upsert(id, payload, expiresIn) {
      rows.set(`${model}:${id}`, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      if (payload.uid) rows.set(`uid:${payload.uid}`, { payload: { id } as AdapterPayload, expiresAt: undefined });
    },
    async find(id) {
      return live(`${model}:${id}`);
    },
    async findByUid(uid) {
      const id = live(`uid:${uid}`)?.id as string | undefined;
      return id === undefined ? undefined : live(`${model}:${id}`);
    },
    async findByUserCode() {
      return undefined;
    },
    async consume(id) {
      const payload = live(`${model}:${id}`);
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    },
    async destroy(id) {
      rows.delete(`${model}:${id}`);
    },
    async revokeByGrantId(grantId) {
      for (const [key, row] of rows) if (row.payload.grantId === grantId) rows.delete(key);
    },
  });
}

/** Login and consent without pages: every interaction is approved for BARE_SUBJECT with the scopes asked. */
async function autoApprove(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(req, res, { login: { accountId: BARE_SUBJECT } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: false });
  } catch (error) {
    res.statusCode = 500;
    res.end(String(error));
  }
}
