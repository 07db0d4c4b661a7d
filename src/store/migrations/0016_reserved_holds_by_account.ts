// The held amount of a balance (future-dated transfers, bank/accounts.ts) sums an account's reserved
// transfers. With only transfers_by_account and transfers_reserved_by_date, PostgreSQL read every
// transfer of the account, or every reserved transfer of the bank, per balance: 1.3 ms for an account
// with 3,600 past transfers. This index holds just the reserved ones, with the amounts (index-only scan):
// 0.08 ms (bench scenario 1, bench/profiles.md).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX transfers_reserved_by_account ON transfers (account_id) INCLUDE (transfer_amount_yen, fee_yen) WHERE status = 'reserved'`.execute(db);
}
