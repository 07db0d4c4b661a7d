// End to end: attacks the bank refuses are also recorded as security events, counted in the metrics,
// written to the audit chain and acted on (a token shown with another certificate ends its grant);
// and the RFC 9440 Client-Cert header counts only from a configured front proxy.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fetch, type Agent } from 'undici';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { verifyAuditChain } from '../../src/security/audit-verify.ts';
import { startTestBank, TPP_REDIRECT_URI, type TestBank } from '../support/bank.ts';
import { CustomerBrowser } from '../support/browser.ts';
import { expectPage, mtlsAgent, TestTpp, type Tokens } from '../support/tpp.ts';

const tanaka = DEMO_CUSTOMERS[0]!;

function link(tpp: TestTpp): Promise<Tokens> {
  return tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: tanaka.loginId, password: tanaka.password, accountIndexes: [0] });
}

/** RFC 9440: the DER certificate as a structured-field byte sequence. */
function clientCertHeader(pem: string): string {
  return `:${new X509Certificate(pem).raw.toString('base64')}:`;
}

/** A refresh at the token endpoint over `agent`, client authentication by certificate only (tls_client_auth). */
async function refreshThrough(bank: TestBank, agent: Agent, tpp: TestTpp, refreshToken: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${bank.config.mtls.publicUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: tpp.registered.clientId }).toString(),
    dispatcher: agent,
  });
  return { status: response.status, body: await response.json() };
}

async function callWithoutTls(bank: TestBank, agent: Agent, token: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${bank.config.mtls.publicUrl}/api/v1/accounts`, { headers: { authorization: `Bearer ${token}`, ...headers }, dispatcher: agent });
  await response.arrayBuffer();
  return response.status;
}

describe('security events', () => {
  let bank: TestBank;
  let tpp1: TestTpp;
  let tpp2: TestTpp;
  let noCertificate: Agent;

  before(async () => {
    bank = await startTestBank();
    tpp1 = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt'));
    tpp2 = await TestTpp.create(bank, await bank.registerTpp('tls_client_auth'));
    noCertificate = mtlsAgent(bank, undefined);
  });

  after(async () => {
    await tpp1?.close();
    await tpp2?.close();
    await noCertificate?.close();
    await bank?.stop();
  });

  const eventsOf = (kind: string) => bank.store.db.selectFrom('security_events').selectAll().where('kind', '=', kind).execute();

  test('a token shown with another certificate: refused, recorded, its grant and consent ended', async () => {
    const tokens = await link(tpp1);
    assert.equal((await tpp1.api('/accounts', tokens.accessToken)).status, 200);
    const stolen = await tpp2.api('/accounts', tokens.accessToken, { 'x-fapi-interaction-id': 'a3bb189e-8bf9-3888-9912-ace4e6543002' });
    assert.equal(stolen.status, 401);

    const [event] = await eventsOf('access_token_wrong_certificate');
    assert.ok(event);
    assert.equal(event.client_id, tpp1.registered.clientId);
    assert.equal(event.interaction_id, 'a3bb189e-8bf9-3888-9912-ace4e6543002');
    assert.ok(event.source_address);
    assert.ok(event.grant_id);
    // Policy: the grant is over for its rightful holder too, and the consent says so.
    assert.equal((await tpp1.api('/accounts', tokens.accessToken)).status, 401);
    const consent = await bank.store.db.selectFrom('consents').select(['revoked_at', 'customer_id']).where('grant_id', '=', event.grant_id).executeTakeFirstOrThrow();
    assert.ok(consent.revoked_at);
    assert.equal(event.customer_id, consent.customer_id);

    const { text } = await bank.metrics.exposition();
    assert.match(text, new RegExp(`ginko_security_events_total\\{kind="access_token_wrong_certificate",client_id="${tpp1.registered.clientId}"\\} 1`));
    const actions = (await bank.store.db.selectFrom('audit_log').select('body').orderBy('seq').execute()).map((row) => JSON.parse(row.body).action);
    for (const action of ['login.succeeded', 'consent.given', 'token.issued', 'api.access', 'security.event', 'consent.revoked']) assert.ok(actions.includes(action), action);
    assert.equal((await verifyAuditChain(bank.store.db)).intact, true);
  });

  test('logins are audited by ids only, failed ones too', async () => {
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, TPP_REDIRECT_URI);
    try {
      const { url } = await tpp1.authorizationUrl({ requestMethod: 'par', responseMode: 'jarm' });
      const login = expectPage(await browser.open(url.href), 'login');
      const failed = expectPage(await browser.submit(login, '/login', { loginId: tanaka.loginId, password: 'not-the-password' }), 'login again');
      assert.equal(failed.status, 401);
    } finally {
      await browser.close();
    }
    const entries = (await bank.store.db.selectFrom('audit_log').select('body').orderBy('seq').execute()).map((row) => JSON.parse(row.body));
    const last = entries.filter((entry) => entry.action === 'login.failed').at(-1);
    assert.deepEqual(Object.keys(last).sort(), ['action', 'at', 'clientId', 'failures', 'interactionId', 'reason', 'seq']);
    assert.equal(last.reason, 'credentials');
    assert.equal(last.clientId, tpp1.registered.clientId);
    assert.ok(!JSON.stringify(entries).includes(tanaka.loginId) && !JSON.stringify(entries).includes(tanaka.password), 'no login ID or password in the audit log');
  });

  test('a Client-Cert header from an address that is no trusted proxy is ignored', async () => {
    const tokens = await link(tpp1);
    const status = await callWithoutTls(bank, noCertificate, tokens.accessToken, { 'client-cert': clientCertHeader(tpp1.registered.certificatePem) });
    assert.equal(status, 401);
    assert.equal((await eventsOf('access_token_without_certificate')).length, 1);
  });

  test('nor at the authorization server: a client authenticated by certificate is unknown without one', async () => {
    const certified = await TestTpp.create(bank, await bank.registerTpp('tls_client_auth'));
    try {
      const tokens = await link(certified);
      assert.ok(tokens.refreshToken);
      const refused = await refreshThrough(bank, noCertificate, certified, tokens.refreshToken, { 'client-cert': clientCertHeader(certified.registered.certificatePem) });
      assert.equal(refused.body.error, 'invalid_client');
    } finally {
      await certified.close();
    }
  });
});

describe('a trusted front proxy', () => {
  let bank: TestBank;
  let tpp: TestTpp;
  let proxy: Agent;

  before(async () => {
    bank = await startTestBank({ GINKO_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1' });
    tpp = await TestTpp.create(bank, await bank.registerTpp('tls_client_auth'));
    proxy = mtlsAgent(bank, undefined);
  });

  after(async () => {
    await tpp?.close();
    await proxy?.close();
    await bank?.stop();
  });

  test('passes on the certificate in Client-Cert: the token is accepted as bound to it', async () => {
    const tokens = await link(tpp);
    assert.equal(await callWithoutTls(bank, proxy, tokens.accessToken, { 'client-cert': clientCertHeader(tpp.registered.certificatePem) }), 200);
    assert.equal(await callWithoutTls(bank, proxy, tokens.accessToken), 401);
  });

  test('the authorization server authenticates and binds by the passed-on certificate too', async () => {
    const tokens = await link(tpp);
    assert.ok(tokens.refreshToken);
    const refreshed = await refreshThrough(bank, proxy, tpp, tokens.refreshToken, { 'client-cert': clientCertHeader(tpp.registered.certificatePem) });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    // Bound to the TPP's certificate: it works on the TPP's own TLS connection.
    assert.equal((await tpp.api('/accounts', refreshed.body.access_token)).status, 200);
  });
});
