// The customer-facing pages of the authorization flow: login, consent, and the error page shown
// when a request cannot be sent back to the TPP. Japanese by default, English on request.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { html } from '../web/html.ts';
import { languageSwitch, page, type Language } from '../web/layout.ts';
import { csrfField } from '../web/csrf.ts';
import { PAGE_CONTENT_SECURITY_POLICY } from '../web/security-headers.ts';
import { SCOPES } from './scopes.ts';

export interface AccountChoice {
  accountId: string;
  label: string;
}

const TEXT = {
  ja: {
    loginTitle: 'ログイン',
    loginLead: (tpp: string) => `${tpp} があなたの口座への接続を求めています。まず銀行のログインIDとパスワードでログインしてください。`,
    transferLoginLead: (tpp: string) => `${tpp} から振込の承認を求められています。まず銀行のログインIDとパスワードでログインしてください。次の画面で振込の内容を確かめます。`,
    loginId: 'ログインID',
    password: 'パスワード',
    login: 'ログイン',
    cancel: 'やめる',
    badLogin: 'ログインIDまたはパスワードが正しくありません。',
    consentTitle: 'アクセスの許可',
    consentLead: (tpp: string) => `${tpp} が次のことを求めています。`,
    registration: '電子決済等代行業者 登録番号',
    accountsLegend: '共有する口座を選んでください',
    noAccount: '口座を1つ以上選んでください。',
    expiry: (date: string) => `この許可は ${date} まで有効です。いつでも取り消せます。`,
    approve: '許可する',
    refuse: '許可しない',
    errorTitle: 'リクエストを処理できませんでした',
    errorLead: '接続元のアプリに戻って、もう一度お試しください。',
  },
  en: {
    loginTitle: 'Log in',
    loginLead: (tpp: string) => `${tpp} asks to connect to your accounts. First log in with your bank login ID and password.`,
    transferLoginLead: (tpp: string) => `${tpp} asks you to approve a transfer. First log in with your bank login ID and password; the next page shows the transfer.`,
    loginId: 'Login ID',
    password: 'Password',
    login: 'Log in',
    cancel: 'Cancel',
    badLogin: 'The login ID or password is not correct.',
    consentTitle: 'Allow access',
    consentLead: (tpp: string) => `${tpp} asks to:`,
    registration: 'Registered as electronic payment intermediary, no.',
    accountsLegend: 'Choose the accounts to share',
    noAccount: 'Choose at least one account.',
    expiry: (date: string) => `This permission lasts until ${date}. You can withdraw it at any time.`,
    approve: 'Allow',
    refuse: 'Deny',
    errorTitle: 'The request could not be processed',
    errorLead: 'Go back to the app you came from and try again.',
  },
} as const;

export function loginPage(input: { lang: Language; uid: string; csrf: string; tppName: string; loginId?: string; failed?: boolean; forTransfer?: boolean }): string {
  const t = TEXT[input.lang];
  const path = `/interaction/${input.uid}`;
  return page({
    lang: input.lang,
    title: t.loginTitle,
    body: html`<h1>${t.loginTitle}</h1>
<p>${input.forTransfer ? t.transferLoginLead(input.tppName) : t.loginLead(input.tppName)}</p>
${input.failed ? html`<p class="error" role="alert">${t.badLogin}</p>` : ''}
<form method="post" action="${path}/login" autocomplete="on">
<input type="hidden" name="lang" value="${input.lang}">${csrfField(input.csrf)}
<label for="loginId">${t.loginId}</label>
<input type="text" id="loginId" name="loginId" required autocomplete="username" autofocus value="${input.loginId ?? ''}">
<label for="password">${t.password}</label>
<input type="password" id="password" name="password" required autocomplete="current-password">
<p><button class="primary" type="submit">${t.login}</button></p>
</form>
<form method="post" action="${path}/refuse"><input type="hidden" name="lang" value="${input.lang}">${csrfField(input.csrf)}<button class="secondary" type="submit">${t.cancel}</button></form>
${languageSwitch(input.lang, path)}`,
  });
}

export function consentPage(input: {
  lang: Language;
  uid: string;
  csrf: string;
  tppName: string;
  /** 電子決済等代行業者 登録番号 and logo (https or a checked data URL, tpp/logo.ts), when the TPP has them. */
  tppRegistrationNumber?: string | undefined;
  tppLogoUri?: string | undefined;
  scopes: string[];
  accounts: AccountChoice[];
  expiresOn: string;
  missingAccount?: boolean;
}): string {
  const t = TEXT[input.lang];
  const path = `/interaction/${input.uid}`;
  // Reading and requesting transfers are both limited to the accounts chosen here.
  const asksForAccounts = input.scopes.includes('accounts') || input.scopes.includes('transfers');
  return page({
    lang: input.lang,
    title: t.consentTitle,
    body: html`<h1>${t.consentTitle}</h1>
<div class="tpp">${input.tppLogoUri ? html`<img src="${input.tppLogoUri}" alt="" width="48" height="48">` : ''}<div><strong>${input.tppName}</strong>${
  input.tppRegistrationNumber ? html`<br><span class="muted">${t.registration}: ${input.tppRegistrationNumber}</span>` : ''
}</div></div>
<p>${t.consentLead(input.tppName)}</p>
<ul class="scopes">${input.scopes.map((scope) => html`<li>${SCOPES.get(scope)?.[input.lang] ?? scope}</li>`)}</ul>
${input.missingAccount ? html`<p class="error" role="alert">${t.noAccount}</p>` : ''}
<form method="post" action="${path}/consent">
<input type="hidden" name="lang" value="${input.lang}">${csrfField(input.csrf)}
${
  asksForAccounts
    ? html`<fieldset><legend>${t.accountsLegend}</legend>
${input.accounts.map(
  (account) =>
    html`<div class="account"><input type="checkbox" id="account-${account.accountId}" name="accountId" value="${account.accountId}"><label for="account-${account.accountId}">${account.label}</label></div>`,
)}
</fieldset>`
    : ''
}
<p class="muted">${t.expiry(input.expiresOn)}</p>
<p><button class="primary" type="submit">${t.approve}</button></p>
</form>
<form method="post" action="${path}/refuse"><input type="hidden" name="lang" value="${input.lang}">${csrfField(input.csrf)}<button class="secondary" type="submit">${t.refuse}</button></form>
${languageSwitch(input.lang, path)}`,
  });
}

export function errorPage(input: { lang: Language; error: string; description?: string | undefined }): string {
  const t = TEXT[input.lang];
  return page({
    lang: input.lang,
    title: t.errorTitle,
    body: html`<h1>${t.errorTitle}</h1>
<p class="error" role="alert"><strong>${input.error}</strong>${input.description ? html`: ${input.description}` : ''}</p>
<p>${t.errorLead}</p>`,
  });
}

/** oidc-provider's `renderError`: shown when an error cannot be returned to a verified redirect URI. */
export async function renderAuthorizationError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }): Promise<void> {
  ctx.type = 'html';
  ctx.set('content-security-policy', PAGE_CONTENT_SECURITY_POLICY);
  ctx.body = errorPage({ lang: 'ja', error: out.error, description: out.error_description });
}
