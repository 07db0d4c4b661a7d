// What a transfer is, independent of HTTP: the instruction a TPP gives, the refusals the bank can give,
// and the lifecycle states (the API maps them to GMO's transferStatus and resultCode).
import type { TransferState } from '../../store/schema.ts';
import type { ZenginAccountType } from '../zengin.ts';

export type { TransferState };

/** 振込 as instructed (one item, as the v1 API allows), already parsed from the API's strings. */
export interface TransferInstruction {
  accountId: string;
  remitterName?: string | undefined;
  designatedDate: string;
  /** When the date is not a business day and the payee is at another bank: 1 next, 2 previous business day, 3 refuse. */
  holidayCode: '1' | '2' | '3';
  amountYen: number;
  ediInfo?: string | undefined;
  beneficiaryBankCode: string;
  beneficiaryBankName?: string | undefined;
  beneficiaryBranchCode: string;
  beneficiaryBranchName?: string | undefined;
  beneficiaryAccountType: ZenginAccountType;
  beneficiaryAccountNumber: string;
  beneficiaryName: string;
}

export interface TransferProblem {
  /** A JSON pointer into the instruction as the API received it (`/transfers/0/beneficiaryName`). */
  path: string;
  message: string;
}

/** The instruction breaks a rule (Zengin, calendar, limits, unknown payee): nothing was written. */
export class TransferInputError extends Error {
  override name = 'TransferInputError';
  constructor(readonly problems: TransferProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  }
}

export type TransferRefusalReason =
  | 'unknown'
  | 'other-tpp'
  | 'other-customer'
  | 'not-awaiting-authorisation'
  | 'authorisation-expired'
  | 'details-mismatch'
  | 'not-cancellable';

/** An operation on an existing transfer is not allowed in its state or for this caller. */
export class TransferRefusedError extends Error {
  override name = 'TransferRefusedError';
  constructor(
    readonly reason: TransferRefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/** States in which the transfer will never move money (and never did). */
export const ENDED_UNEXECUTED: readonly TransferState[] = ['expired', 'rejected', 'withdrawn', 'cancelled', 'failed'];
