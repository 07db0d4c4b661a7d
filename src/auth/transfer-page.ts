// The transfer approval page (取引認証): what exactly the customer approves — amount, fee, payee bank,
// branch, account type, number and name, date, and the account debited — and the one-time code from
// their authenticator that approves it.
import { ZENGIN_ACCOUNT_TYPES, type ZenginAccountType } from '../bank/zengin.ts';
import { html } from '../web/html.ts';
import { page, type Language } from '../web/layout.ts';
import { csrfField } from '../web/csrf.ts';
import { passkeyForm, passkeyScriptTag } from '../web/passkey-script.ts';

export interface TransferToApprove {
  applyNo: string;
  amountYen: number;
  feeYen: number;
  debitAccountLabel: string;
  remitterName: string;
  beneficiaryBankCode: string;
  beneficiaryBankName: string;
  beneficiaryBranchCode: string;
  beneficiaryBranchName: string;
  beneficiaryAccountType: string;
  beneficiaryAccountNumber: string;
  beneficiaryName: string;
  designatedDate: string;
  executionDate: string;
}

const TEXT = {
  ja: {
    title: '振込の承認',
    lead: (tpp: string) => `${tpp} から次の振込の依頼がありました。内容を確かめ、パスキーか認証アプリのワンタイムパスワードで承認してください。`,
    withPasskey: 'パスキーで承認する',
    orCode: 'ワンタイムパスワードで承認する',
    passkeyCancelled: 'パスキーの操作が完了しませんでした。もう一度お試しください。',
    passkeyUnsupported: 'このブラウザーではパスキーを使えません。ワンタイムパスワードで承認してください。',
    amount: '振込金額',
    fee: '振込手数料',
    total: 'お引き落とし合計',
    from: '出金口座',
    remitter: '振込依頼人',
    bank: '振込先金融機関',
    branch: '振込先支店',
    accountType: '預金種目',
    accountNumber: '口座番号',
    payee: '受取人名',
    date: '振込指定日',
    executionDate: '実行日',
    applyNo: '振込申請番号',
    code: 'ワンタイムパスワード（6桁）',
    badCode: 'パスキーまたはワンタイムパスワードを確認できませんでした。',
    approve: 'この振込を承認する',
    refuse: '承認しない',
    yen: (n: number) => `${n.toLocaleString('ja-JP')}円`,
  },
  en: {
    title: 'Approve a transfer',
    lead: (tpp: string) => `${tpp} asks you to make this transfer. Check it, then approve it with your passkey or the one-time code from your authenticator app.`,
    withPasskey: 'Approve with a passkey',
    orCode: 'Approve with a one-time code',
    passkeyCancelled: 'The passkey step did not complete. Please try again.',
    passkeyUnsupported: 'This browser cannot use passkeys. Approve with a one-time code.',
    amount: 'Amount',
    fee: 'Transfer fee',
    total: 'Total debited',
    from: 'From account',
    remitter: 'Remitter',
    bank: 'Payee bank',
    branch: 'Payee branch',
    accountType: 'Account type',
    accountNumber: 'Account number',
    payee: 'Payee name',
    date: 'Transfer date',
    executionDate: 'Executed on',
    applyNo: 'Application number',
    code: 'One-time code (6 digits)',
    badCode: 'The passkey or one-time code could not be verified.',
    approve: 'Approve this transfer',
    refuse: 'Do not approve',
    yen: (n: number) => `¥${n.toLocaleString('en-US')}`,
  },
} as const;

const ACCOUNT_TYPE_EN: Readonly<Record<ZenginAccountType, string>> = { '1': 'Ordinary', '2': 'Current', '4': 'Savings', '9': 'Other' };

function accountTypeName(code: string, lang: Language): string {
  if (!Object.hasOwn(ZENGIN_ACCOUNT_TYPES, code)) return code;
  return lang === 'ja' ? ZENGIN_ACCOUNT_TYPES[code as ZenginAccountType] : ACCOUNT_TYPE_EN[code as ZenginAccountType];
}

/** `passkeyOptions`: WebAuthn options for one of the customer's passkeys; absent when they have none. */
export function transferApprovalPage(input: { lang: Language; uid: string; csrf: string; tppName: string; transfer: TransferToApprove; wrongCode?: boolean; passkeyOptions?: object | undefined }): string {
  const t = TEXT[input.lang];
  const x = input.transfer;
  const path = `/interaction/${input.uid}`;
  const hidden = html`<input type="hidden" name="lang" value="${input.lang}"><input type="hidden" name="applyNo" value="${x.applyNo}">${csrfField(input.csrf)}`;
  const row = (label: string, value: string) => html`<tr><th scope="row">${label}</th><td>${value}</td></tr>`;
  return page({
    lang: input.lang,
    title: t.title,
    body: html`<h1>${t.title}</h1>
<p>${t.lead(input.tppName)}</p>
<table class="transfer">
${row(t.amount, t.yen(x.amountYen))}
${row(t.fee, t.yen(x.feeYen))}
${row(t.total, t.yen(x.amountYen + x.feeYen))}
${row(t.bank, `${x.beneficiaryBankName} (${x.beneficiaryBankCode})`)}
${row(t.branch, `${x.beneficiaryBranchName} (${x.beneficiaryBranchCode})`)}
${row(t.accountType, accountTypeName(x.beneficiaryAccountType, input.lang))}
${row(t.accountNumber, x.beneficiaryAccountNumber)}
${row(t.payee, x.beneficiaryName)}
${row(t.date, x.designatedDate)}
${x.executionDate !== x.designatedDate ? row(t.executionDate, x.executionDate) : ''}
${row(t.from, x.debitAccountLabel)}
${row(t.remitter, x.remitterName)}
${row(t.applyNo, x.applyNo)}
</table>
${input.wrongCode ? html`<p class="error" role="alert">${t.badCode}</p>` : ''}
${
  input.passkeyOptions
    ? passkeyForm({ purpose: 'approve', action: `${path}/approve-transfer`, options: input.passkeyOptions, hidden, button: t.withPasskey, cancelled: t.passkeyCancelled, unsupported: t.passkeyUnsupported })
    : ''
}
<form method="post" action="${path}/approve-transfer" autocomplete="off">
${hidden}
${input.passkeyOptions ? html`<h2>${t.orCode}</h2>` : ''}
<label for="totp">${t.code}</label>
<input type="text" id="totp" name="totp" required inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code">
<p><button class="${input.passkeyOptions ? 'secondary' : 'primary'}" type="submit">${t.approve}</button></p>
</form>
<form method="post" action="${path}/refuse"><input type="hidden" name="lang" value="${input.lang}">${csrfField(input.csrf)}<button class="secondary" type="submit">${t.refuse}</button></form>
${input.passkeyOptions ? passkeyScriptTag() : ''}`,
  });
}
