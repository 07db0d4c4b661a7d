// The customer-facing pages of the authorization flow: login, consent, and the error page shown
// when a request cannot be sent back to the TPP. Japanese by default, English on request.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { html } from '../web/html.ts';
import { languageSwitch, page, type Language } from '../web/layout.ts';
import { csrfField } from '../web/csrf.ts';
import { PAGE_CONTENT_SECURITY_POLICY } from '../web/security-headers.ts';
import { passkeyForm, passkeyScriptTag } from '../web/passkey-script.ts';
import { SCOPES } from './scopes.ts';
import { LOGIN_TEXT } from '../web/login-text.ts';

export interface AccountChoice {
  accountId: string;
  label: string;
}

const TEXT = {
  ja: {
    ...LOGIN_TEXT.ja,
    loginTitle: 'ログイン',
    loginLead: (tpp: string) => `${tpp} があなたの口座への接続を求めています。まず銀行にログインしてください。`,
    transferLoginLead: (tpp: string) => `${tpp} から振込の承認を求められています。まず銀行にログインしてください。次の画面で振込の内容を確かめます。`,
    passkeyLogin: 'パスキーでログイン',
    passwordHeading: 'パスワードでログイン',
    passwordLead: 'パスキーをお持ちでない方は、ログインID、パスワードと認証アプリのワンタイムパスワードを入力してください。',
    cancel: 'やめる',
    passkeyFailed: 'パスキーを確認できませんでした。もう一度お試しください。',
    passkeyCancelled: 'パスキーの操作が完了しませんでした。もう一度お試しください。',
    passkeyUnsupported: 'このブラウザーではパスキーを使えません。',
    passkeyRequired: (tpp: string) => `${tpp} はパスキーでのログインを求めています。`,
    noMethod: (tpp: string) => `${tpp} が求めるログイン方法は、この銀行では使えません。`,
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
    ...LOGIN_TEXT.en,
    loginTitle: 'Log in',
    loginLead: (tpp: string) => `${tpp} asks to connect to your accounts. First log in to the bank.`,
    transferLoginLead: (tpp: string) => `${tpp} asks you to approve a transfer. First log in to the bank; the next page shows the transfer.`,
    passkeyLogin: 'Log in with a passkey',
    passwordHeading: 'Log in with a password',
    passwordLead: 'No passkey yet? Enter your login ID, password and the one-time code from your authenticator app.',
    cancel: 'Cancel',
    passkeyFailed: 'The passkey could not be verified. Please try again.',
    passkeyCancelled: 'The passkey step did not complete. Please try again.',
    passkeyUnsupported: 'This browser cannot use passkeys.',
    passkeyRequired: (tpp: string) => `${tpp} requires a login with a passkey.`,
    noMethod: (tpp: string) => `${tpp} asks for a kind of login this bank does not offer.`,
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

/** Why the login page is shown again. */
export type LoginProblem = { kind: 'credentials' } | { kind: 'passkey' } | { kind: 'throttled'; until: Date; locked: boolean };

export function loginPage(input: {
  lang: Language;
  uid: string;
  csrf: string;
  tppName: string;
  loginId?: string;
  problem?: LoginProblem;
  forTransfer?: boolean;
  /** WebAuthn options for a passkey login; absent when the TPP requires a level a passkey does not give. */
  passkeyOptions?: object;
  /** False when the TPP requires a passkey (an essential `acr`, auth/acr.ts). */
  passwordAllowed?: boolean;
}): string {
  const t = TEXT[input.lang];
  const path = `/interaction/${input.uid}`;
  const hidden = html`<input type="hidden" name="lang" value="${input.lang}">${csrfField(input.csrf)}`;
  const passwordAllowed = input.passwordAllowed ?? true;
  return page({
    lang: input.lang,
    title: t.loginTitle,
    body: html`<h1>${t.loginTitle}</h1>
<p>${input.forTransfer ? t.transferLoginLead(input.tppName) : t.loginLead(input.tppName)}</p>
${input.problem ? html`<p class="error" role="alert">${loginProblemText(input.problem, input.lang)}</p>` : ''}
${!passwordAllowed && input.passkeyOptions ? html`<p class="notice">${t.passkeyRequired(input.tppName)}</p>` : ''}
${!passwordAllowed && !input.passkeyOptions ? html`<p class="error" role="alert">${t.noMethod(input.tppName)}</p>` : ''}
${
  input.passkeyOptions
    ? passkeyForm({
        purpose: 'login',
        action: `${path}/passkey`,
        options: input.passkeyOptions,
        hidden,
        button: t.passkeyLogin,
        cancelled: t.passkeyCancelled,
        unsupported: t.passkeyUnsupported,
      })
    : ''
}
${
  passwordAllowed
    ? html`<section aria-labelledby="password-login"><h2 id="password-login">${t.passwordHeading}</h2>
<p class="muted">${t.passwordLead}</p>
<form method="post" action="${path}/login" autocomplete="on">
${hidden}
<label for="loginId">${t.loginId}</label>
<input type="text" id="loginId" name="loginId" required autocomplete="username" value="${input.loginId ?? ''}">
<label for="password">${t.password}</label>
<input type="password" id="password" name="password" required autocomplete="current-password">
<label for="totp">${t.totp}</label>
<input type="text" id="totp" name="totp" required inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code">
<p><button class="secondary" type="submit">${t.login}</button></p>
</form></section>`
    : ''
}
<form method="post" action="${path}/refuse"><input type="hidden" name="lang" value="${input.lang}">${csrfField(input.csrf)}<button class="secondary" type="submit">${t.cancel}</button></form>
${languageSwitch(input.lang, path)}
${input.passkeyOptions ? passkeyScriptTag() : ''}`,
  });
}

/** Times on the login page: Japan time, to the second (a back-off lasts seconds). */
function jstTime(date: Date, lang: Language): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: 'Asia/Tokyo', timeStyle: 'medium' }).format(date) + (lang === 'ja' ? '' : ' JST');
}

function loginProblemText(problem: LoginProblem, lang: Language): string {
  const t = TEXT[lang];
  if (problem.kind === 'credentials') return t.badLogin;
  if (problem.kind === 'passkey') return t.passkeyFailed;
  return problem.locked ? t.locked(jstTime(problem.until, lang)) : t.backoff(jstTime(problem.until, lang));
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
