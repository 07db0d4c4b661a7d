// Simulated Zengin clearing for transfers to other banks. The debit already credited the clearing
// account (手続中); after the policy's delay the receiving bank either accepts (手続済: the money stays
// with the clearing account, which settles with the other bank outside the ledger) or returns it
// (資金返却: clearing → customer, in its own entry; the fee is not refunded, as banks do).
import type { Db } from '../../store/db.ts';
import { INTERNAL_ACCOUNTS } from '../internal-accounts.ts';
import { jstDate } from '../jst.ts';
import { postJournalEntry } from '../ledger.ts';
import { claimDueTransfer, remarks } from './execute.ts';
import type { TransferPolicy } from './policy.ts';

/** Transfers settled per call: the scheduler calls again on its next tick. */
const SETTLEMENTS_PER_RUN_MAX = 100;
const RETURN_REMARKS = 'ｼｷﾝﾍﾝｷﾔｸ ';

/** Settles or returns one transfer in clearing whose delay has passed; false when there is none. */
export async function settleOneClearing(db: Db, policy: TransferPolicy, now: Date): Promise<boolean> {
  const readyBefore = new Date(now.getTime() - policy.clearingDelaySeconds * 1000);
  return db.transaction().execute(async (trx) => {
    const transfer = await claimDueTransfer(trx, { status: 'in_clearing', authorisedUpTo: readyBefore });
    if (!transfer) return false;
    if (!policy.clearingReturnAccountNumbers.includes(transfer.beneficiary_account_number)) {
      await trx.updateTable('transfers').set({ status: 'completed', ended_at: now }).where('apply_no', '=', transfer.apply_no).execute();
      return true;
    }
    const returned = await postJournalEntry(trx, {
      bookedAt: now,
      valueDate: jstDate(now),
      description: `transfer returned ${transfer.apply_no}`,
      postings: [
        { accountId: INTERNAL_ACCOUNTS.zenginClearing.accountId, amountYen: -transfer.transfer_amount_yen, remarks: remarks(transfer.beneficiary_name) },
        { accountId: transfer.account_id, amountYen: transfer.transfer_amount_yen, remarks: `${RETURN_REMARKS}${transfer.beneficiary_name}`.slice(0, 48) },
      ],
    });
    await trx
      .updateTable('transfers')
      .set({ status: 'returned', return_entry_id: returned.entryId, ended_at: now, failure_reason: 'returned by the receiving bank (口座なし)' })
      .where('apply_no', '=', transfer.apply_no)
      .execute();
    return true;
  });
}

export async function settleClearing(db: Db, policy: TransferPolicy, now: Date): Promise<number> {
  let settled = 0;
  while (settled < SETTLEMENTS_PER_RUN_MAX && (await settleOneClearing(db, policy, now))) settled++;
  return settled;
}
