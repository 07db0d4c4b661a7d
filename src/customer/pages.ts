// The customer's own pages: login (password and one-time code) and connected apps (連携サービス管理).
// Japanese by default, English on request; every form carries its CSRF token.
import { html, type Markup } from '../web/html.ts';
import { csrfField } from '../web/csrf.ts';
import { languageSwitch, page, type Language } from '../web/layout.ts';
import { SCOPES } from '../auth/scopes.ts';
import type { ConnectedApp } from './connected-apps.ts';
import { RECENT_ACCESS_PER_APP, type ApiAccess, type ApiOperation } from './recent-access.ts';
import type { SessionLimits } from './sessions.ts';
import { LOGIN_TEXT } from '../web/login-text.ts';

export const MY_PREFIX = '/my';
export const LOGIN_PATH = `${MY_PREFIX}/login`;
export const LOGOUT_PATH = `${MY_PREFIX}/logout`;
export const CONNECTED_APPS_PATH = `${MY_PREFIX}/connected-apps`;
export const REVOKE_PATH = `${CONNECTED_APPS_PATH}/revoke`;
export const PASSKEYS_PATH = `${MY_PREFIX}/passkeys`;
/** The bank app's CIBA approvals (ciba/app-routes.ts). */
export const APPROVALS_PATH = `${MY_PREFIX}/approvals`;


const TEXT = {
  ja: {
    ...LOGIN_TEXT.ja,
    loginTitle: 'ログイン',
    loginLead: '連携サービスやパスキーの管理には、ログインIDとパスワード、認証アプリのワンタイムパスワードが必要です。',
    sessionEnded: (idle: string, max: string) => `ログインの有効時間（操作がないまま${idle}、または通算${max}）が過ぎたため、ログアウトしました。もう一度ログインしてください。`,
    logout: 'ログアウト',
    appsTitle: '連携サービス管理',
    appsLead: 'あなたの口座へのアクセスを許可したサービスです。心当たりのないもの、使わなくなったものは解除してください。',
    none: '連携しているサービスはありません。',
    registration: '登録番号',
    can: 'できること',
    accounts: '口座',
    grantedAt: '許可した日時',
    lastUsedAt: '最終利用',
    neverUsed: 'まだ利用されていません',
    expiresAt: '有効期限',
    revoke: (tpp: string) => `${tpp} の連携を解除`,
    revokeNote: '解除すると、このサービスはすぐにあなたの口座を見られなくなります。',
    revoked: '連携を解除しました。このサービスはもうあなたの口座にアクセスできません。',
    recentAccess: (count: number) => `最近のアクセス（新しい順に最大${count}件）`,
    noAccess: 'まだアクセスはありません。',
    operations: {
      accounts: '口座一覧の照会',
      balances: '残高の照会',
      transactions: '入出金明細の照会',
      transferFee: '振込手数料の照会',
      transferRequest: '振込の依頼',
      transferResult: '振込結果の照会',
      transferStatus: '振込状況の照会',
      transferCancel: '振込の取消',
      other: 'その他の操作',
    } satisfies Record<ApiOperation, string>,
    results: { answered: '応じました', refused: '銀行が拒否しました', failed: 'エラーになりました' } satisfies Record<ApiAccess['result'], string>,
    passkeys: 'パスキー',
    approvals: '承認待ち',
  },
  en: {
    ...LOGIN_TEXT.en,
    loginTitle: 'Log in',
    loginLead: 'To manage connected apps and passkeys, log in with your login ID, password and the one-time code from your authenticator app.',
    sessionEnded: (idle: string, max: string) => `Your session has ended (${idle} without activity, or ${max} in all). Please log in again.`,
    logout: 'Log out',
    appsTitle: 'Connected apps',
    appsLead: 'These services may access your accounts. Disconnect any you do not recognise or no longer use.',
    none: 'No app is connected.',
    registration: 'Registration no.',
    can: 'Can',
    accounts: 'Accounts',
    grantedAt: 'Allowed on',
    lastUsedAt: 'Last used',
    neverUsed: 'Not used yet',
    expiresAt: 'Expires',
    revoke: (tpp: string) => `Disconnect ${tpp}`,
    revokeNote: 'Once disconnected, the app can no longer see your accounts, from this moment.',
    revoked: 'Disconnected. The app can no longer access your accounts.',
    recentAccess: (count: number) => `Recent access (up to ${count}, newest first)`,
    noAccess: 'No access yet.',
    operations: {
      accounts: 'Read the list of accounts',
      balances: 'Read balances',
      transactions: 'Read transactions',
      transferFee: 'Asked for a transfer fee',
      transferRequest: 'Requested a transfer',
      transferResult: 'Read a transfer’s result',
      transferStatus: 'Read a transfer’s status',
      transferCancel: 'Cancelled a transfer',
      other: 'Something else',
    } satisfies Record<ApiOperation, string>,
    results: { answered: 'answered', refused: 'refused by the bank', failed: 'failed' } satisfies Record<ApiAccess['result'], string>,
    passkeys: 'Passkeys',
    approvals: 'Waiting for you',
  },
} as const;

/** Times as the customer reads them: Japan time, to the minute. */
/** A session limit in words: whole minutes, or seconds when shorter. */
function duration(seconds: number, lang: Language): string {
  const minutes = seconds / 60;
  if (Number.isInteger(minutes)) return lang === 'ja' ? `${minutes}分` : `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return lang === 'ja' ? `${seconds}秒` : `${seconds} seconds`;
}

export function jstDateTime(date: Date, lang: Language, timeStyle: 'short' | 'medium' = 'short'): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: 'Asia/Tokyo', dateStyle: 'medium', timeStyle }).format(date) + (lang === 'ja' ? '' : ' JST');
}

function hiddenFields(lang: Language, csrf: string): Markup {
  return html`<input type="hidden" name="lang" value="${lang}">${csrfField(csrf)}`;
}

export function customerLoginPage(input: {
  lang: Language;
  csrf: string;
  sessionLimits: SessionLimits;
  loginId?: string;
  failed?: boolean;
  throttled?: { until: Date; locked: boolean };
  sessionEnded?: boolean;
}): string {
  const t = TEXT[input.lang];
  const until = input.throttled && jstDateTime(input.throttled.until, input.lang, 'medium');
  return page({
    lang: input.lang,
    title: t.loginTitle,
    body: html`<h1>${t.loginTitle}</h1>
<p>${t.loginLead}</p>
${input.failed ? html`<p class="error" role="alert">${t.badLogin}</p>` : ''}
${input.throttled && until ? html`<p class="error" role="alert">${input.throttled.locked ? t.locked(until) : t.backoff(until)}</p>` : ''}
${input.sessionEnded ? html`<p class="notice" role="status">${t.sessionEnded(duration(input.sessionLimits.idleSeconds, input.lang), duration(input.sessionLimits.maxSeconds, input.lang))}</p>` : ''}
<form method="post" action="${LOGIN_PATH}" autocomplete="on">
${hiddenFields(input.lang, input.csrf)}
<label for="loginId">${t.loginId}</label>
<input type="text" id="loginId" name="loginId" required autocomplete="username" autofocus value="${input.loginId ?? ''}">
<label for="password">${t.password}</label>
<input type="password" id="password" name="password" required autocomplete="current-password">
<label for="totp">${t.totp}</label>
<input type="text" id="totp" name="totp" required inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code">
<p><button class="primary" type="submit">${t.login}</button></p>
</form>
${languageSwitch(input.lang, LOGIN_PATH)}`,
  });
}

export function connectedAppsPage(input: { lang: Language; csrf: string; customerName: string; apps: ConnectedApp[]; revoked?: boolean }): string {
  const t = TEXT[input.lang];
  return myPage({
    ...input,
    path: CONNECTED_APPS_PATH,
    title: t.appsTitle,
    body: html`<p class="muted">${input.customerName}</p>
${input.revoked ? html`<p class="notice" role="status">${t.revoked}</p>` : ''}
<p>${t.appsLead}</p>
${input.apps.length === 0 ? html`<p>${t.none}</p>` : input.apps.map((app) => connectedApp(app, input.lang, input.csrf))}`,
  });
}

/** The frame of a page behind the customer's login: logout, the pages' links, the title, the language switch. */
export function myPage(input: { lang: Language; csrf: string; path: string; title: string; body: Markup }): string {
  return page({
    lang: input.lang,
    title: input.title,
    headerActions: logoutForm(input.lang, input.csrf),
    body: html`${myNav(input.lang, input.path)}<h1>${input.title}</h1>
${input.body}
${languageSwitch(input.lang, input.path)}`,
  });
}

/** The header's logout button of every page behind the login. */
export function logoutForm(lang: Language, csrf: string): Markup {
  return html`<form method="post" action="${LOGOUT_PATH}">${hiddenFields(lang, csrf)}<button type="submit">${TEXT[lang].logout}</button></form>`;
}

/** The customer's pages, as links; the current one marked for assistive technology. */
export function myNav(lang: Language, current: string): Markup {
  const t = TEXT[lang];
  const query = lang === 'en' ? '?lang=en' : '';
  const link = (path: string, label: string) => html`<a href="${path}${query}"${path === current ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<nav class="pages muted" aria-label="${lang === 'ja' ? 'マイページ' : 'My pages'}">${link(CONNECTED_APPS_PATH, t.appsTitle)} | ${link(PASSKEYS_PATH, t.passkeys)} | ${link(APPROVALS_PATH, t.approvals)}</nav>`;
}

function connectedApp(app: ConnectedApp, lang: Language, csrf: string): Markup {
  const t = TEXT[lang];
  const headingId = `app-${app.grantId}`;
  return html`<section class="grant" aria-labelledby="${headingId}">
<h2 id="${headingId}">${app.tppName}</h2>
<dl class="facts">
${app.registrationNumber ? html`<dt>${t.registration}</dt><dd>${app.registrationNumber}</dd>` : ''}
<dt>${t.can}</dt><dd><ul class="scopes">${app.scopes.map((scope) => html`<li>${SCOPES.get(scope)?.[lang] ?? scope}</li>`)}</ul></dd>
${app.accountLabels.length > 0 ? html`<dt>${t.accounts}</dt><dd>${app.accountLabels.map((label, i) => html`${i > 0 ? html`<br>` : ''}${label}`)}</dd>` : ''}
<dt>${t.grantedAt}</dt><dd>${jstDateTime(app.grantedAt, lang)}</dd>
<dt>${t.lastUsedAt}</dt><dd>${app.lastUsedAt ? jstDateTime(app.lastUsedAt, lang) : t.neverUsed}</dd>
<dt>${t.expiresAt}</dt><dd>${jstDateTime(app.expiresAt, lang)}</dd>
</dl>
<h3>${t.recentAccess(RECENT_ACCESS_PER_APP)}</h3>
${
  app.recentAccess.length === 0
    ? html`<p class="muted">${t.noAccess}</p>`
    : html`<ul class="access">${app.recentAccess.map(
        (access) => html`<li>${jstDateTime(access.at, lang)} — ${t.operations[access.operation]}${access.accountLabel ? (lang === 'ja' ? html`（${access.accountLabel}）` : html` (${access.accountLabel})`) : ''}: ${t.results[access.result]}</li>`,
      )}</ul>`
}
<form method="post" action="${REVOKE_PATH}">
${hiddenFields(lang, csrf)}
<input type="hidden" name="grantId" value="${app.grantId}">
<p class="muted">${t.revokeNote}</p>
<button class="danger" type="submit">${t.revoke(app.tppName)}</button>
</form>
</section>`;
}
