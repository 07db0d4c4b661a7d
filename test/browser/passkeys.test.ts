// Passkeys in a real browser (Chromium with its virtual authenticator, a platform authenticator that verifies its
// user): the customer enrols a passkey on the bank's own pages (after the password and one-time code), links a TPP
// logging in with the passkey alone, approves a transfer with it, and removes it; and a stranger's guesses at a
// login ID end in a lock. Every page is saved under test-results/screenshots/passkeys-*.png.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { ACR } from '../../src/auth/acr.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { answerForTpp, chromiumMissing, collectPolicyViolations, launchChromium, newCustomerContext, screenshot } from '../support/chromium.ts';
import { addVirtualAuthenticator, enrolPasskey, openPasskeysPage, virtualCredentials } from '../support/passkeys.ts';
import { TestTpp, type Variant } from '../support/tpp.ts';
import { requestTransfer, transferDetails } from '../support/transfers.ts';

const tanaka = DEMO_CUSTOMERS[0]!;
const suzuki = DEMO_CUSTOMERS[1]!;
const TANAKA_ACCOUNT = '100011234567';
const PAR_JARM: Variant = { requestMethod: 'par', responseMode: 'jarm' };
const skip = chromiumMissing();
const STEP_TIMEOUT_MS = 15_000;
const LOCK_AFTER_FAILURES = 3;

describe('passkeys in Chromium', { skip }, () => {
  let bank: TestBank;
  let tpp: TestTpp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let authenticator: Awaited<ReturnType<typeof addVirtualAuthenticator>>;
  let violations: string[];
  let accessToken: string;

  before(async () => {
    bank = await startTestBank({ GINKO_LOGIN_BACKOFF_AFTER_FAILURES: '100', GINKO_LOGIN_LOCK_AFTER_FAILURES: String(LOCK_AFTER_FAILURES) });
    tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt', { name: 'かんたん家計簿' }));
    browser = await launchChromium();
    context = await newCustomerContext(browser);
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    await answerForTpp(context, tpp.redirectUri);
    page = await context.newPage();
    violations = collectPolicyViolations(page);
    authenticator = await addVirtualAuthenticator(page);
  });

  after(async () => {
    await browser?.close();
    await tpp?.close();
    await bank?.stop();
  });

  /** Clicks `button` and returns the URL at the TPP the bank then sends the browser to. */
  async function clickToTpp(button: Locator): Promise<string> {
    const toTpp = page.waitForRequest((request) => request.url().startsWith(tpp.redirectUri));
    await button.click();
    const url = (await toTpp).url();
    // Playwright routes no redirect target, so Chromium may try the TPP's (unresolvable) host and commit its
    // error page: wait until the page has left the bank, or that navigation cuts into the next test's (seen in CI).
    const deadline = Date.now() + 10_000;
    while (page.url().startsWith(bank.config.browser.publicUrl) && Date.now() < deadline) await page.waitForTimeout(20);
    await page.waitForLoadState('load');
    return url;
  }

  test('the customer enrols a passkey on the bank’s own pages', async () => {
    await enrolPasskey(page, bank.config.browser.publicUrl, tanaka, 'ノートPC');
    await page.getByRole('status').filter({ hasText: 'パスキーを追加しました' }).waitFor();
    assert.ok(await page.getByRole('region', { name: 'ノートPC' }).isVisible());
    await screenshot(page, 'passkeys-01-enrolled');
    const credentials = await virtualCredentials(authenticator);
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]!.rpId, 'localhost');
    // Logged out again, so the linking below logs in afresh.
    await page.getByRole('button', { name: 'ログアウト' }).click();
  });

  test('a TPP links the account: the customer logs in with the passkey alone, and the ID token says so', async () => {
    // offline_access: the token outlives the login session (the approval below reuses that session).
    const { url, checks } = await tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid accounts transfers offline_access' });
    await page.goto(url.href);
    await page.getByRole('button', { name: 'パスキーでログイン' }).waitFor();
    await screenshot(page, 'passkeys-02-login');
    await page.getByRole('button', { name: 'パスキーでログイン' }).click();

    await page.getByRole('heading', { name: 'アクセスの許可' }).waitFor();
    await page.getByRole('group', { name: '共有する口座を選んでください' }).getByRole('checkbox').first().check();
    const tokens = await tpp.redeem(await clickToTpp(page.getByRole('button', { name: '許可する' })), checks, PAR_JARM);
    assert.equal(tokens.idTokenClaims?.acr, ACR.phishingResistant);
    assert.deepEqual(tokens.idTokenClaims?.amr, ['hwk', 'user', 'mfa']);
    assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 200);
    accessToken = tokens.accessToken;
  });

  test('the customer approves a transfer with the passkey', async () => {
    const applyNo = await requestTransfer(tpp, accessToken, TANAKA_ACCOUNT, 3000);
    const { url, checks } = await tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid', authorizationDetails: transferDetails(applyNo) });
    await page.goto(url.href);
    // Logged in moments ago in this browser: straight to the approval, which asks for the second factor again.
    await page.getByRole('heading', { name: '振込の承認' }).waitFor();
    await screenshot(page, 'passkeys-03-approve-transfer');
    await tpp.redeem(await clickToTpp(page.getByRole('button', { name: 'パスキーで承認する' })), checks, PAR_JARM);
    const result = await tpp.api(`/transfer/request-result?accountId=${TANAKA_ACCOUNT}&applyNo=${applyNo}`, accessToken);
    assert.equal(result.body.resultCode, '1', `approved and executed: ${JSON.stringify(result.body)}`);
  });

  test('the customer removes the passkey', async () => {
    await openPasskeysPage(page, bank.config.browser.publicUrl, tanaka);
    await page.getByRole('button', { name: '「ノートPC」を削除' }).click();
    await page.getByRole('status').filter({ hasText: 'パスキーを削除しました' }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'ノートPC' }).count(), 0);
    assert.match(await page.locator('main').innerText(), /パスキーはまだありません/);
    await screenshot(page, 'passkeys-04-removed');
    assert.deepEqual(violations, [], 'no page broke its Content-Security-Policy');
  });

  test('wrong passwords lock the login ID; the page says until when', async () => {
    const stranger = await newCustomerContext(browser);
    try {
      const guessing = await stranger.newPage();
      const { url } = await tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid accounts' });
      await guessing.goto(url.href);
      for (let attempt = 1; attempt <= LOCK_AFTER_FAILURES; attempt++) {
        await guessing.getByLabel('ログインID').fill(suzuki.loginId);
        await guessing.getByLabel('パスワード', { exact: true }).fill(`guess-${attempt}`);
        await guessing.getByLabel('ワンタイムパスワード（6桁）').fill('123456');
        await guessing.getByRole('button', { name: 'ログイン', exact: true }).click();
        await guessing.getByRole('alert').waitFor();
      }
      assert.match(await guessing.getByRole('alert').innerText(), /このログインIDは .* までロックされています/);
      await screenshot(guessing, 'passkeys-05-locked');
    } finally {
      await stranger.close();
    }
  });
});
