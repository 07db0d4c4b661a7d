// The bank's transfer rules in one place: its own bank code, fees, cut-off, how far ahead a transfer may
// be dated, limits, how long a customer has to approve, and the simulated clearing's behaviour.
import { DEFAULT_TRANSFER_FEES, type TransferFeeTable } from '../fees.ts';

export interface TransferPolicy {
  /** This bank's 統一金融機関コード; a transfer to it is credited inside the ledger. */
  ownBankCode: string;
  ownBankName: string;
  fees: TransferFeeTable;
  /** Same-day other-bank transfers to banks outside モアタイム must be authorised before this JST time. */
  cutOffJst: { hours: number; minutes: number };
  /** 振込指定日 at most this many calendar days ahead (予約振込). */
  futureDaysMax: number;
  /** Per account and JST day, over every transfer not ended unexecuted; the account's transferLimitAmount caps each one. */
  dailyLimitYen: number;
  /** Time the customer has to approve a requested transfer (取引認証); afterwards it expires (resultCode 8). */
  authorisationTtlSeconds: number;
  /** Wrong TOTP codes on one transfer before it is rejected. */
  totpAttemptsMax: number;
  /** Simulated Zengin clearing: seconds before an other-bank transfer is 手続済 (or returned). */
  clearingDelaySeconds: number;
  /** Simulated receiving banks return (資金返却) transfers to these account numbers, e.g. "no such account". */
  clearingReturnAccountNumbers: readonly string[];
}

export const DEFAULT_TRANSFER_POLICY: TransferPolicy = {
  ownBankCode: '0999',
  ownBankName: 'ｷﾞﾝｺｳ',
  fees: DEFAULT_TRANSFER_FEES,
  cutOffJst: { hours: 15, minutes: 30 },
  futureDaysMax: 30,
  dailyLimitYen: 10_000_000,
  authorisationTtlSeconds: 600,
  totpAttemptsMax: 5,
  clearingDelaySeconds: 0,
  clearingReturnAccountNumbers: ['9999999'],
};
