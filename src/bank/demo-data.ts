// Seeds the sandbox with demo customers and a year of their history, once. The history is planned in
// memory (demo-history.ts) and written with bulk inserts in one transaction: a few thousand postings one
// entry at a time would take far longer on the embedded store, and the plan already carries every
// running balance. The result satisfies the same invariants as postJournalEntry (see verifyLedger).
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';
import { DEMO_CUSTOMERS } from './demo-customers.ts';
import { planDemoBank } from './demo-history.ts';
import { enrolDemoTotp } from './demo-totp.ts';
import { ensureInternalAccounts } from './internal-accounts.ts';
import { jstDate } from './jst.ts';
import { hashPassword } from './passwords.ts';

/** The demo customers and their sign-in details (loginId, password, customerId). */
export { DEMO_CUSTOMERS } from './demo-customers.ts';

/** Rows per INSERT: postings have 9 columns, so 1000 rows stay well under PostgreSQL's 65535 parameters. */
const INSERT_BATCH_ROWS = 1000;

export interface SeedResult {
  /** False when the store already had customers and nothing was written. */
  seeded: boolean;
  customers: number;
  accounts: number;
  entries: number;
  postings: number;
}

/** Fresh ids from a serial column's own sequence, in ascending order. */
async function nextIds(db: Db, table: 'journal_entries' | 'postings', column: 'entry_id' | 'posting_id', count: number): Promise<number[]> {
  if (count === 0) return [];
  const { rows } = await sql<{ id: number }>`SELECT nextval(pg_get_serial_sequence(${table}, ${column})) AS id FROM generate_series(1, ${count})`.execute(db);
  return rows.map((row) => Number(row.id)).sort((a, b) => a - b);
}

async function hasCustomers(db: Db): Promise<boolean> {
  return (await db.selectFrom('customers').select('customer_id').limit(1).executeTakeFirst()) !== undefined;
}

async function insertInBatches<T>(rows: readonly T[], insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_BATCH_ROWS) await insert(rows.slice(start, start + INSERT_BATCH_ROWS));
}

/**
 * Creates the demo customers, their accounts and about a year of history ending at `now`, unless the
 * store already has customers. Deterministic for a given `now`.
 */
export async function seedDemoBank(db: Db, options: { now?: Date } = {}): Promise<SeedResult> {
  const notSeeded: SeedResult = { seeded: false, customers: 0, accounts: 0, entries: 0, postings: 0 };
  if (await hasCustomers(db)) {
    // A store seeded before transfers existed gets the demo second factor now.
    await enrolDemoTotp(db);
    return notSeeded;
  }
  const now = options.now ?? new Date();
  const plan = planDemoBank(now);
  const passwordHashes = await Promise.all(DEMO_CUSTOMERS.map((customer) => hashPassword(customer.password)));

  return db.transaction().execute(async (trx) => {
    // Two nodes starting on one empty database must not both seed it: the second finds customers here.
    await sql`SELECT pg_advisory_xact_lock(hashtext('ginko.seedDemoBank'))`.execute(trx);
    if (await hasCustomers(trx)) return notSeeded;
    // The plan's balances start from zero; a ledger with history but no customers is not ours to add to.
    const anyPosting = await trx.selectFrom('postings').select('posting_id').limit(1).executeTakeFirst();
    assert.equal(anyPosting, undefined, 'the store has postings but no customers: refusing to seed demo data into it');

    const opened = plan.entries[0]?.bookedAt ?? now;
    await ensureInternalAccounts(trx, opened);
    await trx
      .insertInto('customers')
      .values(
        DEMO_CUSTOMERS.map((customer, i) => ({
          customer_id: customer.customerId,
          login_id: customer.loginId,
          password_hash: passwordHashes[i]!,
          name: customer.name,
          name_kana: customer.nameKana,
        })),
      )
      .execute();
    await trx
      .insertInto('accounts')
      .values(
        plan.accounts.map((account) => ({
          account_id: account.accountId,
          kind: 'customer' as const,
          customer_id: account.customerId,
          branch_code: account.branchCode,
          branch_name: account.branchName,
          account_type_code: account.accountTypeCode,
          account_type_name: account.accountTypeName,
          account_number: account.accountNumber,
          account_name: account.accountName,
          account_name_kana: account.accountNameKana,
          primary_account_code: account.primaryAccountCode,
          currency_code: 'JPY',
          transfer_limit_amount_yen: account.transferLimitAmountYen,
          balance_yen: 0,
          opened_at: opened,
        })),
      )
      .execute();

    const entryIds = await nextIds(trx, 'journal_entries', 'entry_id', plan.entries.length);
    const postingCount = plan.entries.reduce((sum, entry) => sum + entry.postings.length, 0);
    const postingIds = await nextIds(trx, 'postings', 'posting_id', postingCount);
    const entryRows = plan.entries.map((entry, i) => ({
      entry_id: entryIds[i]!,
      booked_at: entry.bookedAt,
      value_date: entry.valueDate,
      description: entry.description,
    }));
    let nextPosting = 0;
    const postingRows = plan.entries.flatMap((entry, i) =>
      entry.postings.map((posting) => ({
        posting_id: postingIds[nextPosting++]!,
        entry_id: entryIds[i]!,
        account_id: posting.accountId,
        amount_yen: posting.amountYen,
        balance_after_yen: posting.balanceAfterYen,
        booked_at: entry.bookedAt,
        transaction_date: jstDate(entry.bookedAt),
        value_date: entry.valueDate,
        remarks: posting.remarks,
      })),
    );
    await insertInBatches(entryRows, (batch) => trx.insertInto('journal_entries').values(batch).execute());
    await insertInBatches(postingRows, (batch) => trx.insertInto('postings').values(batch).execute());
    for (const [accountId, balanceYen] of plan.balancesYen) {
      const { numUpdatedRows } = await trx.updateTable('accounts').set({ balance_yen: balanceYen }).where('account_id', '=', accountId).executeTakeFirstOrThrow();
      assert.equal(numUpdatedRows, 1n, `planned account ${accountId} does not exist`);
    }
    await enrolDemoTotp(trx);
    return { seeded: true, customers: DEMO_CUSTOMERS.length, accounts: plan.accounts.length, entries: entryRows.length, postings: postingRows.length };
  });
}
