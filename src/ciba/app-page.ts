// The sandbox's "bank app" page (CIBA's authentication device): the requests TPPs started for this customer,
// each with the TPP, what it asks for in words, the binding message to compare with the TPP's app, the
// accounts to share, and approve or deny. Server-rendered, escaped by construction, no script.
import { SCOPES } from '../auth/scopes.ts';
import { APPROVALS_PATH, myPage } from '../customer/pages.ts';
import type { DepositAccount } from '../bank/accounts.ts';
import { accountLabel } from '../bank/accounts.ts';
import { csrfField } from '../web/csrf.ts';
import { html } from '../web/html.ts';
import type { Language } from '../web/layout.ts';
import { asksForAccounts, type DecisionOutcome, type PendingApproval } from './approvals.ts';

/** A request lives minutes: the time of day in Japan is what the customer needs. */
const ANSWER_BY = new Intl.DateTimeFormat('ja-JP', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });

const TEXT = {
  ja: {
    title: '承認待ちのリクエスト',
    lead: '連携サービスが、あなたの承認を求めています。サービスの画面に表示された確認コードと同じであることを確かめてから承認してください。',
    none: '承認待ちのリクエストはありません。',
    registration: '電子決済等代行業者 登録番号',
    binding: '確認コード',
    asks: '求めている内容',
    accounts: '共有する口座',
    until: '有効期限',
    approve: '承認する',
    deny: '拒否する',
    outcomes: {
      approved: '承認しました。連携サービスに結果が届きます。',
      denied: '拒否しました。',
      gone: 'このリクエストは、すでに処理済みか期限切れです。',
      accounts_required: '共有する口座を1つ以上選んでください。',
    } satisfies Record<DecisionOutcome, string>,
  },
  en: {
    title: 'Requests waiting for you',
    lead: 'These services ask for your approval. Approve only if the code matches the one the service shows you.',
    none: 'No requests are waiting.',
    registration: 'Registration number (電子決済等代行業者)',
    binding: 'Code',
    asks: 'It asks to',
    accounts: 'Accounts to share',
    until: 'Answer by',
    approve: 'Approve',
    deny: 'Deny',
    outcomes: {
      approved: 'Approved. The service receives the result.',
      denied: 'Denied.',
      gone: 'This request was already answered or has expired.',
      accounts_required: 'Choose at least one account to share.',
    } satisfies Record<DecisionOutcome, string>,
  },
} as const;

export function approvalsPage(input: { lang: Language; csrf: string; pending: PendingApproval[]; accounts: DepositAccount[]; outcome?: DecisionOutcome | undefined }): string {
  const t = TEXT[input.lang];
  return myPage({
    ...input,
    path: APPROVALS_PATH,
    title: t.title,
    body: html`${input.outcome ? html`<p class="notice" role="status">${t.outcomes[input.outcome]}</p>` : ''}
<p>${t.lead}</p>
${input.pending.length === 0 ? html`<p>${t.none}</p>` : input.pending.map((request) => approvalForm(request, input))}`,
  });
}

function approvalForm(request: PendingApproval, input: { lang: Language; csrf: string; accounts: DepositAccount[] }) {
  const t = TEXT[input.lang];
  const headingId = `request-${request.authReqId}`;
  return html`<section class="grant" aria-labelledby="${headingId}">
<h2 id="${headingId}">${request.tppName}</h2>
<dl class="facts">
${request.tppRegistrationNumber ? html`<dt>${t.registration}</dt><dd>${request.tppRegistrationNumber}</dd>` : ''}
<dt>${t.binding}</dt><dd><strong>${request.bindingMessage}</strong></dd>
<dt>${t.asks}</dt><dd><ul class="scopes">${request.scopes.map((scope) => html`<li>${SCOPES.get(scope)?.[input.lang] ?? scope}</li>`)}</ul></dd>
<dt>${t.until}</dt><dd>${ANSWER_BY.format(request.expiresAt)}</dd>
</dl>
<form method="post" action="${APPROVALS_PATH}/${request.authReqId}">
<input type="hidden" name="lang" value="${input.lang}">${csrfField(input.csrf)}
${
  asksForAccounts(request.scopes)
    ? html`<fieldset><legend>${t.accounts}</legend>${input.accounts.map(
        (account) => html`<label><input type="checkbox" name="accountId" value="${account.accountId}"> ${accountLabel(account)}</label><br>`,
      )}</fieldset>`
    : ''
}
<button type="submit" name="decision" value="approve">${t.approve}</button>
<button type="submit" name="decision" value="deny">${t.deny}</button>
</form>
</section>`;
}
