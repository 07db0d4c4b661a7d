// Quotas as a TPP and a flood meet them: PAR, token and the bank APIs per TPP, the customer pages and
// the APIs per source address, a per-TPP override from the configuration, and fairness: a TPP
// flooding its quota leaves another TPP's requests untouched. Windows are 2 seconds, so "allowed
// again after the window" is waited for, not assumed. Counts here are in each bank's memory; the
// Redis-shared counts are in test/quota-counters.test.ts and test/e2e/multi-node.test.ts.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import pino from 'pino';
import { Agent, fetch } from 'undici';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import type { RegisteredTpp } from '../../src/tpp/registry.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { mtlsAgent, TestTpp } from '../support/tpp.ts';

const WINDOW_SECONDS = 2;
const PAR_PER_TPP = 3;
const TOKEN_PER_TPP = 3;
const API_PER_TPP = 4;
/** TPP C's own PAR quota (GINKO_QUOTA_TPPS), above everyone else's. */
const PAR_FOR_C = 6;
const variant = { requestMethod: 'par', responseMode: 'jarm' } as const;
const customer = DEMO_CUSTOMERS[0]!;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: any;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Past the end of every window opened so far. */
const nextWindow = () => sleep(WINDOW_SECONDS * 1000 + 200);

/** A pushed authorization request, as the TPP's library sends it. */
async function par(tpp: TestTpp): Promise<Answer> {
  try {
    await tpp.authorizationUrl(variant);
    return { status: 201, retryAfter: null, body: undefined };
  } catch (error) {
    if (!(error instanceof client.ResponseBodyError)) throw error;
    return { status: error.status, retryAfter: error.response.headers.get('retry-after'), body: error.cause };
  }
}

async function send(url: string, dispatcher: Agent, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const response = await fetch(url, { ...init, dispatcher });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a page, not JSON
  }
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
}

/** Sends until the first 429 (at most `limit` + 5 times); the statuses before it, and the 429. */
async function untilRefused(request: () => Promise<Answer>, limit: number): Promise<{ before: number[]; refused: Answer }> {
  const before: number[] = [];
  for (let i = 0; i < limit + 5; i++) {
    const answer = await request();
    if (answer.status === 429) return { before, refused: answer };
    before.push(answer.status);
  }
  throw new Error(`no 429 after ${before.length} requests: ${before.join(', ')}`);
}

function assertRetryAfter(answer: Answer): void {
  assert.equal(answer.status, 429);
  assert.match(answer.retryAfter ?? '', /^\d+$/, 'Retry-After in whole seconds');
  const seconds = Number(answer.retryAfter);
  assert.ok(seconds >= 1 && seconds <= WINDOW_SECONDS, `Retry-After ${seconds} within the window`);
}

function assertOAuthTooMany(answer: Answer): void {
  assertRetryAfter(answer);
  assert.equal(answer.body.error, 'temporarily_unavailable');
  assert.match(answer.body.error_description, /too many requests/);
}

describe('quotas per TPP and per address', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ginko-quotas-'));
  let bank: TestBank;
  let registered: Record<'a' | 'b' | 'c', RegisteredTpp>;
  const tpps = {} as Record<'a' | 'b' | 'c', TestTpp>;

  before(async () => {
    // Quotas are configured by client_id, which registration makes: register first, then start the
    // bank on the same data folder with the quotas (and C's own) in its configuration.
    const registering = await startTestBank({ GINKO_DATA_DIR: dataDir });
    registered = {
      a: await registering.registerTpp('tls_client_auth', { name: 'Flooding TPP' }),
      b: await registering.registerTpp('private_key_jwt', { name: 'Quiet TPP' }),
      c: await registering.registerTpp('tls_client_auth', { name: 'Bigger TPP' }),
    };
    await registering.stop();
    bank = await startTestBank({
      GINKO_DATA_DIR: dataDir,
      GINKO_QUOTA_WINDOW_SECONDS: String(WINDOW_SECONDS),
      GINKO_QUOTA_PAR_PER_TPP: String(PAR_PER_TPP),
      GINKO_QUOTA_TOKEN_PER_TPP: String(TOKEN_PER_TPP),
      GINKO_QUOTA_API_PER_TPP: String(API_PER_TPP),
      GINKO_QUOTA_TPPS: JSON.stringify({ [registered.c.clientId]: { par: PAR_FOR_C } }),
    });
    for (const name of ['a', 'b', 'c'] as const) tpps[name] = await TestTpp.create(bank, registered[name]);
    // Each TPP's first PAR shows the bank whose certificate it holds; from then on it is counted as that TPP.
    for (const tpp of Object.values(tpps)) assert.equal((await par(tpp)).status, 201);
    await nextWindow();
  });

  after(async () => {
    for (const tpp of Object.values(tpps)) await tpp.close();
    await bank?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('PAR: the quota, then 429 with Retry-After and an OAuth error body; allowed again after the window', async () => {
    const { before, refused } = await untilRefused(() => par(tpps.a), PAR_PER_TPP);
    assert.deepEqual(before, Array(PAR_PER_TPP).fill(201));
    assertOAuthTooMany(refused);
    await sleep(Number(refused.retryAfter) * 1000 + 100);
    assert.equal((await par(tpps.a)).status, 201, 'allowed again once the window has passed');
  });

  test('token endpoint: the quota, then 429 with Retry-After; allowed again after the window', async () => {
    await nextWindow();
    const token = () =>
      send(`${bank.config.mtls.publicUrl}/oauth/token`, tpps.a.agent, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: registered.a.clientId, grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: tpps.a.redirectUri, code_verifier: 'v'.repeat(43) }).toString(),
      });
    const { before, refused } = await untilRefused(token, TOKEN_PER_TPP);
    assert.deepEqual(before, Array(TOKEN_PER_TPP).fill(400), 'each one reached the authorization server (invalid_grant)');
    assertOAuthTooMany(refused);
    await sleep(Number(refused.retryAfter) * 1000 + 100);
    assert.equal((await token()).status, 400, 'answered again after the window');
  });

  test('a TPP with its own quota in GINKO_QUOTA_TPPS gets that quota', async () => {
    await nextWindow();
    const { before, refused } = await untilRefused(() => par(tpps.c), PAR_FOR_C);
    assert.equal(before.length, PAR_FOR_C);
    assertOAuthTooMany(refused);
  });

  test('bank APIs: the quota per TPP, then 429 with Retry-After and the API error body (E42901), not audited; allowed again after the window', async () => {
    const tokens = await tpps.b.link({ ...variant, loginId: customer.loginId, password: customer.password });
    // The first call shows the node whose token it is.
    assert.equal((await tpps.b.api('/accounts', tokens.accessToken)).status, 200);
    await nextWindow();
    const { before, refused } = await untilRefused(() => tpps.b.api('/accounts', tokens.accessToken).then((r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: r.body })), API_PER_TPP);
    assert.deepEqual(before, Array(API_PER_TPP).fill(200));
    assertRetryAfter(refused);
    assert.equal(refused.body.errorCode, 'E42901');
    assert.equal(typeof refused.body.errorMessage, 'string');
    const audited = await bank.store.db.selectFrom('audit_log').select('body').execute();
    assert.ok(!audited.some((entry) => entry.body.includes('"status": 429')), 'a throttled call is not an audit entry');
    await sleep(Number(refused.retryAfter) * 1000 + 100);
    assert.equal((await tpps.b.api('/accounts', tokens.accessToken)).status, 200, 'allowed again once the window has passed');
  });

  test('fairness: while TPP A floods PAR, every request of TPP B within its quota succeeds; the flood is a security event and a metric', async () => {
    await nextWindow();
    const flood = async () => {
      const statuses: number[] = [];
      // Bounded: 8 rounds of 5 concurrent requests, all to 127.0.0.1.
      for (let round = 0; round < 8; round++) statuses.push(...(await Promise.all(Array.from({ length: 5 }, () => par(tpps.a)))).map((a) => a.status));
      return statuses;
    };
    const quiet = async () => {
      const statuses: number[] = [];
      for (let i = 0; i < PAR_PER_TPP; i++) {
        statuses.push((await par(tpps.b)).status);
        await sleep(50);
      }
      return statuses;
    };
    const [flooded, served] = await Promise.all([flood(), quiet()]);
    assert.deepEqual(served, Array(PAR_PER_TPP).fill(201), 'B kept its whole quota');
    assert.equal(flooded.filter((status) => status === 201).length, PAR_PER_TPP, 'A got its quota');
    assert.equal(flooded.filter((status) => status === 429).length, flooded.length - PAR_PER_TPP, 'and the rest was refused');

    const throttled = await bank.metrics.registry.getSingleMetric('ginko_quota_throttled_total')!.get();
    const forA = throttled.values.filter((v) => v.labels.client_id === registered.a.clientId && v.labels.route === '/oauth/par' && v.labels.quota === 'tpp');
    assert.ok(forA.reduce((sum, v) => sum + v.value, 0) >= flooded.length - PAR_PER_TPP);
    assert.ok(!throttled.values.some((v) => v.labels.client_id === registered.b.clientId && v.labels.route === '/oauth/par'), 'B was never throttled on PAR');
    // Recorded in the background: wait for it.
    const deadline = Date.now() + 2000;
    let events: { client_id: string | null; detail: string }[] = [];
    while (events.length === 0 && Date.now() < deadline) {
      events = await bank.store.db.selectFrom('security_events').select(['client_id', 'detail']).where('kind', '=', 'quota_flood').execute();
      if (events.length === 0) await sleep(50);
    }
    assert.equal(events.length, 1, 'one flood event for the window');
    assert.equal(events[0]!.client_id, registered.a.clientId);
    assert.match(events[0]!.detail, /par requests in one 2-second window/);
  });
});

describe('quotas per source address', () => {
  let bank: TestBank;
  let noCertificate: Agent;
  const PER_ADDRESS = 5;
  /** The bank's warnings and errors, one JSON line each. */
  const logLines: string[] = [];

  before(async () => {
    const logger = pino({ level: 'warn' }, { write: (line: string) => logLines.push(line) });
    bank = await startTestBank({ GINKO_QUOTA_WINDOW_SECONDS: String(WINDOW_SECONDS), GINKO_QUOTA_BROWSER_PER_ADDRESS: String(PER_ADDRESS), GINKO_QUOTA_API_PER_ADDRESS: String(PER_ADDRESS), GINKO_QUOTA_PAR_PER_ADDRESS: String(PER_ADDRESS) }, logger);
    noCertificate = mtlsAgent(bank, undefined);
  });

  after(async () => {
    await noCertificate?.close();
    await bank?.stop();
  });

  test('customer pages: one address gets its quota across authorization, interaction and /my pages, then 429; allowed again after the window', async () => {
    const browser = bank.config.browser.publicUrl;
    const pages = [`${browser}/oauth/authorize?client_id=nobody`, `${browser}/interaction/unknown`, `${browser}/my/login`];
    let sent = 0;
    const { before, refused } = await untilRefused(() => send(pages[sent++ % pages.length]!, noCertificate), PER_ADDRESS);
    assert.equal(before.length, PER_ADDRESS);
    assert.ok(before.every((status) => status !== 429 && status < 500));
    assertOAuthTooMany(refused);
    // Discovery and the key set are not customer pages: not counted.
    assert.equal((await send(`${browser}/.well-known/openid-configuration`, noCertificate)).status, 200);
    await sleep(Number(refused.retryAfter) * 1000 + 100);
    assert.notEqual((await send(pages[0]!, noCertificate)).status, 429);
  });

  test('a client no TPP quota knows (no certificate, no valid token) meets the address quota on the APIs and on PAR; twice the quota is one warning line', async () => {
    const mtls = bank.config.mtls.publicUrl;
    const api = await untilRefused(() => send(`${mtls}/api/v1/accounts`, noCertificate, { headers: { authorization: 'Bearer forged-token-value' } }), PER_ADDRESS);
    assert.deepEqual(api.before, Array(PER_ADDRESS).fill(401));
    assertRetryAfter(api.refused);
    assert.equal(api.refused.body.errorCode, 'E42901');
    const pushed = await untilRefused(() => send(`${mtls}/oauth/par`, noCertificate, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=nobody' }), PER_ADDRESS);
    assert.equal(pushed.before.length, PER_ADDRESS);
    assertOAuthTooMany(pushed.refused);
    // Keeping on to twice the quota in the window is a flood: one warning line, however long it goes on.
    const flood = () => send(`${mtls}/oauth/par`, noCertificate, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=nobody' });
    for (let i = 0; i < PER_ADDRESS * 2; i++) assert.equal((await flood()).status, 429);
    const floods = logLines.map((line) => JSON.parse(line)).filter((line) => /flood from one address/.test(line.msg));
    assert.equal(floods.length, 1, 'one line for the window');
    assert.equal(floods[0].flood, 'par');
    assert.equal(floods[0].sourceAddress, '127.0.0.1');
    const throttled = await bank.metrics.registry.getSingleMetric('ginko_quota_throttled_total')!.get();
    assert.ok(throttled.values.some((v) => v.labels.quota === 'address' && v.labels.route === '/oauth/par' && v.labels.client_id === 'none'));
  });
});

describe('behind a trusted front proxy', () => {
  let bank: TestBank;
  let proxy: Agent;
  let tpp: TestTpp;
  const PER_ADDRESS = 2;

  before(async () => {
    bank = await startTestBank({
      GINKO_TRUSTED_PROXIES: '127.0.0.1',
      GINKO_QUOTA_WINDOW_SECONDS: String(WINDOW_SECONDS),
      GINKO_QUOTA_PAR_PER_ADDRESS: String(PER_ADDRESS),
      GINKO_QUOTA_TOKEN_PER_TPP: String(TOKEN_PER_TPP),
    });
    tpp = await TestTpp.create(bank, await bank.registerTpp('tls_client_auth'));
    proxy = mtlsAgent(bank, undefined);
  });

  after(async () => {
    await tpp?.close();
    await proxy?.close();
    await bank?.stop();
  });

  test("the proxy's address is every client's, so no address quota; the TPP quota still holds by the certificate the proxy passes on", async () => {
    const mtls = bank.config.mtls.publicUrl;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    for (let i = 0; i < PER_ADDRESS * 3; i++) {
      const answer = await send(`${mtls}/oauth/par`, proxy, { method: 'POST', headers: form, body: 'client_id=nobody' });
      assert.notEqual(answer.status, 429, 'no address quota for the proxy');
    }
    // The TPP's certificate becomes known to the node by a successful PAR of its own.
    assert.equal((await par(tpp)).status, 201);
    const clientCert = `:${new X509Certificate(tpp.registered.certificatePem).raw.toString('base64')}:`;
    const token = () =>
      send(`${mtls}/oauth/token`, proxy, {
        method: 'POST',
        headers: { ...form, 'client-cert': clientCert },
        body: new URLSearchParams({ client_id: tpp.registered.clientId, grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: tpp.redirectUri, code_verifier: 'v'.repeat(43) }).toString(),
      });
    const { before, refused } = await untilRefused(token, TOKEN_PER_TPP);
    assert.deepEqual(before, Array(TOKEN_PER_TPP).fill(400));
    assertOAuthTooMany(refused);
  });
});
