// CIBA under FAPI-CIBA: a TPP (registered through its directory's statement) starts a decoupled
// authentication with a signed request naming the customer by login ID; the customer logs in to the bank
// app on "another device", sees the TPP, what it asks and the binding message, ticks accounts and approves
// or denies; the TPP polls (or is pinged) and its tokens work at the bank APIs. Refusals: pending, too fast,
// denied, expired, unknown customer, unsigned request, no binding message.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { importJWK, SignJWT, type JWTPayload } from 'jose';
import { fetch as undiciFetch } from 'undici';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { CustomerBrowser, type Page } from '../support/browser.ts';
import { nextTotpCode } from '../support/authenticator.ts';
import { claimsFor, DIRECTORY, newDirectory, now, register, sign, trustedDirectoriesFile, tppMaterial, type Answer, type Directory, type TppMaterial } from '../support/directory.ts';
import { expectPage } from '../support/tpp.ts';

const customer = DEMO_CUSTOMERS[0]!;
const CIBA = 'urn:openid:params:grant-type:ciba';

interface CibaTpp {
  clientId: string;
  material: TppMaterial;
}

let bank: TestBank;
let directory: Directory;
let pollTpp: CibaTpp;

before(async () => {
  directory = await newDirectory(DIRECTORY, 'PS256');
  bank = await startTestBank({ GINKO_TRUSTED_DIRECTORIES_FILE: await trustedDirectoriesFile([directory]), GINKO_REGISTRATION_STATUS: 'active', GINKO_SANDBOX_OUTBOUND: 'true' });
  pollTpp = await registerCibaTpp({ backchannel_token_delivery_mode: 'poll' });
});

after(async () => {
  await bank?.stop();
});

describe('poll mode', () => {
  test('the customer approves in the bank app; the TPP polls and reads balances', async () => {
    const bindingMessage = `K-${randomUUID().slice(0, 4)}`;
    const started = await startAuthentication(pollTpp, { bindingMessage });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(typeof started.body.auth_req_id, 'string');
    assert.ok(started.body.expires_in > 0);
    assert.equal(started.body.interval, 5);

    const pending = await poll(pollTpp, started.body.auth_req_id);
    assert.equal(pending.status, 400);
    assert.equal(pending.body.error, 'authorization_pending');

    const app = await bankApp();
    try {
      const listed = await app.approvals();
      assert.match(listed.html, /Kakeibo Inc\./, 'the TPP is named');
      assert.ok(listed.html.includes(bindingMessage), 'the binding message is shown to compare');
      assert.match(listed.html, /口座情報・残高・入出金明細の照会/, 'the scopes are in words');
      const done = await app.decide(listed, started.body.auth_req_id, 'approve', [0]);
      assert.match(done.html, /承認しました/);
      assert.ok(!done.html.includes(bindingMessage), 'a decided request is no longer listed');
    } finally {
      await app.close();
    }

    await waitForInterval();
    const tokens = await poll(pollTpp, started.body.auth_req_id);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal(tokens.body.token_type, 'Bearer');
    assert.ok(tokens.body.id_token);
    const accounts = await api(pollTpp, '/accounts', tokens.body.access_token);
    assert.equal(accounts.status, 200);
    assert.equal(accounts.body.accounts.length, 1, 'only the ticked account');
    const balances = await api(pollTpp, `/accounts/balances?accountId=${accounts.body.accounts[0].accountId}`, tokens.body.access_token);
    assert.equal(balances.status, 200);

    await waitForInterval();
    const again = await poll(pollTpp, started.body.auth_req_id);
    assert.equal(again.body.error, 'invalid_grant', 'the request yields tokens once');
  });

  test('polling faster than the interval: slow_down', async () => {
    const started = await startAuthentication(pollTpp);
    assert.equal((await poll(pollTpp, started.body.auth_req_id)).body.error, 'authorization_pending');
    const tooSoon = await poll(pollTpp, started.body.auth_req_id);
    assert.equal(tooSoon.status, 400);
    assert.equal(tooSoon.body.error, 'slow_down');
  });

  test('the customer denies: access_denied', async () => {
    const started = await startAuthentication(pollTpp);
    const app = await bankApp();
    try {
      const done = await app.decide(await app.approvals(), started.body.auth_req_id, 'deny');
      assert.match(done.html, /拒否しました/);
    } finally {
      await app.close();
    }
    const denied = await poll(pollTpp, started.body.auth_req_id);
    assert.equal(denied.status, 400);
    assert.equal(denied.body.error, 'access_denied');
  });

  test('nobody answers in time: expired_token', async () => {
    const started = await startAuthentication(pollTpp, { requestedExpirySeconds: 1 });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const expired = await poll(pollTpp, started.body.auth_req_id);
    assert.equal(expired.status, 400);
    assert.equal(expired.body.error, 'expired_token');
  });
});

describe('the bank app', () => {
  test('another customer can neither see nor decide the request; a form without its CSRF token decides nothing', async () => {
    const started = await startAuthentication(pollTpp, { bindingMessage: 'K-MINE' });
    const other = await bankApp(DEMO_CUSTOMERS[1]!);
    try {
      const listed = await other.approvals();
      assert.ok(!listed.html.includes('K-MINE'), 'not listed to another customer');
      const refused = await other.send(`/my/approvals/${started.body.auth_req_id}`, { csrf: other.csrf(), decision: 'approve' });
      assert.match(refused.html, /すでに処理済みか期限切れです/, 'answered as gone, like any unknown request');
    } finally {
      await other.close();
    }
    const mine = await bankApp();
    try {
      const forged = await mine.send(`/my/approvals/${started.body.auth_req_id}`, { decision: 'approve' });
      assert.match(forged.url, /\/my\/login/, 'no CSRF token: sent to log in, nothing decided');
      assert.ok((await mine.approvals()).html.includes('K-MINE'), 'still waiting for the customer');
    } finally {
      await mine.close();
    }
    await waitForInterval();
    assert.equal((await poll(pollTpp, started.body.auth_req_id)).body.error, 'authorization_pending');
  });
});

describe('ping mode', () => {
  test('once the customer approves, the bank pings the TPP with its token; the TPP then fetches the tokens', async () => {
    const receiver = await notificationReceiver();
    try {
      const pingTpp = await registerCibaTpp({ backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: receiver.url });
      const notificationToken = randomUUID();
      const started = await startAuthentication(pingTpp, { extra: { client_notification_token: notificationToken } });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const app = await bankApp();
      try {
        await app.decide(await app.approvals(), started.body.auth_req_id, 'approve', [0]);
      } finally {
        await app.close();
      }
      const ping = await receiver.received;
      assert.equal(ping.authorization, `Bearer ${notificationToken}`, 'the ping carries the TPP\'s own notification token');
      assert.deepEqual(ping.body, { auth_req_id: started.body.auth_req_id });

      const tokens = await poll(pingTpp, started.body.auth_req_id);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal((await api(pingTpp, '/accounts', tokens.body.access_token)).status, 200);
    } finally {
      await receiver.close();
    }
  });

  test('a ping-mode request without client_notification_token: invalid_request', async () => {
    const receiver = await notificationReceiver();
    try {
      const pingTpp = await registerCibaTpp({ backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: receiver.url });
      const answer = await startAuthentication(pingTpp);
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'invalid_request');
    } finally {
      await receiver.close();
    }
  });
});

describe('refused authentication requests', () => {
  test('an unknown login ID: unknown_user_id', async () => {
    const answer = await startAuthentication(pollTpp, { loginHint: 'no-such-customer' });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'unknown_user_id');
  });

  test('no binding message: invalid_binding_message', async () => {
    const answer = await startAuthentication(pollTpp, { bindingMessage: undefined });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_binding_message');
  });

  test('a signed request sent again (its jti already used): invalid_request_object, and no second request to approve', async () => {
    const jti = randomUUID();
    assert.equal((await startAuthentication(pollTpp, { extra: { jti } })).status, 200);
    const pendingBefore = await bank.store.db.selectFrom('oidc_models').select((eb) => eb.fn.countAll<number>().as('n')).where('model', '=', 'BackchannelAuthenticationRequest').executeTakeFirstOrThrow();
    const replay = await startAuthentication(pollTpp, { extra: { jti } });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_request_object');
    const pendingAfter = await bank.store.db.selectFrom('oidc_models').select((eb) => eb.fn.countAll<number>().as('n')).where('model', '=', 'BackchannelAuthenticationRequest').executeTakeFirstOrThrow();
    assert.equal(Number(pendingAfter.n), Number(pendingBefore.n));
  });

  test('an unsigned request (plain form parameters): invalid_request', async () => {
    const answer = await backchannel(pollTpp, { scope: 'openid accounts', login_hint: customer.loginId, binding_message: 'K-0000' });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_request');
  });

  test('discovery names the backchannel endpoint on the mTLS listener, poll and ping, signed requests', async () => {
    const discovery = (await (await undiciFetch(`${bank.config.browser.publicUrl}/.well-known/openid-configuration`, { dispatcher: pollTpp.material.agent })).json()) as Record<string, unknown>;
    assert.equal(discovery.backchannel_authentication_endpoint, `${bank.config.mtls.publicUrl}/oauth/backchannel`);
    assert.deepEqual(discovery.backchannel_token_delivery_modes_supported, ['poll', 'ping']);
    assert.deepEqual(discovery.backchannel_authentication_request_signing_alg_values_supported, ['PS256', 'ES256']);
    assert.ok((discovery.grant_types_supported as string[]).includes(CIBA));
  });

  test('at the browser listener: pointed at the mTLS one', async () => {
    const response = await undiciFetch(`${bank.config.browser.publicUrl}/oauth/backchannel`, { method: 'POST', dispatcher: pollTpp.material.agent });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error_description: string }).error_description, /mutual TLS/);
  });
});

/** A TPP registers itself for CIBA: the ciba grant only, signed authentication requests (FAPI-CIBA). */
async function registerCibaTpp(metadata: Record<string, unknown>): Promise<CibaTpp> {
  const material = await tppMaterial(bank);
  const statement = await sign(directory, await claimsFor(material));
  const registered = await register(bank, material, statement, {
    grant_types: [CIBA],
    response_types: [],
    backchannel_authentication_request_signing_alg: 'PS256',
    ...metadata,
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  return { clientId: registered.body.client_id, material };
}

interface StartOptions {
  loginHint?: string;
  bindingMessage?: string | undefined;
  requestedExpirySeconds?: number;
  extra?: JWTPayload;
}

/** CIBA §7.1 with a signed request object (FAPI-CIBA 5.2.2-1), client authenticated by private_key_jwt over mTLS. */
async function startAuthentication(tpp: CibaTpp, options: StartOptions = {}): Promise<Answer> {
  const bindingMessage = 'bindingMessage' in options ? options.bindingMessage : 'K-1234';
  const request = await signed(tpp, {
    aud: bank.config.browser.publicUrl,
    iss: tpp.clientId,
    scope: 'openid accounts',
    login_hint: options.loginHint ?? customer.loginId,
    ...(bindingMessage === undefined ? {} : { binding_message: bindingMessage }),
    ...(options.requestedExpirySeconds ? { requested_expiry: options.requestedExpirySeconds } : {}),
    iat: now(),
    nbf: now(),
    exp: now() + 300,
    jti: randomUUID(),
    ...options.extra,
  });
  return backchannel(tpp, { request });
}

async function backchannel(tpp: CibaTpp, form: Record<string, string>): Promise<Answer> {
  return postForm(tpp, '/oauth/backchannel', form);
}

function poll(tpp: CibaTpp, authReqId: string): Promise<Answer> {
  return postForm(tpp, '/oauth/token', { grant_type: CIBA, auth_req_id: authReqId });
}

async function postForm(tpp: CibaTpp, path: string, form: Record<string, string>): Promise<Answer> {
  const assertion = await signed(tpp, { iss: tpp.clientId, sub: tpp.clientId, aud: bank.config.browser.publicUrl, jti: randomUUID(), iat: now(), exp: now() + 60 });
  const response = await undiciFetch(`${bank.config.mtls.publicUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form, client_id: tpp.clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }).toString(),
    dispatcher: tpp.material.agent,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers as unknown as Headers, body: text ? JSON.parse(text) : undefined };
}

async function signed(tpp: CibaTpp, claims: JWTPayload): Promise<string> {
  const key = await importJWK(tpp.material.signingKey, 'PS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'PS256', kid: tpp.material.signingKey.kid! }).sign(key);
}

async function api(tpp: CibaTpp, path: string, accessToken: string): Promise<Answer> {
  const response = await undiciFetch(`${bank.config.mtls.publicUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${accessToken}` }, dispatcher: tpp.material.agent });
  return { status: response.status, headers: response.headers as unknown as Headers, body: await response.json() };
}

/** CIBA §7.3: the TPP waits the announced interval between polls. */
function waitForInterval(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5100));
}

/**
 * The TPP's notification endpoint (CIBA §10.2), a local HTTPS server with a certificate from the sandbox
 * CA, which the bank trusts for its outgoing requests with GINKO_SANDBOX_OUTBOUND.
 */
async function notificationReceiver() {
  let deliver: (ping: { authorization: string | undefined; body: unknown }) => void = () => undefined;
  const received = new Promise<{ authorization: string | undefined; body: unknown }>((resolve) => (deliver = resolve));
  const server = createServer({ cert: bank.pki.serverCertificatePem, key: bank.pki.serverPrivateKeyPem }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliver({ authorization: request.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') });
      response.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `https://localhost:${(server.address() as AddressInfo).port}/ciba/notify`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The customer's phone: logged in to the bank app (login ID, password, one-time code). */
async function bankApp(who: { loginId: string; password: string } = customer) {
  const browser = new CustomerBrowser(bank.pki.caCertificatePem, 'https://tpp.example/');
  const login = expectPage(await browser.open(`${bank.config.browser.publicUrl}/my/login`), 'login');
  const home = expectPage(await browser.submit(login, '/my/login', { loginId: who.loginId, password: who.password, totp: await nextTotpCode(who.loginId) }), 'connected apps');
  return {
    /** The session's CSRF token (every form of a session carries the same), from the page after login. */
    csrf: (): string => /name="csrf" value="([^"]+)"/.exec(home.html)?.[1] ?? '',
    /** A POST as a script on the customer's machine could send it, not from a form on the page. */
    send: async (path: string, fields: Record<string, string>): Promise<Page> =>
      expectPage(
        await browser.send(`${bank.config.browser.publicUrl}${path}`, { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        'a bank page',
      ),
    approvals: async (): Promise<Page> => expectPage(await browser.open(`${bank.config.browser.publicUrl}/my/approvals`), 'approvals'),
    decide: async (page: Page, authReqId: string, decision: 'approve' | 'deny', accountIndexes: number[] = []): Promise<Page> => {
      const form = browser.form(page, `/my/approvals/${authReqId}`);
      const accountIds = form.fields.filter((f) => f.name === 'accountId').map((f) => f.value);
      return expectPage(await browser.submit(page, `/my/approvals/${authReqId}`, { decision, accountId: accountIndexes.map((i) => accountIds[i]!) }), 'approvals');
    },
    close: () => browser.close(),
  };
}
