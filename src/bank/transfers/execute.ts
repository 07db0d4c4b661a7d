// Moving a transfer's money: the transfer entry (customer → payee at this bank, or → the Zengin clearing
// account) and the fee entry (customer → fee income), posted in the caller's transaction together with
// the transfer's new state, so a transfer is applied fully or not at all. Funds are what the balance
// leaves after every other reservation's hold. The statements of an execution are prepared once per
// PostgreSQL connection (store/prepared-statements.ts): parsing and planning them was most of their cost.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Db } from '../../store/db.ts';
import { preparedQuery } from '../../store/prepared-statements.ts';
import type { TransfersTable } from '../../store/schema.ts';
import { INTERNAL_ACCOUNTS } from '../internal-accounts.ts';
import { jstDate } from '../jst.ts';
import { postJournalEntry } from '../ledger.ts';
import { newTransferNumber } from './numbers.ts';
import { transferredYenOnQuery } from './request.ts';

type TransferRow = Omit<TransfersTable, 'totp_failures'> & { totp_failures: number };

/** 摘要 of the entries, in the Zengin half-width form banks print. */
const REMARKS_PREFIX = 'ﾌﾘｺﾐ ';
const FEE_REMARKS = 'ﾌﾘｺﾐﾃｽｳﾘﾖｳ';
const REMARKS_MAX_LENGTH = 48;

/** Locks the transfer's row; every change to a transfer starts here, so its state changes one at a time. */
export async function lockTransfer(trx: Db, applyNo: string): Promise<TransferRow | undefined> {
  assert.ok(trx.isTransaction, 'a transfer is locked inside a transaction');
  const locked = await trx.executeQuery(preparedQuery(trx.selectFrom('transfers').selectAll().where('apply_no', '=', applyNo).forUpdate().compile()));
  return locked.rows[0];
}

/**
 * Claims the earliest transfer in `status` that is due (`column` at or before `upTo`), locked until the
 * transaction ends. SKIP LOCKED: several nodes share the work, and each transfer is claimed by exactly one.
 */
export async function claimDueTransfer(trx: Db, due: { status: 'reserved'; executionDateUpTo: string } | { status: 'in_clearing'; authorisedUpTo: Date }): Promise<TransferRow | undefined> {
  assert.ok(trx.isTransaction, 'a transfer is claimed inside a transaction');
  let query = trx.selectFrom('transfers').selectAll().where('status', '=', due.status);
  query = 'executionDateUpTo' in due ? query.where('execution_date', '<=', due.executionDateUpTo).orderBy('execution_date') : query.where('authorised_at', '<=', due.authorisedUpTo).orderBy('authorised_at');
  return query.orderBy('apply_no').limit(1).forUpdate().skipLocked().executeTakeFirst();
}

/** Yen held by the account's reservations (予約中), other than `exceptApplyNo`. */
export async function heldYen(db: Db, accountId: string, exceptApplyNo?: string): Promise<number> {
  return Number((await heldYenQuery(db, accountId, exceptApplyNo).executeTakeFirstOrThrow()).held_yen);
}

function heldYenQuery(db: Db, accountId: string, exceptApplyNo?: string) {
  let query = db
    .selectFrom('transfers')
    .select(sql<number>`coalesce(sum(transfer_amount_yen + fee_yen), 0)::bigint`.as('held_yen'))
    .where('account_id', '=', accountId)
    .where('status', '=', 'reserved');
  if (exceptApplyNo !== undefined) query = query.where('apply_no', '<>', exceptApplyNo);
  return query;
}

/** Where the transfer's amount goes: the payee's account at this bank, or the Zengin clearing account. */
export function creditAccountOf(transfer: Pick<TransferRow, 'payee_account_id'>): string {
  return transfer.payee_account_id ?? INTERNAL_ACCOUNTS.zenginClearing.accountId;
}

/** What an execution's checks read with the transfer's accounts locked. */
export interface LockedFunds {
  /** The debit account's balance less the holds of its other reservations. */
  availableYen: number;
  /** Yen of the account's other transfers approved on `today` (the daily limit counts them). */
  approvedTodayYen: number;
}

/**
 * Locks the accounts an execution touches, then reads what its checks need. Two statements: a read in
 * the locking statement would see only what committed before it waited for the locks, and would miss a
 * concurrent approval of the same account (its daily limit and its holds).
 */
export async function lockFunds(trx: Db, transfer: TransferRow, today: string): Promise<LockedFunds> {
  const balanceYen = await lockAccounts(trx, transfer);
  const read = await trx.executeQuery(
    preparedQuery(
      trx
        .selectNoFrom([
          heldYenQuery(trx, transfer.account_id, transfer.apply_no).as('held_yen'),
          transferredYenOnQuery(trx, transfer.account_id, today, 'authorised_at', transfer.apply_no).as('approved_yen'),
        ])
        .compile(),
    ),
  );
  const { held_yen: heldYenRead, approved_yen: approvedYen } = read.rows[0]!;
  return { availableYen: balanceYen - Number(heldYenRead), approvedTodayYen: Number(approvedYen) };
}

/** Locks the accounts an execution touches in account_id order (the ledger's order: no deadlocks) and returns the debit balance. */
async function lockAccounts(trx: Db, transfer: TransferRow): Promise<number> {
  const creditAccountId = creditAccountOf(transfer);
  // The fee account only when there is a fee: locking it always made every execution wait for every
  // other one (one hot row; bench scenario 5).
  const feeAccount = transfer.fee_yen > 0 ? [INTERNAL_ACCOUNTS.feeIncome.accountId] : [];
  const ids = [...new Set([transfer.account_id, creditAccountId, ...feeAccount])].sort();
  const { rows } = await trx.executeQuery(preparedQuery(trx.selectFrom('accounts').select(['account_id', 'balance_yen']).where('account_id', 'in', ids).orderBy('account_id').forUpdate().compile()));
  assert.equal(rows.length, ids.length, `transfer ${transfer.apply_no} names an unknown account`);
  return rows.find((row) => row.account_id === transfer.account_id)!.balance_yen;
}

/** Whether the account can pay the transfer and its fee now, after the holds of other reservations. */
export function affordable(funds: LockedFunds, transfer: TransferRow): boolean {
  return funds.availableYen >= transfer.transfer_amount_yen + transfer.fee_yen;
}

/**
 * What an approval decided, written with the transfer's outcome in the one update that ends the approval
 * (for a reservation run by the scheduler, the values it already has).
 */
export function approvalOf(transfer: TransferRow) {
  return { authorised_at: transfer.authorised_at, accept_no: transfer.accept_no, execution_date: transfer.execution_date };
}

export type ExecutionOutcome = 'completed' | 'in_clearing' | 'failed';

/**
 * Executes the locked transfer now, in `trx`: posts both entries and records them, or marks it 手続不成立
 * when the funds are not there. The caller has locked its funds (lockFunds) and checked that it may run.
 */
export async function executeLockedTransfer(trx: Db, transfer: TransferRow, funds: LockedFunds, now: Date): Promise<ExecutionOutcome> {
  const creditAccountId = creditAccountOf(transfer);
  const acceptNo = transfer.accept_no ?? newTransferNumber();
  if (!affordable(funds, transfer)) return failTransfer(trx, transfer, INSUFFICIENT_FUNDS, now);
  const valueDate = jstDate(now);
  const debit = await postJournalEntry(trx, {
    bookedAt: now,
    valueDate,
    description: `transfer ${transfer.apply_no}`,
    postings: [
      { accountId: transfer.account_id, amountYen: -transfer.transfer_amount_yen, remarks: remarks(transfer.beneficiary_name) },
      { accountId: creditAccountId, amountYen: transfer.transfer_amount_yen, remarks: remarks(transfer.remitter_name) },
    ],
  });
  const fee =
    transfer.fee_yen > 0
      ? await postJournalEntry(trx, {
          bookedAt: now,
          valueDate,
          description: `transfer fee ${transfer.apply_no}`,
          postings: [
            { accountId: transfer.account_id, amountYen: -transfer.fee_yen, remarks: FEE_REMARKS },
            { accountId: INTERNAL_ACCOUNTS.feeIncome.accountId, amountYen: transfer.fee_yen, remarks: FEE_REMARKS },
          ],
        })
      : undefined;
  const status = transfer.payee_account_id ? 'completed' : 'in_clearing';
  const { numAffectedRows } = await trx.executeQuery(
    preparedQuery(
      trx
        .updateTable('transfers')
        .set({
          ...approvalOf(transfer),
          status,
          accept_no: acceptNo,
          debit_entry_id: debit.entryId,
          fee_entry_id: fee?.entryId ?? null,
          ...(status === 'completed' ? { ended_at: now } : {}),
        })
        .where('apply_no', '=', transfer.apply_no)
        .where('debit_entry_id', 'is', null)
        .compile(),
    ),
  );
  // Exactly once: a transfer that already has its entry is never posted again.
  assert.equal(numAffectedRows, 1n, `transfer ${transfer.apply_no} was already executed`);
  return status;
}

export const INSUFFICIENT_FUNDS = 'insufficient funds (残高不足)';

/** Ends the transfer 手続不成立 with nothing posted. */
export async function failTransfer(trx: Db, transfer: TransferRow, reason: string, now: Date): Promise<'failed'> {
  await trx
    .updateTable('transfers')
    .set({ ...approvalOf(transfer), status: 'failed', ended_at: now, failure_reason: reason })
    .where('apply_no', '=', transfer.apply_no)
    .execute();
  return 'failed';
}

export function remarks(name: string): string {
  return `${REMARKS_PREFIX}${name}`.slice(0, REMARKS_MAX_LENGTH);
}
