// End to end: how the customer logs in at a linking and what the TPP learns of it. A passkey (the primary way)
// gives `acr` urn:ginko:acr:phishing-resistant and `amr` ["hwk","user","mfa"]; the fallback of password and
// one-time code gives urn:ginko:acr:mfa and ["pwd","otp","mfa"]; a TPP that makes the passkey level essential
// gets no password form, and a password post is refused. Passkey answers work once, for their own interaction
// and origin; a transfer approval takes only the debited customer's own passkey. Repeated failed logins back off, then lock the login ID, identically whether it exists or not;
// sessions end when idle and at their absolute end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { ACR } from '../../src/auth/acr.ts';
import { nextTotpCode, wrongTotpCode } from '../support/authenticator.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { CustomerBrowser, type Page } from '../support/browser.ts';
import { logIn, passkeyFormOf, softwarePasskeyFor } from '../support/passkeys.ts';
import { expectPage, TestTpp, type Variant } from '../support/tpp.ts';
import { requestTransfer, transferDetails } from '../support/transfers.ts';

const tanaka = DEMO_CUSTOMERS[0]!;
const suzuki = DEMO_CUSTOMERS[1]!;
const sato = DEMO_CUSTOMERS[2]!;
const TANAKA_ACCOUNT = '100011234567';
const PAR_JARM: Variant = { requestMethod: 'par', responseMode: 'jarm' };
const PASSKEY_ONLY = { id_token: { acr: { essential: true, values: [ACR.phishingResistant] } } };

describe('login methods and what the ID token says', () => {
  let bank: TestBank;
  let tpp: TestTpp;

  before(async () => {
    bank = await startTestBank();
    tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt'));
  });
  after(async () => {
    await tpp?.close();
    await bank?.stop();
  });

  /** Opens the login page of a fresh authorization request in a fresh browser. */
  async function loginPage(extra: { claims?: object } = {}) {
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
    const { url, checks } = await tpp.authorizationUrl({ ...PAR_JARM, ...extra });
    return { browser, checks, login: expectPage(await browser.open(url.href), 'login') };
  }

  async function consentAndRedeem(browser: CustomerBrowser, consent: Page, checks: Awaited<ReturnType<typeof loginPage>>['checks']) {
    const accountId = browser.form(consent, '/consent').fields.find((f) => f.name === 'accountId')!.value;
    const done = await browser.submit(consent, '/consent', { accountId });
    assert.ok('tppUrl' in done, 'consent returns to the TPP');
    return tpp.redeem(done.tppUrl, checks, PAR_JARM);
  }

  test('discovery lists the login levels and the claims parameter', async () => {
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
    try {
      const page = expectPage(await browser.open(`${bank.config.browser.publicUrl}/.well-known/openid-configuration`), 'discovery');
      const discovery = JSON.parse(page.html);
      assert.deepEqual(discovery.acr_values_supported, [ACR.phishingResistant, ACR.multiFactor]);
      assert.equal(discovery.claims_parameter_supported, true);
      assert.ok(discovery.claims_supported.includes('acr') && discovery.claims_supported.includes('amr'));
    } finally {
      await browser.close();
    }
  });

  test('a passkey login: acr phishing-resistant, amr hwk + user + mfa', async () => {
    const { browser, checks, login } = await loginPage();
    try {
      assert.match(login.html, /<script type="module" src="\/assets\/passkeys-[0-9a-f]{16}\/passkey-forms\.js"><\/script>/);
      const tokens = await consentAndRedeem(browser, expectPage(await logIn(browser, login, tanaka), 'consent'), checks);
      assert.equal(tokens.idTokenClaims?.acr, ACR.phishingResistant);
      assert.deepEqual(tokens.idTokenClaims?.amr, ['hwk', 'user', 'mfa']);
    } finally {
      await browser.close();
    }
  });

  test('the fallback: password and one-time code give acr mfa, amr pwd + otp + mfa; a password alone is refused', async () => {
    const { browser, checks, login } = await loginPage();
    try {
      const noCode = expectPage(await browser.submit(login, '/login', { loginId: suzuki.loginId, password: suzuki.password }), 'login again');
      assert.equal(noCode.status, 401);
      assert.match(noCode.html, /ログインIDまたはパスワード、ワンタイムパスワードが正しくありません/);
      const wrongCode = expectPage(await browser.submit(noCode, '/login', { loginId: suzuki.loginId, password: suzuki.password, totp: await wrongTotpCode(suzuki.loginId) }), 'login again');
      assert.equal(wrongCode.status, 401);
      const consent = expectPage(await browser.submit(wrongCode, '/login', { loginId: suzuki.loginId, password: suzuki.password, totp: await nextTotpCode(suzuki.loginId) }), 'consent');
      const tokens = await consentAndRedeem(browser, consent, checks);
      assert.equal(tokens.idTokenClaims?.acr, ACR.multiFactor);
      assert.deepEqual(tokens.idTokenClaims?.amr, ['pwd', 'otp', 'mfa']);

      // Still logged in, with a password: a TPP that requires a passkey gets the customer to log in again.
      const { url } = await tpp.authorizationUrl({ ...PAR_JARM, claims: PASSKEY_ONLY });
      const again = expectPage(await browser.open(url.href), 'login again');
      assert.ok(passkeyFormOf(again, 'login'), 'the passkey login');
      assert.throws(() => browser.form(again, '/login'), /no form/, 'and nothing else');
    } finally {
      await browser.close();
    }
  });

  test('a TPP that requires a passkey (essential acr): no password form, a password post is refused, a passkey works', async () => {
    const { browser, checks, login } = await loginPage({ claims: PASSKEY_ONLY });
    try {
      assert.throws(() => browser.form(login, '/login'), /no form/);
      assert.match(login.html, /パスキーでのログインを求めています/);
      const forced = await browser.send(new URL('login', `${login.url}/`).href, {
        method: 'POST',
        body: new URLSearchParams({ ...Object.fromEntries(browser.form(login, '/passkey').fields.filter((f) => f.name !== 'credential').map((f) => [f.name, f.value])), loginId: suzuki.loginId, password: suzuki.password, totp: await nextTotpCode(suzuki.loginId) }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.ok(!('tppUrl' in forced) && forced.status === 400, 'the password is refused');
      const tokens = await consentAndRedeem(browser, expectPage(await logIn(browser, login, tanaka), 'consent'), checks);
      assert.equal(tokens.idTokenClaims?.acr, ACR.phishingResistant);
    } finally {
      await browser.close();
    }
  });

  test('a passkey answer works once, for its own interaction and origin', async () => {
    const first = await loginPage();
    const second = await loginPage();
    try {
      const passkey = await softwarePasskeyFor(first.browser, bank.config.browser.publicUrl, tanaka);
      const origin = bank.config.browser.publicUrl;
      const form = passkeyFormOf(first.login, 'login')!;
      // Signed for a look-alike site: the browser would put that site's origin in the client data.
      const phished = expectPage(await first.browser.submit(first.login, '/passkey', { credential: passkey.answer(form.options, 'https://ginko-bank.example') }), 'login again');
      assert.equal(phished.status, 401);
      assert.match(phished.html, /パスキーを確認できませんでした/);

      const fresh = passkeyFormOf(phished, 'login')!;
      const answer = passkey.answer(fresh.options, origin);
      // The same answer at another interaction (another browser's login page): its challenge is not that page's.
      const elsewhere = expectPage(await second.browser.submit(second.login, '/passkey', { credential: answer }), 'login again');
      assert.equal(elsewhere.status, 401);
      expectPage(await first.browser.submit(phished, '/passkey', { credential: answer }), 'consent');
      // And again at its own interaction, now past login: not a login any more.
      const replayed = await first.browser.submit(phished, '/passkey', { credential: answer });
      assert.ok(!('tppUrl' in replayed) && replayed.status >= 400, 'a replayed answer does nothing');
    } finally {
      await first.browser.close();
      await second.browser.close();
    }
  });

  test("only the debited customer's own passkey approves", async () => {
    const { accessToken } = await tpp.link({ ...PAR_JARM, loginId: tanaka.loginId, password: tanaka.password, scope: 'openid accounts transfers' });
    const applyNo = await requestTransfer(tpp, accessToken, TANAKA_ACCOUNT, 2000);
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
    try {
      const { url, checks } = await tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid', authorizationDetails: transferDetails(applyNo) });
      const approval = expectPage(await logIn(browser, expectPage(await browser.open(url.href), 'login'), tanaka), 'approval');
      const form = passkeyFormOf(approval, 'approve') ?? assert.fail('the approval page offers the passkey');
      const origin = bank.config.browser.publicUrl;
      // Another customer's passkey, answering this very challenge: refused like a wrong code.
      const satoKey = await softwarePasskeyFor(browser, origin, sato);
      const refused = expectPage(await browser.submit(approval, form.action, { credential: satoKey.answer(JSON.stringify({ ...JSON.parse(form.options), allowCredentials: [] }), origin) }), 'approval again');
      assert.equal(refused.status, 401);
      assert.match(refused.html, /パスキーまたはワンタイムパスワードを確認できませんでした/);
      const tanakaKey = await softwarePasskeyFor(browser, origin, tanaka);
      const again = passkeyFormOf(refused, 'approve')!;
      const done = await browser.submit(refused, again.action, { credential: tanakaKey.answer(again.options, origin) });
      assert.ok('tppUrl' in done, 'approved: back at the TPP');
      await tpp.redeem(done.tppUrl, checks, PAR_JARM);
      const result = await tpp.api(`/transfer/request-result?accountId=${TANAKA_ACCOUNT}&applyNo=${applyNo}`, accessToken);
      assert.equal(result.body.resultCode, '1');
    } finally {
      await browser.close();
    }
  });

  test("a customer's passkeys page lists and removes only their own passkeys", async () => {
    const origin = bank.config.browser.publicUrl;
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
    try {
      const tanakaKey = await softwarePasskeyFor(browser, origin, tanaka);
      const login = expectPage(await browser.open(`${origin}/my/login`), 'login');
      expectPage(await browser.submit(login, '/my/login', { loginId: sato.loginId, password: sato.password, totp: await nextTotpCode(sato.loginId) }), 'connected apps');
      const page = expectPage(await browser.open(`${origin}/my/passkeys`), 'passkeys');
      const tanakaId = tanakaKey.credentialId.toString('base64url');
      assert.ok(!page.html.includes(tanakaId), "another customer's passkey is not listed");
      // A hand-made removal of tanaka's passkey, with sato's own session and token: nothing is removed.
      const done = expectPage(await browser.submit(page, '/my/passkeys/remove', { credentialId: tanakaId }), 'passkeys again');
      assert.doesNotMatch(done.html, /パスキーを削除しました/);
      assert.equal((await bank.store.db.selectFrom('customer_passkeys').select('credential_id').where('credential_id', '=', tanakaId).execute()).length, 1);
    } finally {
      await browser.close();
    }
  });
});

describe('back-off and lock after failed logins', () => {
  let bank: TestBank;
  let tpp: TestTpp;
  const BACKOFF_SECONDS = 2;
  const LOCK_SECONDS = 8;

  before(async () => {
    bank = await startTestBank({
      GINKO_LOGIN_BACKOFF_AFTER_FAILURES: '2',
      GINKO_LOGIN_BACKOFF_SECONDS: String(BACKOFF_SECONDS),
      GINKO_LOGIN_LOCK_AFTER_FAILURES: '4',
      GINKO_LOGIN_LOCK_SECONDS: String(LOCK_SECONDS),
    });
    tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt'));
  });
  after(async () => {
    await tpp?.close();
    await bank?.stop();
  });

  /**
   * Four wrong passwords for `loginId`, with an attempt inside each back-off; the statuses, and the page's
   * message with its times blanked, in order.
   */
  async function failUntilLocked(loginId: string): Promise<{ statuses: number[]; messages: string[]; page: Page; browser: CustomerBrowser }> {
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
    const { url } = await tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid accounts' });
    let page = expectPage(await browser.open(url.href), 'login');
    const statuses: number[] = [];
    const messages: string[] = [];
    const attempt = async () => {
      page = expectPage(await browser.submit(page, '/login', { loginId, password: 'not the password', totp: '123456' }), 'login again');
      statuses.push(page.status);
      messages.push((/role="alert">([^<]*)</.exec(page.html)?.[1] ?? '').replace(/\d{1,2}:\d{2}:\d{2}/g, 'HH:MM:SS'));
    };
    await attempt(); // 1
    await attempt(); // 2: the back-off starts
    await attempt(); // refused: inside the back-off
    await sleep(BACKOFF_SECONDS * 1000 + 100);
    await attempt(); // 3
    await attempt(); // refused: the delay has doubled
    await sleep(2 * BACKOFF_SECONDS * 1000 + 100);
    await attempt(); // 4: locked
    return { statuses, messages, page, browser };
  }

  test('the delay grows, then the login ID locks; an unknown login ID is answered exactly alike', async () => {
    const known = await failUntilLocked(tanaka.loginId);
    const lockedAt = Date.now();
    let unknown: Awaited<ReturnType<typeof failUntilLocked>> | undefined;
    try {
      assert.deepEqual(known.statuses, [401, 401, 429, 401, 429, 429]);
      assert.match(known.messages[2]!, /HH:MM:SS を過ぎてからもう一度お試しください/);
      assert.match(known.messages[5]!, /このログインIDは HH:MM:SS までロックされています/);

      // Locked: even the right password and code are not looked at, here or on the customer's own pages.
      const right = expectPage(await known.browser.submit(known.page, '/login', { loginId: tanaka.loginId, password: tanaka.password, totp: await nextTotpCode(tanaka.loginId) }), 'still locked');
      assert.equal(right.status, 429);
      const my = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
      try {
        const login = expectPage(await my.open(`${bank.config.browser.publicUrl}/my/login`), 'my login');
        const refused = expectPage(await my.submit(login, '/my/login', { loginId: tanaka.loginId, password: tanaka.password, totp: await nextTotpCode(tanaka.loginId) }), 'my login again');
        assert.equal(refused.status, 429);
        assert.match(refused.html, /ロックされています/);
      } finally {
        await my.close();
      }

      unknown = await failUntilLocked('nobody-by-this-name');
      assert.deepEqual(unknown.statuses, known.statuses);
      assert.deepEqual(unknown.messages, known.messages, 'the pages never tell whether a login ID exists');

      // The lock lapses; the right password and code then work, and clear the count.
      await sleep(Math.max(0, lockedAt + LOCK_SECONDS * 1000 + 200 - Date.now()));
      const consent = expectPage(await known.browser.submit(right, '/login', { loginId: tanaka.loginId, password: tanaka.password, totp: await nextTotpCode(tanaka.loginId) }), 'consent');
      assert.equal(consent.status, 200);
      assert.equal((await bank.store.db.selectFrom('login_failures').selectAll().execute()).length, 1, 'only the unknown login ID is still counted');
    } finally {
      await known.browser.close();
      await unknown?.browser.close();
    }

    // Every failure is in the audit log (ids only), each lock is a security event naming the customer when there is one.
    const events = await bank.store.db.selectFrom('security_events').selectAll().where('kind', '=', 'login_locked').orderBy('event_id').execute();
    assert.equal(events.length, 2);
    assert.equal(events[0]!.customer_id, tanaka.customerId);
    assert.equal(events[1]!.customer_id, null);
    const audit = (await bank.store.db.selectFrom('audit_log').select('body').orderBy('seq').execute()).map((row) => JSON.parse(row.body));
    const failures = audit.filter((entry) => entry.action === 'login.failed');
    const untilLocked = ['credentials', 'credentials', 'backoff', 'credentials', 'backoff', 'credentials'];
    assert.deepEqual(
      failures.map((entry) => entry.reason),
      [...untilLocked, 'locked', 'locked', ...untilLocked],
    );
    assert.ok(!JSON.stringify(audit).includes(tanaka.loginId) && !JSON.stringify(audit).includes('nobody-by-this-name'), 'no login ID in the audit log');
    assert.ok(!(await bank.store.db.selectFrom('login_failures').select('login_key').execute()).some((row) => row.login_key.includes('nobody')), 'the table keeps hashes only');
  });
});

describe('session timeouts', () => {
  let bank: TestBank;
  let tpp: TestTpp;
  const IDLE_SECONDS = 40;
  const MAX_SECONDS = 120;

  before(async () => {
    bank = await startTestBank({ GINKO_SESSION_IDLE_SECONDS: String(IDLE_SECONDS), GINKO_SESSION_MAX_SECONDS: String(MAX_SECONDS) });
    tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt'));
  });
  after(async () => {
    await tpp?.close();
    await bank?.stop();
  });

  test('the linking session: renewed for the idle time on each use, never past the absolute end; when it ends, login again', async () => {
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
    try {
      const first = await tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid' });
      const login = expectPage(await browser.open(first.url.href), 'login');
      const loggedInAt = Date.now();
      expectPage(await logIn(browser, login, tanaka), 'consent');
      const session = () => bank.store.db.selectFrom('oidc_models').select(['id', 'expires_at']).where('model', '=', 'Session').executeTakeFirstOrThrow();
      const expiresIn = ((await session()).expires_at!.getTime() - Date.now()) / 1000;
      assert.ok(expiresIn > IDLE_SECONDS - 5 && expiresIn <= IDLE_SECONDS + 1, `idle end in ${expiresIn} s`);

      // Near the absolute end, the renewal stops at it: the login was "MAX_SECONDS - 10 s ago".
      const { id } = await session();
      const row = await bank.store.db.selectFrom('oidc_models').select('payload').where('model', '=', 'Session').where('id', '=', id).executeTakeFirstOrThrow();
      const payload = { ...row.payload, loginTs: Math.floor(loggedInAt / 1000) - (MAX_SECONDS - 10) };
      await bank.store.db.updateTable('oidc_models').set({ payload: JSON.stringify(payload) }).where('model', '=', 'Session').where('id', '=', id).execute();
      const second = await tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid' });
      expectPage(await browser.open(second.url.href), 'consent without a new login');
      const left = ((await session()).expires_at!.getTime() - Date.now()) / 1000;
      assert.ok(left <= 11, `the session ends at its absolute end, in ${left} s`);

      // Time passes beyond it: the next authorization asks for a login again.
      await bank.store.db.updateTable('oidc_models').set({ expires_at: new Date(Date.now() - 1000) }).where('model', '=', 'Session').execute();
      const third = await tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid' });
      const again = expectPage(await browser.open(third.url.href), 'login');
      assert.ok(passkeyFormOf(again, 'login'), 'the login page again');
    } finally {
      await browser.close();
    }
  });

  test("the customer's pages: the configured idle time ends the session, and the page says how long it was", async () => {
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
    try {
      const login = expectPage(await browser.open(`${bank.config.browser.publicUrl}/my/login`), 'login');
      expectPage(await browser.submit(login, '/my/login', { loginId: suzuki.loginId, password: suzuki.password, totp: await nextTotpCode(suzuki.loginId) }), 'connected apps');
      const row = await bank.store.db.selectFrom('customer_sessions').select(['created_at', 'expires_at']).where('customer_id', '=', suzuki.customerId).executeTakeFirstOrThrow();
      assert.ok(Math.abs(row.expires_at.getTime() - row.created_at.getTime() - MAX_SECONDS * 1000) < 5000, 'the absolute end is the configured one');
      // IDLE_SECONDS pass without a request.
      await bank.store.db.updateTable('customer_sessions').set({ last_seen_at: new Date(Date.now() - (IDLE_SECONDS + 1) * 1000) }).where('customer_id', '=', suzuki.customerId).execute();
      const ended = expectPage(await browser.open(`${bank.config.browser.publicUrl}/my/connected-apps`), 'login again');
      assert.equal(ended.status, 401);
      assert.match(ended.html, /操作がないまま40秒、または通算2分/);
    } finally {
      await browser.close();
    }
  });
});
