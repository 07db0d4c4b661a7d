// The same bank on PostgreSQL (DATABASE_URL): migrations apply, the demo bank seeds, and a TPP
// links an account and reads it. The embedded store is the default everywhere else.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { verifyLedger } from '../../src/bank/ledger.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { TestTpp } from '../support/tpp.ts';

let database: ScratchDatabase;
let bank: TestBank;

before(async () => {
  database = await createScratchDatabase();
  bank = await startTestBank({ DATABASE_URL: database.url });
});

after(async () => {
  await bank?.stop();
  await database?.drop();
});

test('runs on PostgreSQL with a balanced demo ledger', async () => {
  assert.equal(bank.store.driver, 'postgres');
  assert.deepEqual(await verifyLedger(bank.store.db), []);
});

test('a TPP links an account and reads its balance on PostgreSQL', async () => {
  const customer = DEMO_CUSTOMERS[1]!;
  const tpp = await TestTpp.create(bank, await bank.registerTpp('tls_client_auth'));
  try {
    const tokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: customer.loginId, password: customer.password });
    const balances = await tpp.api('/accounts/balances', tokens.accessToken);
    assert.equal(balances.status, 200);
    assert.equal(balances.body.balances.length, 1);
  } finally {
    await tpp.close();
  }
});
