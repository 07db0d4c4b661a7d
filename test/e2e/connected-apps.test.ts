// End to end: a TPP links an account; the customer logs in to the bank's own pages (password and one-time code),
// sees the TPP under connected apps, and disconnects it: the TPP's next API call is refused and its refresh
// token no longer works. Sessions: CSRF tokens, logout, another customer's grant, the session cookie's flags.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { CustomerBrowser, type Page } from '../support/browser.ts';
import { nextTotpCode, wrongTotpCode } from '../support/authenticator.ts';
import { expectPage, TestTpp } from '../support/tpp.ts';

const customer = DEMO_CUSTOMERS[0]!;
const other = DEMO_CUSTOMERS[1]!;
const PAR_JARM = { requestMethod: 'par', responseMode: 'jarm' } as const;

let bank: TestBank;
let tpp: TestTpp;

before(async () => {
  bank = await startTestBank();
  tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt', { name: '家計簿アプリ' }));
});

after(async () => {
  await tpp?.close();
  await bank?.stop();
});

async function logIn(browser: CustomerBrowser, who: { loginId: string; password: string }): Promise<Page> {
  const login = expectPage(await browser.open(`${bank.config.browser.publicUrl}/my/login`), 'login');
  return expectPage(await browser.submit(login, '/my/login', { loginId: who.loginId, password: who.password, totp: await nextTotpCode(who.loginId) }), 'connected apps');
}

test('the customer disconnects a TPP: its next API call and its refresh are refused', async () => {
  const tokens = await tpp.link({ ...PAR_JARM, loginId: customer.loginId, password: customer.password });
  assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 200);

  const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
  try {
    const apps = await logIn(browser, customer);
    assert.equal(apps.status, 200);
    assert.match(apps.html, /連携サービス管理/);
    assert.match(apps.html, /家計簿アプリ/);
    assert.match(apps.html, /残高/, 'the scopes are in words');
    assert.doesNotMatch(apps.html, /まだ利用されていません/, 'the API call above is recorded as the last use');

    const done = expectPage(await browser.submit(apps, '/my/connected-apps/revoke', {}), 'connected apps');
    assert.equal(done.status, 200);
    assert.match(done.html, /連携を解除しました/);
    assert.doesNotMatch(done.html, /家計簿アプリ/);
  } finally {
    await browser.close();
  }

  const refused = await tpp.api('/accounts', tokens.accessToken);
  assert.equal(refused.status, 401);
  await assert.rejects(tpp.refresh(tokens.refreshToken!), (error: { cause?: { error?: string } }) => error.cause?.error === 'invalid_grant');
});

test('a wrong one-time code or password is refused, and says which fields to check without telling which one', async () => {
  const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
  try {
    const login = expectPage(await browser.open(`${bank.config.browser.publicUrl}/my/login?lang=en`), 'login');
    const wrong = expectPage(await browser.submit(login, '/my/login', { loginId: customer.loginId, password: customer.password, totp: await wrongTotpCode(customer.loginId) }), 'login');
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /login ID, password or one-time code is not correct/);
    const bad = expectPage(await browser.submit(wrong, '/my/login', { loginId: customer.loginId, password: 'not the password', totp: '000000' }), 'login');
    assert.equal(bad.status, 401);
  } finally {
    await browser.close();
  }
});

test('forms without the page’s CSRF token are refused; logging out ends the session', async () => {
  const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
  try {
    const apps = await logIn(browser, customer);
    const forged = expectPage(
      await browser.send(`${bank.config.browser.publicUrl}/my/connected-apps/revoke`, {
        method: 'POST',
        body: 'grantId=x&csrf=forged',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      'login',
    );
    assert.equal(forged.status, 401, 'a forged form is treated as no session at all');
    const loggedOut = expectPage(await browser.submit(apps, '/my/logout', {}), 'login');
    assert.match(loggedOut.url, /\/my\/login$/);
    const after = expectPage(await browser.open(`${bank.config.browser.publicUrl}/my/connected-apps`), 'login');
    assert.equal(after.status, 401);
  } finally {
    await browser.close();
  }
});

test('another customer sees none of the first customer’s grants and cannot disconnect them', async () => {
  await tpp.link({ ...PAR_JARM, loginId: customer.loginId, password: customer.password });
  const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
  try {
    const apps = await logIn(browser, other);
    assert.doesNotMatch(apps.html, /家計簿アプリ/);
    const grantId = (await bank.store.db.selectFrom('consents').select('grant_id').where('customer_id', '=', customer.customerId).where('revoked_at', 'is', null).executeTakeFirstOrThrow()).grant_id;
    const csrf = browser.form(apps, '/my/logout').fields.find((f) => f.name === 'csrf')!.value;
    const attempt = expectPage(
      await browser.send(`${bank.config.browser.publicUrl}/my/connected-apps/revoke`, {
        method: 'POST',
        body: new URLSearchParams({ grantId, csrf }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      'connected apps',
    );
    assert.doesNotMatch(attempt.html, /連携を解除しました/);
    const consent = await bank.store.db.selectFrom('consents').select('revoked_at').where('grant_id', '=', grantId).executeTakeFirstOrThrow();
    assert.equal(consent.revoked_at, null);
  } finally {
    await browser.close();
  }
});

test('a session left idle for 10 minutes, or an hour old, has ended', async () => {
  for (const aged of [{ last_seen_at: new Date(Date.now() - 11 * 60 * 1000) }, { expires_at: new Date(Date.now() - 1000) }]) {
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
    try {
      await bank.store.db.deleteFrom('customer_sessions').execute();
      await logIn(browser, customer);
      await bank.store.db.updateTable('customer_sessions').set(aged).where('customer_id', '=', customer.customerId).execute();
      const ended = expectPage(await browser.open(`${bank.config.browser.publicUrl}/my/connected-apps`), 'login');
      assert.equal(ended.status, 401);
      assert.match(ended.html, /有効時間.*が過ぎたため、ログアウトしました/);
      assert.equal((await bank.store.db.selectFrom('customer_sessions').select('session_hash').where('customer_id', '=', customer.customerId).execute()).length, 0, 'the ended session is deleted');
    } finally {
      await browser.close();
    }
  }
});

test('connected apps show each app’s recent access in words: newest first, at most five, refusals too', async () => {
  const sato = DEMO_CUSTOMERS[2]!;
  const tokens = await tpp.link({ ...PAR_JARM, loginId: sato.loginId, password: sato.password });
  const [account] = (await tpp.api('/accounts', tokens.accessToken)).body.accounts;
  for (let i = 0; i < 4; i++) assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 200);
  assert.equal((await tpp.api(`/accounts/balances?accountId=${account.accountId}`, tokens.accessToken)).status, 200);
  assert.equal((await tpp.api('/accounts/transactions?accountId=999999999999', tokens.accessToken)).status, 403, 'an account outside the consent');

  const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
  try {
    const apps = await logIn(browser, sato);
    const list = /<h3>最近のアクセス[^<]*<\/h3>\s*<ul class="access">([\s\S]*?)<\/ul>/.exec(apps.html)?.[1] ?? assert.fail(apps.html);
    const items = [...list.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1]!);
    assert.equal(items.length, 5, 'the newest five of six calls');
    assert.match(items[0]!, /入出金明細の照会: 銀行が拒否しました/);
    assert.match(items[1]!, new RegExp(`残高の照会（.*${account.accountNumber}）: 応じました`));
    assert.match(items[2]!, /口座一覧の照会: 応じました/);
    assert.match(items[0]!, /^\d{4}\/\d{2}\/\d{2} \d{1,2}:\d{2} — /, 'when, in Japan time');
    assert.doesNotMatch(apps.html, /999999999999/, 'no account number the customer does not have');
    const english = expectPage(await browser.open(`${bank.config.browser.publicUrl}/my/connected-apps?lang=en`), 'connected apps');
    assert.match(english.html, /Read transactions: refused by the bank/);
    assert.match(english.html, new RegExp(`Read balances \\(.*${account.accountNumber}\\): answered`));
  } finally {
    await browser.close();
  }
});
