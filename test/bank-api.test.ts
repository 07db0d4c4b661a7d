// The bank APIs over HTTP (Fastify inject) on the real embedded store with the demo bank: the guard's
// every refusal, GMO period rules ①–④, paging, identical refusals for accounts outside the consent,
// FAPI headers, and no 500 for any client mistake.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import type { AccessTokenLookup, IssuedAccessToken } from '../src/api/access.ts';
import { TRANSACTION_HISTORY_DAYS } from '../src/api/accounts.ts';
import { bankApiPlugin, type BankApiOptions } from '../src/api/plugin.ts';
import { resourceMetadataRoute } from '../src/api/resource-metadata.ts';
import { customerAccounts } from '../src/bank/accounts.ts';
import { DEMO_CUSTOMERS, seedDemoBank } from '../src/bank/demo-data.ts';
import { addDays, jstDate } from '../src/bank/jst.ts';
import { openStore, type Store } from '../src/store/db.ts';
import { dpopNonces } from '../src/auth/dpop-nonces.ts';

const NOW = new Date('2025-06-15T03:00:00Z'); // 12:00 JST
const TODAY = jstDate(NOW);
const CERT_A = 'A'.repeat(43);
const CERT_B = 'B'.repeat(43);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let store: Store;
let app: FastifyInstance;
const tanaka = DEMO_CUSTOMERS.find((c) => c.loginId === 'tanaka')!;
const suzuki = DEMO_CUSTOMERS.find((c) => c.loginId === 'suzuki')!;
let shared: string; // tanaka's primary account, in the consent
let unshared: string; // tanaka's other account, not in it
let othersAccount: string; // suzuki's
const UNKNOWN_ACCOUNT = '999019999999';

const tokens = new Map<string, IssuedAccessToken>();
const lookup: AccessTokenLookup = { find: async (value) => tokens.get(value) };

function issue(value: string, grantId: string, overrides: Partial<IssuedAccessToken> = {}): void {
  tokens.set(value, {
    clientId: 'tpp-active',
    customerId: tanaka.customerId,
    grantId,
    scopes: new Set(['openid', 'accounts']),
    certificateThumbprint: CERT_A,
    dpopKeyThumbprint: undefined,
    expiresAt: new Date(NOW.getTime() + 600_000),
    ...overrides,
  });
}

/** Inject requests have no TLS socket: the test certificate arrives in a header only this test reads. */
const testCertificate: BankApiOptions['clientCertificateThumbprint'] = (request) => {
  const value = request.headers['x-test-certificate'];
  return typeof value === 'string' ? value : undefined;
};

async function buildApp(options: Partial<BankApiOptions> = {}): Promise<FastifyInstance> {
  const instance = Fastify({ logger: false });
  await instance.register(resourceMetadataRoute, { resource: 'https://bank.example:8444/api/v1', authorizationServer: 'https://bank.example:8443' });
  await instance.register(bankApiPlugin, { prefix: '/api/v1', db: store.db, tokens: lookup, pageSizeLimit: 50, clientCertificateThumbprint: testCertificate, clock: () => NOW, dpop: { publicUrl: 'https://bank.example:8444', replay: { firstUse: async () => true }, nonces: dpopNonces({ cookieKeys: ['bank-api test'] }) }, ...options });
  await instance.ready();
  return instance;
}

interface Call {
  /** null: no Authorization header. */
  token?: string | null;
  /** null: no client certificate. */
  certificate?: string | null;
  headers?: Record<string, string>;
  method?: InjectOptions['method'];
  payload?: string;
}

async function call(path: string, { token = 'tok-main', certificate = CERT_A, headers = {}, method = 'GET', payload }: Call = {}, on: FastifyInstance = app): Promise<LightMyRequestResponse> {
  const response = await on.inject({
    method,
    url: `/api/v1${path}`,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(certificate === null ? {} : { 'x-test-certificate': certificate }),
      ...headers,
    },
    ...(payload === undefined ? {} : { payload }),
  });
  assert.ok(response.statusCode < 500, `${method} ${path} gave ${response.statusCode}: ${response.body}`);
  assert.match(String(response.headers['x-fapi-interaction-id']), UUID, `${path}: x-fapi-interaction-id on every response`);
  assert.ok(response.headers.date, 'Date header');
  assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
  return response;
}

function assertRefused(response: LightMyRequestResponse, status: number, errorCode: string, challenge?: RegExp): void {
  assert.equal(response.statusCode, status, response.body);
  const body = response.json();
  assert.equal(body.errorCode, errorCode);
  assert.equal(typeof body.errorMessage, 'string');
  if (challenge) assert.match(String(response.headers['www-authenticate']), challenge);
  else assert.equal(response.headers['www-authenticate'], undefined);
}

const INVALID_TOKEN = /^Bearer error="invalid_token"/;

before(async () => {
  store = await openStore({ inMemory: true });
  await seedDemoBank(store.db, { now: NOW });
  const mine = await customerAccounts(store.db, tanaka.customerId);
  shared = mine[0]!.accountId;
  unshared = mine[1]!.accountId;
  othersAccount = (await customerAccounts(store.db, suzuki.customerId))[0]!.accountId;

  await store.db
    .insertInto('tpps')
    .values([
      { client_id: 'tpp-active', name: 'Kakeibo App', registration_number: '関東財務局長（電代）第1号', status: 'active', metadata: '{}' },
      { client_id: 'tpp-suspended', name: 'Suspended App', registration_number: null, status: 'suspended', metadata: '{}' },
    ])
    .execute();
  const future = new Date(NOW.getTime() + 90 * 86_400_000);
  const consent = (grantId: string, values: Partial<{ customer_id: string; client_id: string; scopes: string; account_ids: string[]; expires_at: Date; revoked_at: Date | null }> = {}) => ({
    grant_id: grantId,
    customer_id: values.customer_id ?? tanaka.customerId,
    client_id: values.client_id ?? 'tpp-active',
    scopes: values.scopes ?? 'openid accounts offline_access',
    account_ids: JSON.stringify(values.account_ids ?? [shared]),
    expires_at: values.expires_at ?? future,
    revoked_at: values.revoked_at ?? null,
  });
  await store.db
    .insertInto('consents')
    .values([
      consent('g-main'),
      consent('g-revoked', { revoked_at: new Date(NOW.getTime() - 1000) }),
      consent('g-expired', { expires_at: new Date(NOW.getTime() - 1000) }),
      consent('g-suspended', { client_id: 'tpp-suspended' }),
      consent('g-openid-only', { scopes: 'openid' }),
      // A consent naming someone else's account must still not reach it.
      consent('g-cross', { account_ids: [shared, othersAccount] }),
    ])
    .execute();
  issue('tok-main', 'g-main');
  issue('tok-revoked', 'g-revoked');
  issue('tok-expired-consent', 'g-expired');
  issue('tok-suspended', 'g-suspended', { clientId: 'tpp-suspended' });
  issue('tok-openid-only-consent', 'g-openid-only');
  issue('tok-cross', 'g-cross');
  issue('tok-no-scope', 'g-main', { scopes: new Set(['openid']) });
  issue('tok-expired', 'g-main', { expiresAt: new Date(NOW.getTime() - 1) });
  issue('tok-unbound', 'g-main', { certificateThumbprint: undefined });
  issue('tok-other-customer', 'g-main', { customerId: suzuki.customerId });
  issue('tok-other-client', 'g-main', { clientId: 'tpp-suspended' });
  app = await buildApp();
});

after(async () => {
  await app?.close();
  await store?.close();
});

describe('happy paths', () => {
  test('GET /accounts lists only the consented accounts, GMO fields as strings', async () => {
    const response = await call('/accounts');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = response.json();
    assert.equal(body.baseDate, TODAY);
    assert.equal(body.baseTime, '12:00:00+09:00');
    assert.equal(body.accounts.length, 1);
    const [account] = body.accounts;
    assert.equal(account.accountId, shared);
    assert.deepEqual(Object.keys(account).sort(), [
      'accountId', 'accountName', 'accountNameKana', 'accountNumber', 'accountTypeCode', 'accountTypeName', 'branchCode', 'branchName',
      'currencyCode', 'currencyName', 'primaryAccountCode', 'primaryAccountCodeName', 'transferLimitAmount',
    ]);
    assert.equal(account.accountId, `${account.branchCode}${account.accountTypeCode}${account.accountNumber}`);
    assert.equal(account.currencyCode, 'JPY');
    assert.equal(account.currencyName, '日本円');
    assert.equal(account.primaryAccountCodeName, '代表口座');
    assert.match(account.transferLimitAmount, /^\d+$/);
  });

  test('the Bearer scheme is case-insensitive', async () => {
    for (const scheme of ['bEARER', 'bearer', 'BEARER']) {
      const response = await call('/accounts', { token: null, headers: { authorization: `${scheme} tok-main` } });
      assert.equal(response.statusCode, 200, scheme);
    }
  });

  test('GET /accounts/balances: every consented account, or the one asked for', async () => {
    const all = await call('/accounts/balances');
    assert.equal(all.statusCode, 200);
    const [balance] = all.json().balances;
    assert.equal(all.json().balances.length, 1);
    assert.equal(balance.accountId, shared);
    for (const field of ['balance', 'withdrawableAmount', 'previousDayBalance', 'previousMonthBalance']) assert.match(balance[field], /^-?\d+$/, field);
    assert.equal(balance.withdrawableAmount, balance.balance);
    assert.equal(balance.baseDate, TODAY);
    assert.equal(balance.baseTime, '12:00:00+09:00');
    const stored = await store.db.selectFrom('accounts').select('balance_yen').where('account_id', '=', shared).executeTakeFirstOrThrow();
    assert.equal(balance.balance, String(stored.balance_yen));
    assert.deepEqual((await call(`/accounts/balances?accountId=${shared}`)).json(), all.json());
    assert.deepEqual((await call('/accounts/balances?accountId=')).json(), all.json(), 'an empty parameter is a missing one');
  });

  test('GET /accounts/transactions pages through a year: no duplicates, no gaps, running balance consistent', async () => {
    const lines: Array<Record<string, string>> = [];
    let nextItemKey: string | undefined;
    let pages = 0;
    do {
      const response = await call(`/accounts/transactions?accountId=${shared}&dateTo=${TODAY}${nextItemKey ? `&nextItemKey=${nextItemKey}` : ''}`);
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json();
      assert.equal(body.accountId, shared);
      assert.equal(body.currencyCode, 'JPY');
      assert.equal(body.dateFrom, addDays(TODAY, -365), '③ dateTo only: from the first transaction');
      assert.equal(body.dateTo, TODAY);
      assert.equal(body.count, String(body.transactions.length));
      assert.ok(body.transactions.length <= 50);
      if (body.hasNext) assert.match(body.nextItemKey, /^\d+$/);
      else assert.equal('nextItemKey' in body, false, 'nextItemKey is omitted on the last page');
      lines.push(...body.transactions);
      nextItemKey = body.nextItemKey;
      pages++;
    } while (nextItemKey);
    assert.ok(pages > 2, `${pages} pages`);
    const postings = await store.db.selectFrom('postings').select('posting_id').where('account_id', '=', shared).orderBy('posting_id').execute();
    assert.deepEqual(lines.map((l) => l.itemKey), postings.map((p) => String(p.posting_id)));
    let previous = 0;
    for (const line of lines) {
      assert.ok(line.transactionType === '1' || line.transactionType === '2');
      assert.match(line.amount!, /^[1-9]\d*$/);
      const signed = line.transactionType === '1' ? Number(line.amount) : -Number(line.amount);
      assert.equal(Number(line.balance), previous + signed, `balance after ${line.itemKey}`);
      assert.match(line.transactionDate!, /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(line.valueDate, line.transactionDate);
      previous = Number(line.balance);
    }
  });
});

describe('period rules ①–④ and input errors', () => {
  const history = (query: string) => call(`/accounts/transactions?accountId=${shared}${query}`);

  test('① no dates: today only', async () => {
    const body = (await history('')).json();
    assert.equal(body.dateFrom, TODAY);
    assert.equal(body.dateTo, TODAY);
    assert.equal(body.hasNext, false);
    for (const line of body.transactions) assert.equal(line.transactionDate, TODAY);
    assert.deepEqual((await history('&dateFrom=&dateTo=')).json(), body, 'empty parameters are missing ones');
  });

  test('② dateFrom only: to today', async () => {
    const body = (await history('&dateFrom=2025-06-01')).json();
    assert.equal(body.dateFrom, '2025-06-01');
    assert.equal(body.dateTo, TODAY);
    assert.ok(body.transactions.length > 0);
    for (const line of body.transactions) assert.ok(line.transactionDate >= '2025-06-01' && line.transactionDate <= TODAY);
  });

  test('③ dateTo only: from the first transaction', async () => {
    const body = (await history('&dateTo=2024-07-01')).json();
    assert.equal(body.dateFrom, addDays(TODAY, -365));
    assert.equal(body.dateTo, '2024-07-01');
    assert.equal(body.transactions[0].balance, body.transactions[0].amount, 'starts at the very first posting');
  });

  test('④ both: that period', async () => {
    const body = (await history('&dateFrom=2025-05-01&dateTo=2025-05-31')).json();
    assert.equal(body.dateFrom, '2025-05-01');
    assert.equal(body.dateTo, '2025-05-31');
    assert.ok(body.transactions.length > 0);
    for (const line of body.transactions) assert.ok(line.transactionDate >= '2025-05-01' && line.transactionDate <= '2025-05-31');
    const future = (await history('&dateFrom=2025-07-01&dateTo=2025-07-31')).json();
    assert.deepEqual(future.transactions, [], 'no data is 200 with an empty list');
    assert.equal(future.count, '0');
  });

  test('history starts at most 400 days back; the response says where', async () => {
    const body = (await history('&dateFrom=2000-01-01')).json();
    assert.equal(body.dateFrom, addDays(TODAY, -(TRANSACTION_HISTORY_DAYS - 1)));
    assertRefused(await history('&dateFrom=2000-01-01&dateTo=2000-12-31'), 400, 'E40001');
  });

  test('dateFrom after dateTo is 400, also against today', async () => {
    assertRefused(await history('&dateFrom=2025-06-02&dateTo=2025-06-01'), 400, 'E40001');
    assertRefused(await history('&dateFrom=2025-06-16'), 400, 'E40001');
  });

  test('dates must be real calendar dates', async () => {
    for (const bad of ['2025-02-30', '2025-2-01', '2025-06-1', 'yesterday', '1899-12-31', '2025%2F06%2F01', '2025-06-01T00:00', '%E3%80%80']) {
      assertRefused(await history(`&dateFrom=${bad}`), 400, 'E40001');
      assertRefused(await history(`&dateTo=${bad}`), 400, 'E40001');
    }
  });

  test('accountId is required and 12 digits; nextItemKey must be one of ours', async () => {
    assertRefused(await call('/accounts/transactions'), 400, 'E40001');
    for (const bad of ['10001123456', '1000112345678', 'abcdefghijkl', `${shared}&accountId=${shared}`]) {
      assertRefused(await call(`/accounts/transactions?accountId=${bad}`), 400, 'E40001');
      assertRefused(await call(`/accounts/balances?accountId=${bad}`), 400, 'E40001');
    }
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999999999', '9999999999999999', 'x'.repeat(5000)]) {
      assertRefused(await history(`&nextItemKey=${bad}`), 400, 'E40001');
    }
  });

  test('validation errors name the parameter', async () => {
    const body = (await call('/accounts/transactions?dateFrom=2025-01-01')).json();
    assert.equal(body.errorCode, 'E40001');
    assert.ok(body.errorDetails.some((detail: { path?: string }) => detail.path === '/querystring/accountId'), JSON.stringify(body));
  });
});

describe('accounts outside the consent', () => {
  test('an unshared account, another customer\'s and a nonexistent one are refused identically', async () => {
    for (const path of ['/accounts/balances?accountId=', '/accounts/transactions?accountId=']) {
      const responses = await Promise.all([unshared, othersAccount, UNKNOWN_ACCOUNT].map((id) => call(`${path}${id}`)));
      for (const response of responses) assertRefused(response, 403, 'E40302');
      assert.equal(new Set(responses.map((r) => r.body)).size, 1, 'the same body for all three');
    }
  });

  test("a consent that names another customer's account still cannot reach it", async () => {
    const accounts = (await call('/accounts', { token: 'tok-cross' })).json().accounts;
    assert.deepEqual(accounts.map((a: { accountId: string }) => a.accountId), [shared]);
    assert.deepEqual((await call('/accounts/balances', { token: 'tok-cross' })).json().balances.map((b: { accountId: string }) => b.accountId), [shared]);
    assertRefused(await call(`/accounts/transactions?accountId=${othersAccount}`, { token: 'tok-cross' }), 403, 'E40302');
    assertRefused(await call(`/accounts/balances?accountId=${othersAccount}`, { token: 'tok-cross' }), 403, 'E40302');
  });
});

describe('the guard', () => {
  test('a missing, unknown, expired or malformed token (checked before the query is)', async () => {
    assertRefused(await call('/accounts', { token: null }), 401, 'E40101', INVALID_TOKEN);
    assertRefused(await call('/accounts', { token: 'no-such-token' }), 401, 'E40101', INVALID_TOKEN);
    assertRefused(await call('/accounts/transactions?accountId=bad', { token: null }), 401, 'E40101', INVALID_TOKEN);
    assertRefused(await call('/accounts', { token: 'tok-expired' }), 401, 'E40101', INVALID_TOKEN);
    assertRefused(await call('/accounts', { token: null, headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'E40101', INVALID_TOKEN);
    assertRefused(await call('/accounts', { token: null, headers: { authorization: 'Bearer' } }), 400, 'E40003', /^Bearer error="invalid_request"/);
    assertRefused(await call('/accounts', { token: null, headers: { authorization: 'Bearer tok main' } }), 400, 'E40003', /^Bearer error="invalid_request"/);
    assertRefused(await call('/accounts', { token: null, headers: { authorization: `Bearer ${'x'.repeat(3000)}` } }), 400, 'E40003', /^Bearer error="invalid_request"/);
  });

  test('a token in the query string or a form body is refused, even next to a good header', async () => {
    assertRefused(await call('/accounts?access_token=tok-main', { token: null }), 400, 'E40003', /^Bearer error="invalid_request"/);
    assertRefused(await call('/accounts?access_token=tok-main'), 400, 'E40003', /^Bearer error="invalid_request"/);
    assertRefused(
      await call('/accounts', { method: 'GET', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'access_token=tok-main' }),
      400,
      'E40003',
      /^Bearer error="invalid_request"/,
    );
  });

  test('the token works only with the certificate it is bound to', async () => {
    assertRefused(await call('/accounts', { certificate: null }), 401, 'E40101', INVALID_TOKEN);
    assertRefused(await call('/accounts', { certificate: CERT_B }), 401, 'E40101', INVALID_TOKEN);
    assertRefused(await call('/accounts', { token: 'tok-unbound' }), 401, 'E40101', INVALID_TOKEN);
  });

  test('by default the certificate comes from the TLS socket, which inject requests lack', async () => {
    const socketApp = await buildApp({ clientCertificateThumbprint: undefined });
    try {
      assertRefused(await call('/accounts', {}, socketApp), 401, 'E40101', INVALID_TOKEN);
    } finally {
      await socketApp.close();
    }
  });

  test('the accounts scope is required, in the token and in its consent', async () => {
    assertRefused(await call('/accounts', { token: 'tok-no-scope' }), 403, 'E40301', /^Bearer error="insufficient_scope".*scope="accounts"/);
    assertRefused(await call('/accounts', { token: 'tok-openid-only-consent' }), 403, 'E40301', /^Bearer error="insufficient_scope"/);
  });

  test('a revoked or expired consent, or one of another customer or TPP, ends the token', async () => {
    for (const token of ['tok-revoked', 'tok-expired-consent', 'tok-other-customer', 'tok-other-client']) {
      assertRefused(await call('/accounts', { token }), 401, 'E40101', INVALID_TOKEN);
    }
  });

  test('a suspended TPP is refused', async () => {
    assertRefused(await call('/accounts', { token: 'tok-suspended' }), 403, 'E40303');
  });
});

describe('FAPI headers and robustness', () => {
  test('x-fapi-interaction-id is echoed when it is a UUID, replaced otherwise, also on errors', async () => {
    const id = '8c3f7a2e-5b1d-4c9e-9f0a-1e2d3c4b5a69';
    assert.equal((await call('/accounts', { headers: { 'x-fapi-interaction-id': id } })).headers['x-fapi-interaction-id'], id);
    assert.equal((await call('/accounts', { token: null, headers: { 'x-fapi-interaction-id': id } })).headers['x-fapi-interaction-id'], id);
    assert.equal((await call('/nope', { headers: { 'x-fapi-interaction-id': id } })).headers['x-fapi-interaction-id'], id);
    const replaced = await call('/accounts', { headers: { 'x-fapi-interaction-id': 'not-a-uuid' } });
    assert.notEqual(replaced.headers['x-fapi-interaction-id'], 'not-a-uuid');
    const a = (await call('/accounts')).headers['x-fapi-interaction-id'];
    const b = (await call('/accounts')).headers['x-fapi-interaction-id'];
    assert.notEqual(a, b, 'generated per request');
  });

  test('unknown paths are JSON 404s; other methods on an API path are 405s naming the allowed ones', async () => {
    assertRefused(await call('/nope'), 404, 'E40401');
    for (const response of [await call('/accounts', { method: 'POST', headers: { 'content-type': 'application/json' }, payload: '{}' }), await call('/accounts', { method: 'DELETE' })]) {
      assertRefused(response, 405, 'E40501');
      assert.equal(response.headers.allow, 'GET, HEAD');
    }
  });

  test('unknown query parameters are refused, naming each one', async () => {
    const response = await call(`/accounts/transactions?accountId=${shared}&datefrom=2025-01-01`);
    assertRefused(response, 400, 'E40001');
    assert.deepEqual(response.json().errorDetails, [{ errorDetailsCode: 'E40001', errorDetailsMessage: 'unknown query parameter', path: '/querystring/datefrom' }]);
    assertRefused(await call('/accounts?accountId=whatever'), 400, 'E40001');
  });

  test('odd requests never produce a 500', async () => {
    const odd = [
      '/accounts/transactions?accountId=%',
      '/accounts/transactions?accountId=%E0%A4%A',
      `/accounts/transactions?accountId=${shared}&dateFrom[]=2025-01-01`,
      `/accounts/transactions?accountId=${shared}&dateFrom=2025-06-01&dateFrom=2025-06-02`,
      `/accounts/transactions?accountId=${shared}&nextItemKey=1&nextItemKey=2`,
      `/accounts/transactions?accountId=${shared}&${'x'.repeat(8000)}=1`,
      `/accounts/transactions?accountId=${shared}&dateFrom=9999-12-31`,
      `/accounts/transactions?accountId=${shared}&dateTo=9999-12-31`,
      `/accounts/transactions?accountId=${shared}&dateFrom=0000-01-01`,
      '/accounts/balances?accountId[]=1',
      '/accounts/balances?constructor=1&__proto__=1',
      '/accounts?accountId=whatever',
    ];
    for (const path of odd) {
      const response = await call(path);
      assert.ok(response.statusCode === 200 || (response.statusCode >= 400 && response.statusCode < 500), `${path}: ${response.statusCode}`);
    }
    const head = await app.inject({ method: 'HEAD', url: '/api/v1/accounts', headers: { authorization: 'Bearer tok-main', 'x-test-certificate': CERT_A } });
    assert.equal(head.statusCode, 200);
    const large = await call('/accounts', { method: 'POST', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'y'.repeat(10_000) }) });
    assert.ok(large.statusCode === 405 || large.statusCode === 413);
  });
});

describe('protected resource metadata (RFC 9728)', () => {
  test('served at the well-known path and its resource-path form', async () => {
    for (const url of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/api/v1']) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, url);
      assert.deepEqual(response.json(), {
        resource: 'https://bank.example:8444/api/v1',
        authorization_servers: ['https://bank.example:8443'],
        scopes_supported: ['accounts'],
        bearer_methods_supported: ['header'],
        tls_client_certificate_bound_access_tokens: true,
        dpop_signing_alg_values_supported: ['PS256', 'ES256'],
        resource_name: 'Ginko Bank API',
      });
    }
  });
});
