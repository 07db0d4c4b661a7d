// Ledger invariants on the real store (embedded, or PostgreSQL with GINKO_TEST_STORE=postgres): balanced
// entries only, balances equal to the sum of postings, running balances chained, customer accounts never
// below zero unless explicitly allowed; the store's post_journal_entry refuses what the code refuses.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { INTERNAL_ACCOUNTS, ensureInternalAccounts } from '../src/bank/internal-accounts.ts';
import { InsufficientFundsError, postJournalEntry, verifyLedger, type JournalEntryInput } from '../src/bank/ledger.ts';
import { openStore, type Store } from '../src/store/db.ts';
import { createScratchDatabase, type ScratchDatabase } from './support/postgres.ts';

let store: Store;
let database: ScratchDatabase | undefined;
const ALICE = '100010000001';
const BOB = '100010000002';
const CLEARING = INTERNAL_ACCOUNTS.zenginClearing.accountId;
const CASH = INTERNAL_ACCOUNTS.atmCash.accountId;
const FEES = INTERNAL_ACCOUNTS.feeIncome.accountId;
const day = (iso: string) => new Date(iso);

before(async () => {
  database = process.env.GINKO_TEST_STORE === 'postgres' ? await createScratchDatabase() : undefined;
  store = await openStore(database ? { databaseUrl: database.url } : { inMemory: true });
  const opened = day('2025-01-01T00:00:00Z');
  await ensureInternalAccounts(store.db, opened);
  await store.db
    .insertInto('customers')
    .values({ customer_id: 'c-ledger', login_id: 'ledger', password_hash: 'unused', name: '台帳 太郎', name_kana: 'ﾀﾞｲﾁﾖｳ ﾀﾛｳ' })
    .execute();
  await store.db
    .insertInto('accounts')
    .values(
      [ALICE, BOB].map((accountId, i) => ({
        account_id: accountId,
        kind: 'customer' as const,
        customer_id: 'c-ledger',
        branch_code: '100',
        branch_name: '本店営業部',
        account_type_code: '01',
        account_type_name: '普通預金（有利息）',
        account_number: accountId.slice(5),
        account_name: '台帳　太郎',
        account_name_kana: 'ﾀﾞｲﾁﾖｳ ﾀﾛｳ',
        primary_account_code: i === 0 ? ('1' as const) : ('2' as const),
        currency_code: 'JPY',
        transfer_limit_amount_yen: null,
        balance_yen: 0,
        opened_at: opened,
      })),
    )
    .execute();
});

after(async () => {
  await store?.close();
  await database?.drop();
});

async function balanceOf(accountId: string): Promise<number> {
  const row = await store.db.selectFrom('accounts').select('balance_yen').where('account_id', '=', accountId).executeTakeFirstOrThrow();
  return row.balance_yen;
}

async function entryCount(): Promise<number> {
  const row = await store.db.selectFrom('journal_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function entry(bookedAt: string, postings: JournalEntryInput['postings'], extra: Partial<JournalEntryInput> = {}): JournalEntryInput {
  const at = day(bookedAt);
  return { bookedAt: at, valueDate: '2025-04-01', description: 'test', postings, ...extra };
}

test('a balanced entry moves money, records running balances and the JST transaction date', async () => {
  // 2025-03-31T15:30Z is 2025-04-01 00:30 in Tokyo.
  const posted = await postJournalEntry(
    store.db,
    entry('2025-03-31T15:30:00Z', [
      { accountId: ALICE, amountYen: 300_000, remarks: 'ｷﾕｳﾖ ｶ)ｷﾞﾝｺｳｼﾖｳｼﾞ' },
      { accountId: CLEARING, amountYen: -300_000, remarks: 'ｷﾕｳﾖ ｶ)ｷﾞﾝｺｳｼﾖｳｼﾞ' },
    ]),
  );
  assert.deepEqual(posted.balancesAfterYen, [300_000, -300_000]);
  assert.equal(await balanceOf(ALICE), 300_000);
  assert.equal(await balanceOf(CLEARING), -300_000, 'internal accounts may go negative');
  const postings = await store.db.selectFrom('postings').selectAll().where('entry_id', '=', posted.entryId).orderBy('posting_id').execute();
  assert.equal(postings.length, 2);
  assert.equal(postings[0]!.transaction_date, '2025-04-01');
  assert.equal(postings[0]!.balance_after_yen, 300_000);
  assert.deepEqual(await verifyLedger(store.db), []);
});

test('several postings to one account in one entry (a transfer and its fee) chain their balances', async () => {
  const posted = await postJournalEntry(
    store.db,
    entry('2025-04-01T03:00:00Z', [
      { accountId: ALICE, amountYen: -10_000, remarks: 'ﾌﾘｺﾐ ｻｲﾄｳ ﾕｳｷ' },
      { accountId: CLEARING, amountYen: 10_000, remarks: 'ﾌﾘｺﾐ ｻｲﾄｳ ﾕｳｷ' },
      { accountId: ALICE, amountYen: -145, remarks: 'ﾃｽｳﾘﾖｳ' },
      { accountId: FEES, amountYen: 145, remarks: 'ﾃｽｳﾘﾖｳ' },
    ]),
  );
  assert.deepEqual(posted.balancesAfterYen, [290_000, -290_000, 289_855, 145]);
  assert.equal(await balanceOf(ALICE), 289_855);
  assert.deepEqual(await verifyLedger(store.db), []);
});

test('unbalanced, zero, fractional, unsafe or one-sided entries are refused before anything is written', async () => {
  const before = await entryCount();
  const bad: Array<JournalEntryInput['postings']> = [
    [{ accountId: ALICE, amountYen: 100, remarks: 'x' }, { accountId: CASH, amountYen: -99, remarks: 'x' }],
    [{ accountId: ALICE, amountYen: 0, remarks: 'x' }, { accountId: CASH, amountYen: 0, remarks: 'x' }],
    [{ accountId: ALICE, amountYen: 0.5, remarks: 'x' }, { accountId: CASH, amountYen: -0.5, remarks: 'x' }],
    [{ accountId: ALICE, amountYen: 2 ** 53, remarks: 'x' }, { accountId: CASH, amountYen: -(2 ** 53), remarks: 'x' }],
    [{ accountId: ALICE, amountYen: Number.NaN, remarks: 'x' }, { accountId: CASH, amountYen: Number.NaN, remarks: 'x' }],
    [{ accountId: ALICE, amountYen: 100, remarks: 'x' }],
    [{ accountId: ALICE, amountYen: 100, remarks: '' }, { accountId: CASH, amountYen: -100, remarks: 'x' }],
  ];
  for (const postings of bad) {
    await assert.rejects(postJournalEntry(store.db, entry('2025-04-02T00:00:00Z', postings)), { name: 'AssertionError' }, JSON.stringify(postings));
  }
  await assert.rejects(postJournalEntry(store.db, entry('2025-04-02T00:00:00Z', [{ accountId: ALICE, amountYen: 1, remarks: 'x' }, { accountId: CASH, amountYen: -1, remarks: 'x' }], { valueDate: '2025-02-30' })), { name: 'AssertionError' });
  await assert.rejects(postJournalEntry(store.db, entry('2025-04-02T00:00:00Z', [{ accountId: ALICE, amountYen: 1, remarks: 'x' }, { accountId: '999999999999', amountYen: -1, remarks: 'x' }])), /unknown account/);
  assert.equal(await entryCount(), before);
  assert.deepEqual(await verifyLedger(store.db), []);
});

test('a customer account never goes below zero unless the entry allows it', async () => {
  const before = await entryCount();
  const withdrawal = (yen: number) => [
    { accountId: ALICE, amountYen: -yen, remarks: 'ATM ﾋｷﾀﾞｼ' },
    { accountId: CASH, amountYen: yen, remarks: 'ATM ﾋｷﾀﾞｼ' },
  ];
  const balance = await balanceOf(ALICE);
  await assert.rejects(postJournalEntry(store.db, entry('2025-04-02T01:00:00Z', withdrawal(balance + 1))), (error: unknown) => {
    assert.ok(error instanceof InsufficientFundsError);
    assert.equal(error.accountId, ALICE);
    assert.equal(error.balanceAfterYen, -1);
    return true;
  });
  assert.equal(await entryCount(), before, 'nothing written');
  assert.equal(await balanceOf(ALICE), balance);

  await postJournalEntry(store.db, entry('2025-04-02T01:00:00Z', withdrawal(balance)));
  assert.equal(await balanceOf(ALICE), 0, 'down to exactly zero is fine');
  await postJournalEntry(store.db, entry('2025-04-02T02:00:00Z', withdrawal(5_000), { allowNegativeCustomerBalance: true }));
  assert.equal(await balanceOf(ALICE), -5_000, 'an agreed overdraft');
  await postJournalEntry(store.db, entry('2025-04-02T03:00:00Z', withdrawal(-5_000)));
  assert.deepEqual(await verifyLedger(store.db), []);
});

test("an account's postings stay in date order", async () => {
  await assert.rejects(
    postJournalEntry(store.db, entry('2025-03-01T00:00:00Z', [{ accountId: ALICE, amountYen: 1, remarks: 'x' }, { accountId: CASH, amountYen: -1, remarks: 'x' }])),
    /already has postings after/,
  );
});

test('concurrent entries on the same accounts all land, and balances stay the sum of postings', async () => {
  await postJournalEntry(
    store.db,
    entry('2025-04-03T00:00:00Z', [
      { accountId: ALICE, amountYen: 100_000, remarks: 'ﾆﾕｳｷﾝ' },
      { accountId: BOB, amountYen: 100_000, remarks: 'ﾆﾕｳｷﾝ' },
      { accountId: CASH, amountYen: -200_000, remarks: 'ﾆﾕｳｷﾝ' },
    ]),
  );
  const [aliceBefore, bobBefore] = [await balanceOf(ALICE), await balanceOf(BOB)];
  // Half go Alice→Bob and half Bob→Alice, so each locks the two accounts from opposite ends.
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => {
      const [from, to] = i % 2 ? [ALICE, BOB] : [BOB, ALICE];
      return postJournalEntry(store.db, entry('2025-04-03T01:00:00Z', [{ accountId: from, amountYen: -(1_000 + i), remarks: 'ﾌﾘｶｴ' }, { accountId: to, amountYen: 1_000 + i, remarks: 'ﾌﾘｶｴ' }]));
    }),
  );
  const sentByAlice = Array.from({ length: 20 }, (_, i) => (i % 2 ? 1_000 + i : -(1_000 + i))).reduce((a, b) => a + b, 0);
  assert.equal(await balanceOf(ALICE), aliceBefore - sentByAlice);
  assert.equal(await balanceOf(BOB), bobBefore + sentByAlice);
  assert.deepEqual(await verifyLedger(store.db), []);
});

test('the store refuses an unbalanced, one-sided or unknown-account entry even when the code is bypassed', async () => {
  const before = await entryCount();
  const direct = (postings: JournalEntryInput['postings']) =>
    sql`select * from post_journal_entry(${day('2025-04-03T02:00:00Z')}, ${'2025-04-03'}::date, ${'direct'}, ${JSON.stringify(postings)}::jsonb, false)`.execute(store.db);
  await assert.rejects(direct([{ accountId: ALICE, amountYen: 100, remarks: 'x' }, { accountId: CASH, amountYen: -99, remarks: 'x' }]), /sum to zero/);
  await assert.rejects(direct([{ accountId: ALICE, amountYen: 0, remarks: 'x' }, { accountId: CASH, amountYen: 0, remarks: 'x' }]), /non-zero/);
  await assert.rejects(direct([{ accountId: ALICE, amountYen: 1, remarks: 'x' }]), /2 to 100 postings/);
  await assert.rejects(direct([{ accountId: ALICE, amountYen: 1, remarks: 'x' }, { accountId: '999999999999', amountYen: -1, remarks: 'x' }]), /unknown account/);
  await assert.rejects(direct([{ accountId: ALICE, amountYen: -(await balanceOf(ALICE)) - 1, remarks: 'x' }, { accountId: CASH, amountYen: (await balanceOf(ALICE)) + 1, remarks: 'x' }]), /would go negative/);
  assert.equal(await entryCount(), before);
  assert.deepEqual(await verifyLedger(store.db), []);
});

test("postJournalEntry joins the caller's transaction and rolls back with it", async () => {
  const before = await balanceOf(ALICE);
  await assert.rejects(
    store.db.transaction().execute(async (trx) => {
      await postJournalEntry(trx, entry('2025-04-04T00:00:00Z', [{ accountId: ALICE, amountYen: 777, remarks: 'x' }, { accountId: CASH, amountYen: -777, remarks: 'x' }]));
      assert.equal((await trx.selectFrom('accounts').select('balance_yen').where('account_id', '=', ALICE).executeTakeFirstOrThrow()).balance_yen, before + 777);
      throw new Error('abort the transfer');
    }),
    /abort the transfer/,
  );
  assert.equal(await balanceOf(ALICE), before);
});

test('verifyLedger finds a drifted balance, a broken chain and an unbalanced entry', async () => {
  await assert.rejects(
    store.db.transaction().execute(async (trx) => {
      await trx.updateTable('accounts').set({ balance_yen: 1 }).where('account_id', '=', BOB).execute();
      const { entry_id } = await trx.insertInto('journal_entries').values({ booked_at: day('2025-04-05T00:00:00Z'), value_date: '2025-04-05', description: 'forged' }).returning('entry_id').executeTakeFirstOrThrow();
      await trx
        .insertInto('postings')
        .values({ entry_id, account_id: ALICE, amount_yen: 50, balance_after_yen: 1, booked_at: day('2025-04-05T00:00:00Z'), transaction_date: '2025-04-05', value_date: '2025-04-05', remarks: 'forged' })
        .execute();
      const kinds = new Set((await verifyLedger(trx)).map((violation) => violation.kind));
      assert.deepEqual([...kinds].sort(), ['balance-differs-from-postings', 'entry-without-postings', 'running-balance-broken', 'unbalanced-entry']);
      throw new Error('roll back the forgery');
    }),
    /roll back the forgery/,
  );
  assert.deepEqual(await verifyLedger(store.db), []);
});
