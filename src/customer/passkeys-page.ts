// The customer's passkeys (パスキー) under /my: the ones enrolled, with when each was last used, a form to add
// one on this device, and removal. Logging in here takes the password and one-time code, so a passkey is
// only ever added by someone who has both.
import { html, type Markup } from '../web/html.ts';
import { csrfField } from '../web/csrf.ts';
import { languageSwitch, page, type Language } from '../web/layout.ts';
import { passkeyForm, passkeyScriptTag } from '../web/passkey-script.ts';
import type { Passkey } from './passkeys.ts';

import { jstDateTime, PASSKEYS_PATH } from './pages.ts';

export const PASSKEY_REMOVE_PATH = `${PASSKEYS_PATH}/remove`;

/** What the last action did, shown once. */
export type PasskeyNotice = 'added' | 'removed' | 'failed';

const TEXT = {
  ja: {
    title: 'パスキー',
    lead: 'パスキーがあれば、パスワードとワンタイムパスワードの代わりに、この端末の指紋・顔認証・画面ロックでログインできます。パスキーは偽サイトでは使えません。',
    none: 'パスキーはまだありません。',
    createdAt: '登録日時',
    lastUsedAt: '最終利用',
    neverUsed: 'まだ使われていません',
    kind: '種類',
    synced: '同期パスキー（クラウドに保存）',
    deviceBound: 'この端末のみ',
    remove: (name: string) => `「${name}」を削除`,
    addHeading: 'この端末にパスキーを追加',
    name: 'パスキーの名前（例：自分のスマートフォン）',
    add: 'パスキーを追加',
    full: (max: number) => `パスキーは${max}個まで登録できます。追加するには、使わなくなったものを削除してください。`,
    cancelled: 'パスキーの登録が完了しませんでした。もう一度お試しください。',
    unsupported: 'このブラウザーではパスキーを使えません。',
    added: 'パスキーを追加しました。次回から、アプリとの連携や振込の承認でパスキーを使えます。',
    removed: 'パスキーを削除しました。',
    failed: 'パスキーを登録できませんでした。もう一度お試しください。',
  },
  en: {
    title: 'Passkeys',
    lead: "With a passkey you log in with this device's fingerprint, face or screen lock instead of a password and one-time code. A passkey does not work on a fake site.",
    none: 'You have no passkey yet.',
    createdAt: 'Added on',
    lastUsedAt: 'Last used',
    neverUsed: 'Not used yet',
    kind: 'Kind',
    synced: 'Synced passkey (kept in your cloud account)',
    deviceBound: 'This device only',
    remove: (name: string) => `Remove “${name}”`,
    addHeading: 'Add a passkey on this device',
    name: 'Name of the passkey (e.g. my phone)',
    add: 'Add a passkey',
    full: (max: number) => `You can have up to ${max} passkeys. Remove one you no longer use to add another.`,
    cancelled: 'The passkey was not added. Please try again.',
    unsupported: 'This browser cannot use passkeys.',
    added: 'Passkey added. From now on you can use it to connect apps and approve transfers.',
    removed: 'Passkey removed.',
    failed: 'The passkey could not be added. Please try again.',
  },
} as const;

export function passkeysPage(input: {
  lang: Language;
  csrf: string;
  passkeys: Passkey[];
  /** Registration options for a new passkey; absent when the customer has the most allowed. */
  enrolOptions: object | undefined;
  passkeysMax: number;
  notice?: PasskeyNotice | undefined;
  headerActions: Markup;
  nav: Markup;
}): string {
  const t = TEXT[input.lang];
  const hidden = html`<input type="hidden" name="lang" value="${input.lang}">${csrfField(input.csrf)}`;
  return page({
    lang: input.lang,
    title: t.title,
    headerActions: input.headerActions,
    body: html`${input.nav}<h1>${t.title}</h1>
${input.notice === 'failed' ? html`<p class="error" role="alert">${t.failed}</p>` : input.notice ? html`<p class="notice" role="status">${t[input.notice]}</p>` : ''}
<p>${t.lead}</p>
${input.passkeys.length === 0 ? html`<p>${t.none}</p>` : input.passkeys.map((passkey) => passkeyItem(passkey, input.lang, hidden))}
<section aria-labelledby="add-passkey"><h2 id="add-passkey">${t.addHeading}</h2>
${
  input.enrolOptions
    ? passkeyForm({
        purpose: 'enrol',
        action: PASSKEYS_PATH,
        options: input.enrolOptions,
        hidden,
        button: t.add,
        cancelled: t.cancelled,
        unsupported: t.unsupported,
        fields: html`<label for="passkeyName">${t.name}</label><input type="text" id="passkeyName" name="name" maxlength="64" required>`,
      })
    : html`<p>${t.full(input.passkeysMax)}</p>`
}
</section>
${languageSwitch(input.lang, PASSKEYS_PATH)}
${input.enrolOptions ? passkeyScriptTag() : ''}`,
  });
}

function passkeyItem(passkey: Passkey, lang: Language, hidden: Markup): Markup {
  const t = TEXT[lang];
  const headingId = `passkey-${passkey.credentialId}`;
  return html`<section class="grant" aria-labelledby="${headingId}" data-passkey-id="${passkey.credentialId}">
<h2 id="${headingId}">${passkey.name}</h2>
<dl class="facts">
<dt>${t.createdAt}</dt><dd>${jstDateTime(passkey.createdAt, lang)}</dd>
<dt>${t.lastUsedAt}</dt><dd>${passkey.lastUsedAt ? jstDateTime(passkey.lastUsedAt, lang) : t.neverUsed}</dd>
<dt>${t.kind}</dt><dd>${passkey.backedUp ? t.synced : t.deviceBound}</dd>
</dl>
<form method="post" action="${PASSKEY_REMOVE_PATH}">${hidden}<input type="hidden" name="credentialId" value="${passkey.credentialId}"><button class="danger" type="submit">${t.remove(passkey.name)}</button></form>
</section>`;
}
