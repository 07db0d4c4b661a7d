// 振込依頼 and 振込手数料事前照会: the instruction checked against every rule (Zengin codes and names, the
// payee, the calendar, the cut-off, limits), planned (fee, execution date) and, for a request, stored
// awaiting the customer's approval. Nothing moves money here.
import { sql } from 'kysely';
import type { Db } from '../../store/db.ts';
import type { DepositAccount } from '../accounts.ts';
import { customerAccounts } from '../accounts.ts';
import { isCoveredByCalendar, isBusinessDay, nextBusinessDayAfter, rollToBusinessDay } from '../calendar.ts';
import { transferFeeYen, type FeeDestination } from '../fees.ts';
import { addDays, jstDate, jstInstant } from '../jst.ts';
import { EDI_INFO_LENGTH_MAX, normaliseZenginText, OWN_ACCOUNT_TYPES_BY_ZENGIN_TYPE } from '../zengin.ts';
import { ENDED_UNEXECUTED, TransferInputError, type TransferInstruction, type TransferProblem } from './model.ts';
import { newTransferNumber } from './numbers.ts';
import { otherBankByCode } from './other-banks.ts';
import type { TransferPolicy } from './policy.ts';

/** What the bank would do with the instruction. */
export interface TransferPlan {
  debitAccount: DepositAccount;
  remitterName: string;
  beneficiaryName: string;
  ediInfo: string | undefined;
  beneficiaryBankName: string;
  beneficiaryBranchName: string;
  /** The payee's account at this bank, or undefined for another bank. */
  payeeAccountId: string | undefined;
  destination: FeeDestination;
  feeYen: number;
  executionDate: string;
  /** Credited today (false after the cut-off or on a holiday for a bank outside モアタイム, or when future-dated). */
  sameDayCreditExpected: boolean;
}

const ITEM = '/transfers/0';

/**
 * Plans the instruction for the customer's consented accounts; throws TransferInputError listing every
 * problem found. `accountIds` are the accounts the customer shared with the TPP.
 */
export async function planTransfer(
  db: Db,
  policy: TransferPolicy,
  access: { customerId: string; accountIds: readonly string[] },
  instruction: TransferInstruction,
  now: Date,
): Promise<TransferPlan> {
  const problems: TransferProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });

  const [debitAccount] = access.accountIds.includes(instruction.accountId) ? await customerAccounts(db, access.customerId, [instruction.accountId]) : [];
  if (!debitAccount) throw new TransferInputError([{ path: '/accountId', message: 'the account is not one the customer shared with this TPP' }]);

  const zengin = (path: string, text: string, lengthMax?: number): string => {
    const result = normaliseZenginText(text, lengthMax);
    if (result.ok) return result.text;
    problem(path, result.message);
    return '';
  };
  const remitterName = zengin('/remitterName', instruction.remitterName || debitAccount.accountNameKana);
  const beneficiaryName = zengin(`${ITEM}/beneficiaryName`, instruction.beneficiaryName);
  const ediInfo = instruction.ediInfo ? zengin(`${ITEM}/ediInfo`, instruction.ediInfo, EDI_INFO_LENGTH_MAX) : undefined;

  if (debitAccount.transferLimitAmountYen !== undefined && instruction.amountYen > debitAccount.transferLimitAmountYen) {
    problem(`${ITEM}/transferAmount`, `exceeds the account's transfer limit of ${debitAccount.transferLimitAmountYen} yen`);
  }
  const today = jstDate(now);
  const spentToday = await transferredYenOn(db, debitAccount.accountId, today, 'requested_at');
  if (spentToday + instruction.amountYen > policy.dailyLimitYen) {
    problem(`${ITEM}/transferAmount`, `exceeds the daily transfer limit of ${policy.dailyLimitYen} yen (${spentToday} yen already requested today)`);
  }

  // The payee: an account of this bank, or a known other bank.
  const ownBank = instruction.beneficiaryBankCode === policy.ownBankCode;
  const otherBank = ownBank ? undefined : otherBankByCode(instruction.beneficiaryBankCode);
  let payeeAccountId: string | undefined;
  let beneficiaryBranchName = instruction.beneficiaryBranchName ?? '';
  const ownAccountTypes = OWN_ACCOUNT_TYPES_BY_ZENGIN_TYPE[instruction.beneficiaryAccountType];
  if (ownBank && ownAccountTypes.length === 0) {
    problem(`${ITEM}/accountTypeCode`, 'this bank has no accounts of that 預金種目');
  } else if (ownBank) {
    const payee = await db
      .selectFrom('accounts')
      .select(['account_id', 'branch_name'])
      .where('kind', '=', 'customer')
      .where('branch_code', '=', instruction.beneficiaryBranchCode)
      .where('account_number', '=', instruction.beneficiaryAccountNumber)
      .where('account_type_code', 'in', ownAccountTypes)
      .executeTakeFirst();
    if (!payee) problem(`${ITEM}/accountNumber`, 'no such account at this bank (branch, account type and number)');
    else if (payee.account_id === debitAccount.accountId) problem(`${ITEM}/accountNumber`, 'the payee is the debit account itself');
    else {
      payeeAccountId = payee.account_id;
      beneficiaryBranchName = payee.branch_name ?? beneficiaryBranchName;
    }
  } else if (!otherBank) {
    problem(`${ITEM}/beneficiaryBankCode`, 'unknown bank code (金融機関情報エラー)');
  }
  const destination: FeeDestination = !ownBank ? 'otherBank' : instruction.beneficiaryBranchCode === debitAccount.branchCode ? 'sameBranch' : 'otherBranch';

  // The date: not in the past, not too far ahead, and on a business day where Zengin clearing needs one.
  let executionDate = instruction.designatedDate;
  if (instruction.designatedDate < today) problem('/transferDesignatedDate', 'is in the past');
  else if (instruction.designatedDate > addDays(today, policy.futureDaysMax)) problem('/transferDesignatedDate', `is more than ${policy.futureDaysMax} days ahead`);
  else if (!isCoveredByCalendar(instruction.designatedDate)) problem('/transferDesignatedDate', 'is beyond the bank calendar');
  else if (otherBank) {
    const realTime = otherBank.moreTime && instruction.designatedDate === today;
    if (!realTime) {
      let wanted = instruction.designatedDate;
      if (wanted === today) wanted = earliestClearingDate(policy, now);
      if (!isBusinessDay(wanted)) {
        if (instruction.holidayCode === '3') problem('/transferDesignatedDate', 'is not a business day (transferDateHolidayCode 3)');
        else if (instruction.holidayCode === '2') wanted = rollToBusinessDay(wanted, 'previous');
        else wanted = rollToBusinessDay(wanted, 'next');
      }
      if (wanted < today) problem('/transferDesignatedDate', 'the previous business day is in the past (transferDateHolidayCode 2)');
      executionDate = wanted;
    }
  }
  if (problems.length > 0) throw new TransferInputError(problems);
  return {
    debitAccount,
    remitterName,
    beneficiaryName,
    ediInfo,
    beneficiaryBankName: ownBank ? policy.ownBankName : otherBank!.bankName,
    beneficiaryBranchName,
    payeeAccountId,
    destination,
    feeYen: transferFeeYen(policy.fees, destination, instruction.amountYen),
    executionDate,
    sameDayCreditExpected: executionDate === today,
  };
}

/**
 * The first day Zengin clearing can credit a bank outside モアタイム for a transfer made at `now`: today when it
 * is a business day before the cut-off, else the next business day.
 */
export function earliestClearingDate(policy: TransferPolicy, now: Date): string {
  const today = jstDate(now);
  const cutOff = jstInstant(today, policy.cutOffJst.hours, policy.cutOffJst.minutes);
  return isBusinessDay(today) && now < cutOff ? today : nextBusinessDayAfter(today);
}

/**
 * The day the transfer runs, seen at approval: never before today, and for a bank outside モアタイム never
 * before clearing can take it (a transfer requested before the cut-off and approved after it waits).
 */
export function executionDateAtApproval(transfer: { beneficiary_bank_code: string; execution_date: string }, policy: TransferPolicy, now: Date): string {
  const today = jstDate(now);
  const otherBank = transfer.beneficiary_bank_code === policy.ownBankCode ? undefined : otherBankByCode(transfer.beneficiary_bank_code);
  const earliest = otherBank && !otherBank.moreTime ? earliestClearingDate(policy, now) : today;
  return transfer.execution_date > earliest ? transfer.execution_date : earliest;
}

/**
 * Yen of the account's transfers requested (or approved) on a JST date that have not ended unexecuted,
 * other than `exceptApplyNo`: what the daily limit counts.
 */
export async function transferredYenOn(db: Db, accountId: string, date: string, by: 'requested_at' | 'authorised_at', exceptApplyNo?: string): Promise<number> {
  return Number((await transferredYenOnQuery(db, accountId, date, by, exceptApplyNo).executeTakeFirstOrThrow()).sum_yen);
}

/** transferredYenOn as a query, to read it with others in one round trip. */
export function transferredYenOnQuery(db: Db, accountId: string, date: string, by: 'requested_at' | 'authorised_at', exceptApplyNo?: string) {
  let query = db
    .selectFrom('transfers')
    .select(sql<number>`coalesce(sum(transfer_amount_yen), 0)::bigint`.as('sum_yen'))
    .where('account_id', '=', accountId)
    .where('status', 'not in', ENDED_UNEXECUTED)
    .where(by, '>=', jstInstant(date))
    .where(by, '<', jstInstant(addDays(date, 1)));
  if (exceptApplyNo !== undefined) query = query.where('apply_no', '<>', exceptApplyNo);
  return query;
}

export interface RequestedTransfer {
  applyNo: string;
  plan: TransferPlan;
  authorisationExpiresAt: Date;
}

/** Stores the planned transfer awaiting the customer's approval (依頼中). */
export async function requestTransfer(
  db: Db,
  policy: TransferPolicy,
  access: { customerId: string; clientId: string; accountIds: readonly string[] },
  instruction: TransferInstruction,
  now: Date,
): Promise<RequestedTransfer> {
  const plan = await planTransfer(db, policy, access, instruction, now);
  const applyNo = newTransferNumber();
  const authorisationExpiresAt = new Date(now.getTime() + policy.authorisationTtlSeconds * 1000);
  await db
    .insertInto('transfers')
    .values({
      apply_no: applyNo,
      client_id: access.clientId,
      customer_id: access.customerId,
      account_id: plan.debitAccount.accountId,
      remitter_name: plan.remitterName,
      transfer_amount_yen: instruction.amountYen,
      fee_yen: plan.feeYen,
      beneficiary_bank_code: instruction.beneficiaryBankCode,
      beneficiary_bank_name: plan.beneficiaryBankName,
      beneficiary_branch_code: instruction.beneficiaryBranchCode,
      beneficiary_branch_name: plan.beneficiaryBranchName,
      beneficiary_account_type: instruction.beneficiaryAccountType,
      beneficiary_account_number: instruction.beneficiaryAccountNumber,
      beneficiary_name: plan.beneficiaryName,
      edi_info: plan.ediInfo ?? null,
      payee_account_id: plan.payeeAccountId ?? null,
      designated_date: instruction.designatedDate,
      execution_date: plan.executionDate,
      status: 'awaiting_authorisation',
      requested_at: now,
      authorisation_expires_at: authorisationExpiresAt,
    })
    .execute();
  return { applyNo, plan, authorisationExpiresAt };
}
