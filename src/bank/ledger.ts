// The ledger: money moves only as balanced double-entry journal entries. Each posting records the
// account's balance right after it, and accounts.balance_yen caches the sum of the account's postings;
// both are written in the same statement (post_journal_entry), under a row lock on every affected account.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';
import { preparedQuery } from '../store/prepared-statements.ts';
import { parseDate } from './jst.ts';

/** Bounds on one entry: a transfer with fees touches a handful of accounts, never hundreds. */
const POSTINGS_PER_ENTRY_MAX = 100;
const DESCRIPTION_MAX_LENGTH = 200;
/** 摘要 as banks print them is short; 48 is the longest Zengin-side name field (GMO remitterName). */
const REMARKS_MAX_LENGTH = 48;
/** Cap on the rows one verifyLedger check reports: enough to diagnose, bounded to read. */
const VIOLATIONS_PER_CHECK_MAX = 100;

export interface PostingInput {
  accountId: string;
  /** Positive: money into the account (入金); negative: out of it (出金). Never zero. */
  amountYen: number;
  /** 摘要 the account holder sees. */
  remarks: string;
}

export interface JournalEntryInput {
  bookedAt: Date;
  /** 起算日, 'YYYY-MM-DD'. */
  valueDate: string;
  description: string;
  postings: readonly PostingInput[];
  /** Lets a customer account end below zero (an agreed overdraft); off by default. Internal accounts always may. */
  allowNegativeCustomerBalance?: boolean;
}

export interface PostedEntry {
  entryId: number;
  /** Balance of each posting's account right after it, in the order of `postings`. */
  balancesAfterYen: number[];
}

/** A customer account would end below zero: the entry is refused and nothing is written. */
export class InsufficientFundsError extends Error {
  override name = 'InsufficientFundsError';
  constructor(
    readonly accountId: string,
    readonly balanceAfterYen: number,
  ) {
    super(`account ${accountId} would go negative (${balanceAfterYen} yen)`);
  }
}

/** Asserts what every entry must satisfy before it touches the store. */
export function assertBalancedEntry(entry: JournalEntryInput): void {
  assert.ok(Number.isFinite(entry.bookedAt.getTime()), 'bookedAt is not a valid instant');
  assert.ok(parseDate(entry.valueDate) !== undefined, `valueDate ${entry.valueDate} is not a calendar date`);
  assert.ok(entry.description.length > 0 && entry.description.length <= DESCRIPTION_MAX_LENGTH, 'description length out of range');
  assert.ok(entry.postings.length >= 2 && entry.postings.length <= POSTINGS_PER_ENTRY_MAX, 'an entry has 2 to 100 postings');
  let sumYen = 0;
  for (const posting of entry.postings) {
    assert.ok(Number.isSafeInteger(posting.amountYen) && posting.amountYen !== 0, `posting amount must be a non-zero safe integer, got ${posting.amountYen}`);
    assert.ok(posting.remarks.length > 0 && posting.remarks.length <= REMARKS_MAX_LENGTH, `remarks length out of range: '${posting.remarks}'`);
    sumYen += posting.amountYen;
    assert.ok(Number.isSafeInteger(sumYen), 'entry total exceeds the safe integer range');
  }
  assert.equal(sumYen, 0, 'journal entry postings must sum to zero');
}

/**
 * Posts one balanced entry atomically, in one statement (post_journal_entry, migration 0015: it locks the
 * accounts, checks the rules again in the store and writes everything). In the caller's transaction when
 * `db` is one, so a transfer can change its own state in the same commit.
 */
export async function postJournalEntry(db: Db, entry: JournalEntryInput): Promise<PostedEntry> {
  assertBalancedEntry(entry);
  const postings = JSON.stringify(entry.postings.map(({ accountId, amountYen, remarks }) => ({ accountId, amountYen, remarks })));
  const statement = sql<{ posted_entry_id: number; posted_balance_after_yen: number }>`
    select posted_entry_id, posted_balance_after_yen
    from post_journal_entry(${entry.bookedAt}, ${entry.valueDate}::date, ${entry.description}, ${postings}::jsonb, ${entry.allowNegativeCustomerBalance ?? false})`;
  const posted = await db
    .executeQuery(preparedQuery(statement.compile(db)))
    .catch((error: unknown) => {
      throw insufficientFunds(error) ?? error;
    });
  assert.equal(posted.rows.length, entry.postings.length, 'the store returned a balance per posting');
  return { entryId: posted.rows[0]!.posted_entry_id, balancesAfterYen: posted.rows.map((row) => row.posted_balance_after_yen) };
}

/** SQLSTATE post_journal_entry raises when a customer account would end below zero. */
const INSUFFICIENT_FUNDS_SQLSTATE = 'GK001';

function insufficientFunds(error: unknown): InsufficientFundsError | undefined {
  const { code, detail } = (error ?? {}) as { code?: unknown; detail?: unknown };
  if (code !== INSUFFICIENT_FUNDS_SQLSTATE || typeof detail !== 'string') return undefined;
  const { accountId, balanceAfterYen } = JSON.parse(detail) as { accountId: string; balanceAfterYen: number };
  return new InsufficientFundsError(accountId, balanceAfterYen);
}

export interface LedgerViolation {
  kind:
    | 'unbalanced-entry'
    | 'entry-without-postings'
    | 'posting-differs-from-entry'
    | 'balance-differs-from-postings'
    | 'running-balance-broken'
    | 'postings-out-of-date-order';
  /** The entry or account concerned. */
  subject: string;
  detail: string;
}

/** Every way the store can disagree with the ledger's invariants; empty when all hold. */
export async function verifyLedger(db: Db): Promise<LedgerViolation[]> {
  const violations: LedgerViolation[] = [];

  const unbalanced = await db
    .selectFrom('postings')
    .select(['entry_id', sql<number>`sum(amount_yen)::bigint`.as('sum_yen')])
    .groupBy('entry_id')
    .having(sql<boolean>`sum(amount_yen) <> 0`)
    .orderBy('entry_id')
    .limit(VIOLATIONS_PER_CHECK_MAX)
    .execute();
  for (const row of unbalanced) {
    violations.push({ kind: 'unbalanced-entry', subject: `entry ${row.entry_id}`, detail: `postings sum to ${row.sum_yen} yen` });
  }

  const bare = await db
    .selectFrom('journal_entries as e')
    .leftJoin('postings as p', 'p.entry_id', 'e.entry_id')
    .select(['e.entry_id', sql<number>`count(p.posting_id)`.as('postings')])
    .groupBy('e.entry_id')
    .having(sql<boolean>`count(p.posting_id) < 2`)
    .orderBy('e.entry_id')
    .limit(VIOLATIONS_PER_CHECK_MAX)
    .execute();
  for (const row of bare) {
    violations.push({ kind: 'entry-without-postings', subject: `entry ${row.entry_id}`, detail: `${row.postings} postings` });
  }

  // transaction_date is the JST (UTC+9) calendar date of booked_at.
  const mismatched = await db
    .selectFrom('postings as p')
    .innerJoin('journal_entries as e', 'e.entry_id', 'p.entry_id')
    .select(['p.posting_id', 'p.entry_id'])
    .where((eb) =>
      eb.or([
        eb('p.booked_at', '<>', eb.ref('e.booked_at')),
        eb('p.value_date', '<>', eb.ref('e.value_date')),
        eb('p.transaction_date', '<>', sql<string>`((p.booked_at AT TIME ZONE 'UTC') + interval '9 hours')::date`),
      ]),
    )
    .orderBy('p.posting_id')
    .limit(VIOLATIONS_PER_CHECK_MAX)
    .execute();
  for (const row of mismatched) {
    violations.push({
      kind: 'posting-differs-from-entry',
      subject: `posting ${row.posting_id}`,
      detail: `booked_at, value_date or transaction_date disagrees with entry ${row.entry_id}`,
    });
  }

  const drifted = await db
    .selectFrom('accounts as a')
    .leftJoin('postings as p', 'p.account_id', 'a.account_id')
    .select(['a.account_id', 'a.balance_yen', sql<number>`coalesce(sum(p.amount_yen), 0)::bigint`.as('sum_yen')])
    .groupBy(['a.account_id', 'a.balance_yen'])
    .having(sql<boolean>`a.balance_yen <> coalesce(sum(p.amount_yen), 0)`)
    .orderBy('a.account_id')
    .limit(VIOLATIONS_PER_CHECK_MAX)
    .execute();
  for (const row of drifted) {
    violations.push({
      kind: 'balance-differs-from-postings',
      subject: `account ${row.account_id}`,
      detail: `balance_yen ${row.balance_yen} but postings sum to ${row.sum_yen}`,
    });
  }

  const chained = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('postings')
        .select([
          'posting_id',
          'account_id',
          'amount_yen',
          'balance_after_yen',
          'transaction_date',
          sql<number>`coalesce(lag(balance_after_yen) over w, 0)`.as('previous_balance_yen'),
          sql<string | null>`lag(transaction_date) over w`.as('previous_transaction_date'),
        ])
        .modifyEnd(sql`window w as (partition by account_id order by posting_id)`)
        .as('c'),
    )
    .selectAll()
    .where((eb) =>
      eb.or([
        eb(sql`c.previous_balance_yen + c.amount_yen`, '<>', eb.ref('c.balance_after_yen')),
        eb('c.transaction_date', '<', eb.ref('c.previous_transaction_date')),
      ]),
    )
    .orderBy('c.posting_id')
    .limit(VIOLATIONS_PER_CHECK_MAX)
    .execute();
  for (const row of chained) {
    if (row.previous_balance_yen + row.amount_yen !== row.balance_after_yen) {
      violations.push({
        kind: 'running-balance-broken',
        subject: `account ${row.account_id}`,
        detail: `posting ${row.posting_id}: ${row.previous_balance_yen} + ${row.amount_yen} ≠ ${row.balance_after_yen}`,
      });
    }
    if (row.previous_transaction_date !== null && row.transaction_date < row.previous_transaction_date) {
      violations.push({
        kind: 'postings-out-of-date-order',
        subject: `account ${row.account_id}`,
        detail: `posting ${row.posting_id} dated ${row.transaction_date} follows one dated ${row.previous_transaction_date}`,
      });
    }
  }
  return violations;
}
