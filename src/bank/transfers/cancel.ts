// 振込取消依頼: a TPP withdraws a transfer still awaiting approval (振込申請取消), or cancels a
// future-dated one before its day (振込受付取消, which releases its hold). Nothing that has moved money
// can be cancelled; a returned or settled transfer is history.
import type { Db } from '../../store/db.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import { lockTransfer } from './execute.ts';
import { TransferRefusedError } from './model.ts';

export interface CancelRequest {
  applyNo: string;
  clientId: string;
  customerId: string;
  accountId: string;
}

export async function cancelTransfer(db: Db, request: CancelRequest, now: Date): Promise<'withdrawn' | 'cancelled'> {
  return inTransaction(db, async (trx) => {
    const transfer = await lockTransfer(trx, request.applyNo);
    // Another TPP's or customer's transfer is answered like a nonexistent one.
    if (!transfer || transfer.client_id !== request.clientId || transfer.customer_id !== request.customerId || transfer.account_id !== request.accountId) {
      throw new TransferRefusedError('unknown', 'there is no such transfer');
    }
    let status: 'withdrawn' | 'cancelled';
    if (transfer.status === 'awaiting_authorisation' && transfer.authorisation_expires_at > now) status = 'withdrawn';
    else if (transfer.status === 'reserved') status = 'cancelled';
    else throw new TransferRefusedError('not-cancellable', `a transfer in state ${transfer.status} cannot be cancelled`);
    await trx.updateTable('transfers').set({ status, ended_at: now }).where('apply_no', '=', request.applyNo).execute();
    return status;
  });
}
