// Reading transfers back for the TPP that requested them: one by applyNo, or a page by date. A transfer
// whose approval window has passed reads as expired at once, even before the scheduler records it.
import type { Db } from '../../store/db.ts';
import type { TransfersTable } from '../../store/schema.ts';
import { addDays, jstInstant } from '../jst.ts';
import type { TransferState } from './model.ts';

export type TransferRecord = Omit<TransfersTable, 'totp_failures'> & { totp_failures: number };

/** The most transfers one status page holds. */
export const TRANSFER_PAGE_SIZE_MAX = 100;

export function currentState(transfer: TransferRecord, now: Date): TransferState {
  return transfer.status === 'awaiting_authorisation' && transfer.authorisation_expires_at <= now ? 'expired' : transfer.status;
}

/** The TPP's transfer from this customer's account; undefined for any other (one answer for all). */
export async function transferOf(db: Db, owner: { clientId: string; customerId: string; accountId: string }, applyNo: string): Promise<TransferRecord | undefined> {
  return db
    .selectFrom('transfers')
    .selectAll()
    .where('apply_no', '=', applyNo)
    .where('client_id', '=', owner.clientId)
    .where('customer_id', '=', owner.customerId)
    .where('account_id', '=', owner.accountId)
    .executeTakeFirst();
}

export interface TransferListQuery {
  clientId: string;
  customerId: string;
  accountId: string;
  dateFrom: string;
  dateTo: string;
  /** '1' by application date (JST), '2' by designated date. */
  term: '1' | '2';
  /** Internal states to include; status inquiry never shows transfers still awaiting approval. */
  states: readonly TransferState[];
  offset: number;
  pageSize: number;
}

export async function transferPage(db: Db, query: TransferListQuery): Promise<{ transfers: TransferRecord[]; hasNext: boolean }> {
  if (query.states.length === 0) return { transfers: [], hasNext: false };
  let select = db
    .selectFrom('transfers')
    .selectAll()
    .where('client_id', '=', query.clientId)
    .where('customer_id', '=', query.customerId)
    .where('account_id', '=', query.accountId)
    .where('status', 'in', query.states);
  select =
    query.term === '1'
      ? select.where('requested_at', '>=', jstInstant(query.dateFrom)).where('requested_at', '<', jstInstant(addDays(query.dateTo, 1))).orderBy('requested_at')
      : select.where('designated_date', '>=', query.dateFrom).where('designated_date', '<=', query.dateTo).orderBy('designated_date').orderBy('requested_at');
  const rows = await select.orderBy('apply_no').offset(query.offset).limit(query.pageSize + 1).execute();
  return { transfers: rows.slice(0, query.pageSize), hasNext: rows.length > query.pageSize };
}
