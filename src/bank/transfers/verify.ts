// The transfers' side of the ledger's invariants: an executed transfer has exactly its entries (the
// amount from the customer to the payee or the clearing account, the fee to fee income, and for a
// return the amount back), no entry serves two transfers, and a transfer that never ran has none.
// Like verifyLedger, it reports rather than throws; the tests assert it finds nothing.
import { sql } from 'kysely';
import type { Db } from '../../store/db.ts';
import { INTERNAL_ACCOUNTS } from '../internal-accounts.ts';

/** Cap on the rows one check reports. */
const VIOLATIONS_MAX = 100;

export interface TransferViolation {
  applyNo: string;
  detail: string;
}

/** The postings an entry should have, as "account:amount" sorted, compared with what it has. */
async function entryMismatches(db: Db, entryColumn: 'debit_entry_id' | 'fee_entry_id' | 'return_entry_id', expected: ReturnType<typeof sql<string>>): Promise<TransferViolation[]> {
  const rows = await db
    .selectFrom('transfers as t')
    .leftJoin('postings as p', 'p.entry_id', `t.${entryColumn}`)
    .select(['t.apply_no', sql<string>`string_agg(p.account_id || ':' || p.amount_yen, ' ' order by p.account_id, p.amount_yen)`.as('actual'), expected.as('expected')])
    .where(`t.${entryColumn}`, 'is not', null)
    .groupBy(['t.apply_no', 't.account_id', 't.payee_account_id', 't.transfer_amount_yen', 't.fee_yen'])
    .having(sql<boolean>`coalesce(string_agg(p.account_id || ':' || p.amount_yen, ' ' order by p.account_id, p.amount_yen), '') <> ${expected}`)
    .limit(VIOLATIONS_MAX)
    .execute();
  return rows.map((row) => ({ applyNo: row.apply_no, detail: `${entryColumn} has postings '${row.actual ?? ''}', expected '${row.expected}'` }));
}

/** Two postings in account_id order, as string_agg above renders them. */
function pair(fromAccount: ReturnType<typeof sql>, toAccount: ReturnType<typeof sql>, amount: ReturnType<typeof sql>) {
  return sql<string>`(select string_agg(a || ':' || y, ' ' order by a, y) from (values (${fromAccount}, -(${amount})), (${toAccount}, ${amount})) as v(a, y))`;
}

export async function verifyTransfers(db: Db): Promise<TransferViolation[]> {
  const creditAccount = sql`coalesce(t.payee_account_id, ${INTERNAL_ACCOUNTS.zenginClearing.accountId})`;
  const violations = [
    ...(await entryMismatches(db, 'debit_entry_id', pair(sql`t.account_id`, creditAccount, sql`t.transfer_amount_yen`))),
    ...(await entryMismatches(db, 'fee_entry_id', pair(sql`t.account_id`, sql`${INTERNAL_ACCOUNTS.feeIncome.accountId}`, sql`t.fee_yen`))),
    ...(await entryMismatches(db, 'return_entry_id', pair(sql`${INTERNAL_ACCOUNTS.zenginClearing.accountId}`, sql`t.account_id`, sql`t.transfer_amount_yen`))),
  ];
  const feeMissing = await db
    .selectFrom('transfers')
    .select('apply_no')
    .where('debit_entry_id', 'is not', null)
    .where((eb) => eb.or([eb.and([eb('fee_yen', '>', 0), eb('fee_entry_id', 'is', null)]), eb.and([eb('fee_yen', '=', 0), eb('fee_entry_id', 'is not', null)])]))
    .limit(VIOLATIONS_MAX)
    .execute();
  violations.push(...feeMissing.map((row) => ({ applyNo: row.apply_no, detail: 'executed without its fee entry (or with one for no fee)' })));
  const unexecutedWithEntries = await db
    .selectFrom('transfers')
    .select('apply_no')
    .where('debit_entry_id', 'is', null)
    .where((eb) => eb.or([eb('fee_entry_id', 'is not', null), eb('return_entry_id', 'is not', null)]))
    .limit(VIOLATIONS_MAX)
    .execute();
  violations.push(...unexecutedWithEntries.map((row) => ({ applyNo: row.apply_no, detail: 'never executed, yet has entries' })));
  const shared = await sql<{ entry_id: number }>`
    select entry_id from (
      select debit_entry_id as entry_id from transfers where debit_entry_id is not null
      union all select fee_entry_id from transfers where fee_entry_id is not null
      union all select return_entry_id from transfers where return_entry_id is not null
    ) as e group by entry_id having count(*) > 1 limit ${VIOLATIONS_MAX}`.execute(db);
  violations.push(...shared.rows.map((row) => ({ applyNo: '-', detail: `entry ${row.entry_id} serves more than one transfer` })));
  return violations;
}
