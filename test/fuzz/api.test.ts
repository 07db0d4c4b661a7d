// Fuzzing the bank APIs with a real, linked token (accounts and transfers scopes): query strings of the
// read APIs and JSON bodies of the transfer APIs (request, fee quote, cancel) — valid-looking ones with
// fields changed, wrong types, unknown fields, other JSON, or not JSON at all. Every case gets an answer
// in time, never a 5xx, the documented error body for a refusal, and a refused one writes nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { addDays, jstDate } from '../../src/bank/jst.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { TestTpp } from '../support/tpp.ts';
import { PAR_JARM } from '../support/transfers.ts';
import { refusedWritesNothing, send, type Answer } from './http.ts';
import { announceSeed, fuzzRuns } from './seed.ts';

const tanaka = DEMO_CUSTOMERS[0]!;

let bank: TestBank;
let tpp: TestTpp;
let accessToken: string;
let accountId: string;

announceSeed('test/fuzz/api.test.ts');

before(async () => {
  bank = await startTestBank();
  tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt'));
  accessToken = (await tpp.link({ ...PAR_JARM, loginId: tanaka.loginId, password: tanaka.password, scope: 'openid accounts transfers' })).accessToken;
  accountId = (await tpp.api('/accounts', accessToken)).body.accounts[0].accountId;
});

after(async () => {
  await tpp?.close();
  await bank?.stop();
});

const text = fc.string({ unit: 'binary', maxLength: 60 });
const anyJson = fc.jsonValue({ maxDepth: 3 });
const today = () => jstDate(new Date());
const date = fc.oneof(
  fc.integer({ min: -500, max: 60 }).map((days) => addDays(today(), days)),
  fc.constantFrom('2024-02-30', '2025-13-01', '0000-00-00', '20250101', '2025-1-1'),
  text,
);

/** A refusal from the bank APIs is their documented body. */
function assertApiAnswer(answer: Answer): void {
  if (answer.status < 400 || answer.status === 413 || answer.status === 431) return;
  assert.equal(typeof answer.json?.errorCode, 'string', `${answer.status} ${answer.text.slice(0, 300)}`);
  assert.equal(typeof answer.json.errorMessage, 'string');
}

const api = (path: string) => `${bank.config.mtls.publicUrl}/api/v1${path}`;
const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${accessToken}`, accept: 'application/json', ...extra });

const QUERY_NAMES = ['accountId', 'dateFrom', 'dateTo', 'nextItemKey', 'applyNo', 'queryKeyClass', 'detailInfoNecessity', 'transferStatus', 'requestTransferClass', 'sortOrderClass'];
const queryValue = fc.oneof(
  fc.constant('the account').map(() => accountId),
  date,
  fc.constantFrom('1', '2', '0', '-1', '999999999999', '', 'true'),
  text,
  fc.array(text, { minLength: 2, maxLength: 3 }),
);
const query = fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_NAMES) }, { weight: 1, arbitrary: text }), queryValue, { maxKeys: 5 });

test('query strings of the read APIs: any names, values and repetitions', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('/accounts', '/accounts/balances', '/accounts/transactions', '/transfer/status', '/transfer/request-result'), query, fc.option(fc.constantFrom('%zz', '&&==&', '%00', '?'), { nil: undefined }), async (path, params, garbage) => {
      const search = new URLSearchParams();
      for (const [name, value] of Object.entries(params)) for (const one of [value].flat()) search.append(name, one);
      const url = `${api(path)}?${search.toString()}${garbage ? `&${garbage}` : ''}`;
      assertApiAnswer(await refusedWritesNothing(bank.store.db, () => send(url, { headers: headers() }, tpp.agent)));
    }),
    fuzzRuns(120),
  );
});

const amount = fc.oneof(fc.integer({ min: -10, max: 3_000_000 }).map(String), fc.integer(), fc.constantFrom('1e3', '０１２', '1.5', '', '0012000'), text);
const transferItem = fc.record(
  {
    transferAmount: amount,
    beneficiaryBankCode: fc.oneof(fc.constantFrom('0999', '0001', '9999'), text),
    beneficiaryBranchCode: fc.oneof(fc.constantFrom('201', '001'), text),
    accountTypeCode: fc.oneof(fc.constantFrom('1', '2', '4', '9', '01'), text),
    accountNumber: fc.oneof(fc.constantFrom('2345678', '0000001'), fc.stringMatching(/^[0-9]{1,9}$/), text),
    beneficiaryName: fc.oneof(fc.constantFrom('スズキ ハナコ', 'ｽｽﾞｷ ﾊﾅｺ', '鈴木花子', 'ＡＢＣ（カ'), text),
    ediInfo: fc.oneof(fc.constantFrom('ｲﾗｲ1', 'INVOICE-001'), text),
    unknownField: anyJson,
  },
  { requiredKeys: [] },
);
const transferRequest = fc.record(
  {
    accountId: fc.oneof(fc.constant('the account').map(() => accountId), fc.constantFrom('100047654321', ''), text, fc.integer()),
    transferDesignatedDate: date,
    transfers: fc.oneof(fc.array(transferItem, { maxLength: 3 }), anyJson),
    applyNo: fc.oneof(fc.uuid(), text),
    unknownField: anyJson,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  { weight: 6, arbitrary: transferRequest.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: anyJson.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: text },
);

test('JSON bodies of the transfer APIs: request, fee quote and cancel, with any idempotency key', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('/transfer/request', '/transfer/transferfee', '/transfer/cancel'),
      body,
      fc.oneof(fc.uuid(), fc.constant(undefined), text.map((key) => key.replace(/[^\x20-\x7e]/g, ''))),
      fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain'),
      async (path, json, idempotencyKey, contentType) => {
        const extra: Record<string, string> = { 'content-type': contentType, ...(idempotencyKey !== undefined ? { 'x-idempotency-key': idempotencyKey || randomUUID() } : {}) };
        assertApiAnswer(await refusedWritesNothing(bank.store.db, () => send(api(path), { method: 'POST', headers: headers(extra), body: json }, tpp.agent)));
      },
    ),
    fuzzRuns(150),
  );
});
