// The scopes a TPP may ask for, with the words the consent page uses for each.

export interface ScopeDescription {
  ja: string;
  en: string;
}

export const SCOPES: ReadonlyMap<string, ScopeDescription> = new Map([
  ['openid', { ja: 'あなたがこの銀行の顧客であることの確認', en: 'Confirm that you are a customer of this bank' }],
  ['accounts', { ja: '選んだ口座の口座情報・残高・入出金明細の照会', en: 'Read the details, balances and transaction history of the accounts you choose' }],
  ['transfers', { ja: '選んだ口座からの振込の依頼（振込ごとに、この銀行の画面であなたの承認が必要です）', en: 'Request transfers from the accounts you choose (each transfer needs your approval on this bank’s page)' }],
  ['offline_access', { ja: 'あなたが操作していない間も上記の照会を続けること（同意の期限まで）', en: 'Keep reading the above while you are away (until the consent expires)' }],
]);

/** The scope the bank account APIs require. */
export const ACCOUNTS_SCOPE = 'accounts';

/** The scope the transfer APIs require; each transfer is still approved on its own (取引認証). */
export const TRANSFERS_SCOPE = 'transfers';
