// Correctness under stress on real PostgreSQL (and on PGlite where it makes sense):
//  - 100 transfers approved at once from an account that can afford exactly 60: 60 execute, 40 fail,
//    the balance never goes below zero, money is conserved and the ledger balances;
//  - the bank (a child process) SIGKILLed in the middle of a burst of scheduled executions and API
//    requests: after a restart every transfer is applied fully or not at all and exactly once, the
//    ledger balances, and retries with the same idempotency keys get the original results.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { DEMO_CUSTOMERS, seedDemoBank } from '../../src/bank/demo-data.ts';
import { addDays, jstDate } from '../../src/bank/jst.ts';
import { verifyLedger } from '../../src/bank/ledger.ts';
import { approveTransfer } from '../../src/bank/transfers/authorise.ts';
import type { TransferInstruction } from '../../src/bank/transfers/model.ts';
import { DEFAULT_TRANSFER_POLICY } from '../../src/bank/transfers/policy.ts';
import { requestTransfer } from '../../src/bank/transfers/request.ts';
import { verifyTransfers } from '../../src/bank/transfers/verify.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { freePort } from '../support/bank.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { TestTpp, type BankEndpoints } from '../support/tpp.ts';

const policy = DEFAULT_TRANSFER_POLICY;
const tanaka = DEMO_CUSTOMERS[0]!;
const TANAKA_ACCOUNT = '100011234567';
const TANAKA_SAVINGS = '100047654321';
const CHILD = join(import.meta.dirname, '../support/bank-process.ts');
const CHILD_START_TIMEOUT_MS = 30_000;

const toSavings = (amountYen: number, designatedDate: string): TransferInstruction => ({
  accountId: TANAKA_ACCOUNT,
  designatedDate,
  holidayCode: '1',
  amountYen,
  beneficiaryBankCode: policy.ownBankCode,
  beneficiaryBranchCode: '100',
  beneficiaryAccountType: '4',
  beneficiaryAccountNumber: '7654321',
  beneficiaryName: 'ﾀﾅｶ ﾀﾛｳ',
});

async function balance(store: Store, accountId: string): Promise<number> {
  return (await store.db.selectFrom('accounts').select('balance_yen').where('account_id', '=', accountId).executeTakeFirstOrThrow()).balance_yen;
}

async function totalOfAllAccounts(store: Store): Promise<number> {
  const row = await store.db.selectFrom('accounts').select(sql<number>`sum(balance_yen)::bigint`.as('total')).executeTakeFirstOrThrow();
  return Number(row.total);
}

/** Runs `count` setups, a few at a time: quicker than one by one, gentler than all at once. */
async function inBatches<T>(count: number, setup: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += 10) results.push(...(await Promise.all(Array.from({ length: Math.min(10, count - start) }, setup))));
  return results;
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

for (const driver of ['postgres', 'pglite'] as const) {
  test(`${driver}: 100 transfers at once from an account that can afford 60 — exactly 60 execute`, { timeout: 60_000 }, async () => {
    let database: ScratchDatabase | undefined;
    if (driver === 'postgres') {
      database = await createScratchDatabase();
      cleanups.push(() => database!.drop());
    }
    const store = await openStore(database ? { databaseUrl: database.url, poolSize: 20 } : { inMemory: true });
    cleanups.push(() => store.close());
    await seedDemoBank(store.db);
    await store.db.insertInto('tpps').values({ client_id: 'stress', name: 'stress', registration_number: null, status: 'active', metadata: '{}' }).execute();
    const access = { customerId: tanaka.customerId, clientId: 'stress', accountIds: [TANAKA_ACCOUNT] };

    // Same branch, so no fee: 60 × amount ≤ balance < 61 × amount.
    const amountYen = Math.floor((await balance(store, TANAKA_ACCOUNT)) / 60);
    assert.ok(amountYen > 60, 'the demo account has money to spend');
    const totalBefore = await totalOfAllAccounts(store);
    const pairBefore = (await balance(store, TANAKA_ACCOUNT)) + (await balance(store, TANAKA_SAVINGS));
    const today = jstDate(new Date());
    const applyNos = await inBatches(100, async () => (await requestTransfer(store.db, policy, access, toSavings(amountYen, today), new Date())).applyNo);

    const outcomes = await Promise.all(applyNos.map((applyNo) => approveTransfer(store.db, { applyNo, clientId: 'stress', customerId: tanaka.customerId }, new Date())));
    assert.equal(outcomes.filter((o) => o === 'completed').length, 60);
    assert.equal(outcomes.filter((o) => o === 'failed').length, 40);

    const lowest = await store.db.selectFrom('postings').select(sql<number>`min(balance_after_yen)::bigint`.as('lowest')).where('account_id', '=', TANAKA_ACCOUNT).executeTakeFirstOrThrow();
    assert.ok(Number(lowest.lowest) >= 0, 'the balance never went below zero');
    assert.equal(await totalOfAllAccounts(store), totalBefore, 'the sum over all accounts is conserved');
    assert.equal((await balance(store, TANAKA_ACCOUNT)) + (await balance(store, TANAKA_SAVINGS)), pairBefore);
    assert.ok((await balance(store, TANAKA_ACCOUNT)) < amountYen);
    const entries = await store.db.selectFrom('transfers').select('apply_no').where('apply_no', 'in', applyNos).where('debit_entry_id', 'is not', null).execute();
    assert.equal(entries.length, 60);
    assert.deepEqual(await verifyLedger(store.db), []);
    assert.deepEqual(await verifyTransfers(store.db), []);
  });
}

interface ChildBank {
  process: ChildProcess;
  ready: BankEndpoints & { tpp?: Parameters<typeof TestTpp.create>[1] };
}

function startChild(env: NodeJS.ProcessEnv): Promise<ChildBank> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bank did not start:\n${stderr}`)), CHILD_START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`the bank exited (${code}):\n${stderr}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ process: child, ready: JSON.parse(line) });
    });
  });
}

describe('SIGKILL in the middle of a burst, then restart', () => {
  test('every transfer applied fully or not at all, exactly once; retries get the original results', { timeout: 60_000 }, async () => {
    const database = await createScratchDatabase();
    cleanups.push(() => database.drop());
    const dataDir = mkdtempSync(join(tmpdir(), 'ginko-stress-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const [port, mtlsPort] = await Promise.all([freePort(), freePort()]);
    const env = {
      ...process.env,
      DATABASE_URL: database.url,
      GINKO_DATA_DIR: dataDir,
      GINKO_HOST: '127.0.0.1',
      GINKO_PORT: String(port),
      GINKO_MTLS_PORT: String(mtlsPort),
      GINKO_LOG_LEVEL: 'silent',
    };
    const first = await startChild({ ...env, GINKO_TEST_REGISTER_TPP: '1' });
    const store = await openStore({ databaseUrl: database.url, poolSize: 5 });
    cleanups.push(() => store.close());
    const tpp = await TestTpp.create(first.ready, first.ready.tpp!);
    cleanups.push(() => tpp.close());
    const token = (await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: tanaka.loginId, password: tanaka.password, scope: 'openid accounts transfers' })).accessToken;
    const clientId = first.ready.tpp!.clientId;

    // 300 approved future-dated transfers (予約中), then "their day comes": the child's scheduler executes them.
    const RESERVED = 200;
    const amountYen = 1000;
    const today = jstDate(new Date());
    const access = { customerId: tanaka.customerId, clientId, accountIds: [TANAKA_ACCOUNT] };
    const reserved = await inBatches(RESERVED, async () => {
      const { applyNo } = await requestTransfer(store.db, policy, access, toSavings(amountYen, addDays(today, 2)), new Date());
      assert.equal(await approveTransfer(store.db, { applyNo, clientId, customerId: tanaka.customerId }, new Date()), 'reserved');
      return applyNo;
    });
    const pairBefore = (await balance(store, TANAKA_ACCOUNT)) + (await balance(store, TANAKA_SAVINGS));
    const tanakaBefore = await balance(store, TANAKA_ACCOUNT);

    // The burst: the scheduler's executions and 50 API requests with idempotency keys, all at once.
    const keys = Array.from({ length: 50 }, () => randomUUID());
    const body = (i: number) => ({
      accountId: TANAKA_ACCOUNT,
      transferDesignatedDate: today,
      transfers: [{ transferAmount: String(777 + i), beneficiaryBankCode: '0999', beneficiaryBranchCode: '100', accountTypeCode: '4', accountNumber: '7654321', beneficiaryName: 'ﾀﾅｶ ﾀﾛｳ' }],
    });
    await store.db.updateTable('transfers').set({ execution_date: today }).where('apply_no', 'in', reserved).execute();
    const firstAnswers = new Map<string, string>();
    const burst = keys.map((key, i) =>
      tpp
        .post('/transfer/request', token, body(i), { 'x-idempotency-key': key })
        .then((answer) => {
          if (answer.status === 201) firstAnswers.set(key, answer.body.applyNo);
        })
        .catch(() => undefined),
    );
    // Kill once the scheduler has begun (some executed), which is before it can have finished.
    for (let waited = 0; waited < 10_000; waited += 10) {
      const executed = await store.db.selectFrom('transfers').select(sql<number>`count(*)`.as('n')).where('apply_no', 'in', reserved).where('status', '=', 'completed').executeTakeFirstOrThrow();
      if (Number(executed.n) > 0) break;
      await sleep(10);
    }
    first.process.kill('SIGKILL');
    await new Promise((resolve) => first.process.once('exit', resolve));
    await Promise.all(burst);
    const executedAtKill = await store.db.selectFrom('transfers').select(sql<number>`count(*)`.as('n')).where('apply_no', 'in', reserved).where('status', '=', 'completed').executeTakeFirstOrThrow();
    assert.ok(Number(executedAtKill.n) < RESERVED, `killed mid-burst (${executedAtKill.n} of ${RESERVED} executed)`);
    assert.deepEqual(await verifyLedger(store.db), [], 'balanced right after the kill: nothing half-applied');

    // Restart: the scheduler finishes the rest, each exactly once.
    const second = await startChild(env);
    const restartedTpp = await TestTpp.create(second.ready, first.ready.tpp!);
    cleanups.push(() => restartedTpp.close());
    for (let waited = 0; ; waited += 100) {
      const left = await store.db.selectFrom('transfers').select(sql<number>`count(*)`.as('n')).where('apply_no', 'in', reserved).where('status', '=', 'reserved').executeTakeFirstOrThrow();
      if (Number(left.n) === 0) break;
      assert.ok(waited < 20_000, `${left.n} reservations still waiting after restart`);
      await sleep(100);
    }
    const entries = await store.db
      .selectFrom('journal_entries')
      .select(['description', sql<number>`count(*)`.as('n')])
      .where('description', 'in', reserved.map((applyNo) => `transfer ${applyNo}`))
      .groupBy('description')
      .execute();
    assert.equal(entries.length, RESERVED, 'every reservation executed');
    assert.ok(entries.every((entry) => Number(entry.n) === 1), 'each exactly once');
    assert.equal(await balance(store, TANAKA_ACCOUNT), tanakaBefore - RESERVED * amountYen);
    assert.equal((await balance(store, TANAKA_ACCOUNT)) + (await balance(store, TANAKA_SAVINGS)), pairBefore, 'money is conserved');
    assert.deepEqual(await verifyLedger(store.db), []);
    assert.deepEqual(await verifyTransfers(store.db), []);

    // Retries with the same keys: the original answer where there was one, and never a second transfer.
    for (const [i, key] of keys.entries()) {
      const retry = await restartedTpp.post('/transfer/request', token, body(i), { 'x-idempotency-key': key });
      assert.equal(retry.status, 201, JSON.stringify(retry.body));
      const original = firstAnswers.get(key);
      if (original) {
        assert.equal(retry.headers.get('x-idempotent-replay'), 'true');
        assert.equal(retry.body.applyNo, original);
      }
      const again = await restartedTpp.post('/transfer/request', token, body(i), { 'x-idempotency-key': key });
      assert.equal(again.headers.get('x-idempotent-replay'), 'true');
      assert.equal(again.body.applyNo, retry.body.applyNo);
    }
    const requested = await store.db.selectFrom('transfers').select(sql<number>`count(*)`.as('n')).where('transfer_amount_yen', '>=', 777).where('transfer_amount_yen', '<', 777 + keys.length).executeTakeFirstOrThrow();
    assert.equal(Number(requested.n), keys.length, 'one transfer per idempotency key');
    second.process.kill('SIGTERM');
    await new Promise((resolve) => second.process.once('exit', resolve));
  });
});
