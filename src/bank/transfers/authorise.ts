// 取引認証: the customer's approval of one transfer, bound to the TPP that requested it and to the
// customer whose account it debits. Approval executes the transfer (or books it 予約中) in the same
// transaction that records it, so it can happen only once; refusal, too many wrong codes or the end of
// the approval window end it unexecuted (resultCode 8).
import type { Db } from '../../store/db.ts';
import { jstDate } from '../jst.ts';
import { affordable, approvalOf, executeLockedTransfer, failTransfer, INSUFFICIENT_FUNDS, lockFunds, lockTransfer } from './execute.ts';
import { TransferRefusedError, type TransferState } from './model.ts';
import { newTransferNumber } from './numbers.ts';
import { DEFAULT_TRANSFER_POLICY, type TransferPolicy } from './policy.ts';
import { executionDateAtApproval } from './request.ts';

export interface ApprovalParty {
  applyNo: string;
  /** The TPP asking for the approval: must be the one that requested the transfer. */
  clientId: string;
}

/** The transfer awaiting approval, for the approval page; refuses any other state, TPP or a lapsed window. */
export async function transferAwaitingApproval(db: Db, party: ApprovalParty, now: Date) {
  const transfer = await db.selectFrom('transfers').selectAll().where('apply_no', '=', party.applyNo).executeTakeFirst();
  if (!transfer) throw new TransferRefusedError('unknown', 'there is no such transfer');
  if (transfer.client_id !== party.clientId) throw new TransferRefusedError('other-tpp', 'the transfer was requested by another TPP');
  if (transfer.status !== 'awaiting_authorisation') throw new TransferRefusedError('not-awaiting-authorisation', 'the transfer is not awaiting approval');
  if (transfer.authorisation_expires_at <= now) throw new TransferRefusedError('authorisation-expired', 'the time to approve the transfer has passed');
  return transfer;
}

/**
 * Runs `change` on the locked transfer when it is still awaiting this TPP's and customer's approval.
 * A lapsed window is recorded as expired (and committed) before the refusal is thrown.
 */
async function withAwaitingTransfer<T>(db: Db, party: ApprovalParty & { customerId: string }, now: Date, change: (trx: Db, transfer: NonNullable<Awaited<ReturnType<typeof lockTransfer>>>) => Promise<T>): Promise<T> {
  const outcome = await db.transaction().execute(async (trx) => {
    const transfer = await lockTransfer(trx, party.applyNo);
    if (!transfer) return new TransferRefusedError('unknown', 'there is no such transfer');
    if (transfer.client_id !== party.clientId) return new TransferRefusedError('other-tpp', 'the transfer was requested by another TPP');
    if (transfer.customer_id !== party.customerId) return new TransferRefusedError('other-customer', 'the transfer debits another customer’s account');
    if (transfer.status !== 'awaiting_authorisation') return new TransferRefusedError('not-awaiting-authorisation', 'the transfer is not awaiting approval');
    if (transfer.authorisation_expires_at <= now) {
      await endUnauthorised(trx, party.applyNo, 'expired', now);
      return new TransferRefusedError('authorisation-expired', 'the time to approve the transfer has passed');
    }
    return { value: await change(trx, transfer) };
  });
  if (outcome instanceof TransferRefusedError) throw outcome;
  return outcome.value;
}

export type ApprovalOutcome = Extract<TransferState, 'completed' | 'in_clearing' | 'reserved' | 'failed'>;

/** The customer approved with their second factor: execute now, or hold the money until the execution date. */
export async function approveTransfer(db: Db, party: ApprovalParty & { customerId: string }, now: Date, policy: TransferPolicy = DEFAULT_TRANSFER_POLICY): Promise<ApprovalOutcome> {
  return withAwaitingTransfer(db, party, now, async (trx, transfer) => {
    const today = jstDate(now);
    // Written with the outcome, in the one update that ends the approval.
    const authorised = { ...transfer, authorised_at: now, accept_no: newTransferNumber(), execution_date: executionDateAtApproval(transfer, policy, now) };
    // With the accounts locked, concurrent approvals see each other: the daily limit holds under load
    // (the request-time check cannot see requests racing it).
    const funds = await lockFunds(trx, authorised, today);
    if (funds.approvedTodayYen + transfer.transfer_amount_yen > policy.dailyLimitYen) return failTransfer(trx, authorised, `daily transfer limit of ${policy.dailyLimitYen} yen (1日の振込限度額超過)`, now);
    if (authorised.execution_date <= today) return executeLockedTransfer(trx, authorised, funds, now);
    // Future-dated: the money must be there now, and is held (withdrawableAmount) until the day.
    if (!affordable(funds, authorised)) return failTransfer(trx, authorised, INSUFFICIENT_FUNDS, now);
    await trx.updateTable('transfers').set({ ...approvalOf(authorised), status: 'reserved' }).where('apply_no', '=', transfer.apply_no).execute();
    return 'reserved';
  });
}

/** The customer refused on the bank's page: the transfer ends unexecuted (差戻). */
export async function rejectTransfer(db: Db, party: ApprovalParty & { customerId: string }, now: Date): Promise<void> {
  await withAwaitingTransfer(db, party, now, (trx) => endUnauthorised(trx, party.applyNo, 'rejected', now));
}

/** A wrong second-factor code; after the policy's limit the transfer is rejected. Returns whether it still awaits approval. */
export async function recordWrongCode(db: Db, party: ApprovalParty & { customerId: string }, attemptsMax: number, now: Date): Promise<boolean> {
  return withAwaitingTransfer(db, party, now, async (trx, transfer) => {
    const failures = transfer.totp_failures + 1;
    await trx.updateTable('transfers').set({ totp_failures: failures }).where('apply_no', '=', transfer.apply_no).execute();
    if (failures < attemptsMax) return true;
    await endUnauthorised(trx, transfer.apply_no, 'rejected', now, 'too many wrong one-time codes');
    return false;
  });
}

async function endUnauthorised(trx: Db, applyNo: string, status: 'expired' | 'rejected', now: Date, reason?: string): Promise<void> {
  await trx
    .updateTable('transfers')
    .set({ status, ended_at: now, failure_reason: reason ?? null })
    .where('apply_no', '=', applyNo)
    .where('status', '=', 'awaiting_authorisation')
    .execute();
}

/** Ends every transfer whose approval window has passed (the scheduler calls it; reads also see it at once). */
export async function expireLapsedApprovals(db: Db, now: Date): Promise<number> {
  const { numUpdatedRows } = await db
    .updateTable('transfers')
    .set({ status: 'expired', ended_at: now })
    .where('status', '=', 'awaiting_authorisation')
    .where('authorisation_expires_at', '<=', now)
    .executeTakeFirst();
  return Number(numUpdatedRows);
}
