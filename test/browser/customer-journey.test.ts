// In a real browser (Chromium): a TPP starts a linking; the customer logs in on the bank's page, shares one account
// (chosen with the keyboard), and is sent back to the TPP, which reads the account; the customer then disconnects
// the TPP under connected apps, and the TPP's next call is refused. Also the English switch and a failed login.
// Each page is saved under test-results/screenshots/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { nextTotpCode } from '../support/authenticator.ts';
import { answerForTpp, chromiumMissing, collectPolicyViolations, launchChromium, newCustomerContext, screenshot } from '../support/chromium.ts';
import { TestTpp, type Variant } from '../support/tpp.ts';

const customer = DEMO_CUSTOMERS[0]!;
/** JARM in the query: the browser's request to the TPP carries the whole response (a fragment would not). */
const PAR_JARM: Variant = { requestMethod: 'par', responseMode: 'jarm' };
const skip = chromiumMissing();
/** A step that waits on the bank longer than this has failed. */
const STEP_TIMEOUT_MS = 15_000;

describe('customer pages in Chromium', { skip }, () => {
  let bank: TestBank;
  let tpp: TestTpp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let violations: string[];
  let tppSide: Awaited<ReturnType<typeof answerForTpp>>;

  before(async () => {
    bank = await startTestBank();
    tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt', { name: 'かんたん家計簿' }));
    browser = await launchChromium();
    context = await newCustomerContext(browser);
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    tppSide = await answerForTpp(context, tpp.redirectUri);
    page = await context.newPage();
    violations = collectPolicyViolations(page);
  });

  after(async () => {
    await browser?.close();
    await tpp?.close();
    await bank?.stop();
  });

  test('the login page switches to English, and a wrong password is refused', async () => {
    const { url } = await tpp.authorizationUrl(PAR_JARM);
    await page.goto(url.href);
    await screenshot(page, '01-login-ja');
    assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
    await page.getByRole('link', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Log in', exact: true }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await screenshot(page, '02-login-en');

    await page.getByLabel('Login ID').fill(customer.loginId);
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByLabel('One-time code (6 digits)').fill('000000');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /not correct/);
    await screenshot(page, '03-login-failed');
  });

  test('link one account, read it as the TPP, disconnect, and the TPP is refused', async () => {
    const { url, checks } = await tpp.authorizationUrl(PAR_JARM);
    await page.goto(url.href);
    // The style sheet applies under the policy: the header has the bank's colour.
    // An expression, not a function: it runs in the page, and the tests are compiled without the DOM's types.
    assert.equal(await page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor"), 'rgb(11, 79, 138)');
    // The password and one-time code (this customer has no passkey yet; test/browser/passkeys.test.ts has one).
    await page.getByLabel('ログインID').fill(customer.loginId);
    await page.getByLabel('パスワード', { exact: true }).fill(customer.password);
    await page.getByLabel('ワンタイムパスワード（6桁）').fill(await nextTotpCode(customer.loginId));
    await page.getByRole('button', { name: 'ログイン', exact: true }).click();

    await page.getByRole('heading', { name: 'アクセスの許可' }).waitFor();
    const accounts = page.getByRole('group', { name: '共有する口座を選んでください' }).getByRole('checkbox');
    assert.ok((await accounts.count()) >= 1);
    // Keyboard only: focus the first account's checkbox (found by its label) and tick it with the space bar.
    await accounts.first().focus();
    await page.keyboard.press('Space');
    assert.equal(await accounts.first().isChecked(), true);
    await screenshot(page, '04-consent');
    await page.getByRole('button', { name: '許可する' }).click();
    await page.waitForURL(`${tpp.redirectUri}**`);
    const tppUrl = tppSide.lastUrl() ?? assert.fail('the TPP was never reached');
    assert.ok(tppUrl.startsWith(`${tpp.redirectUri}?response=`), `the bank sent the browser to ${tppUrl}`);

    const tokens = await tpp.redeem(tppUrl, checks, PAR_JARM);
    const shared = await tpp.api('/accounts', tokens.accessToken);
    assert.equal(shared.status, 200);
    assert.equal(shared.body.accounts.length, 1, 'only the account ticked on the consent page');

    await page.goto(`${bank.config.browser.publicUrl}/my/connected-apps`);
    await page.getByLabel('ログインID').fill(customer.loginId);
    await page.getByLabel('パスワード', { exact: true }).fill(customer.password);
    await page.getByLabel('ワンタイムパスワード（6桁）').fill(await nextTotpCode(customer.loginId));
    await page.getByRole('button', { name: 'ログイン', exact: true }).click();
    const app = page.getByRole('region', { name: 'かんたん家計簿' });
    await app.waitFor();
    assert.match(await app.innerText(), /残高/);
    await screenshot(page, '05-connected-apps');

    await app.getByRole('button', { name: 'かんたん家計簿 の連携を解除' }).click();
    await page.getByRole('status').waitFor();
    assert.equal(await page.getByRole('region', { name: 'かんたん家計簿' }).count(), 0);
    await screenshot(page, '06-disconnected');

    assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 401, 'the TPP’s next call is refused');
    await assert.rejects(tpp.refresh(tokens.refreshToken!), (error: { cause?: { error?: string } }) => error.cause?.error === 'invalid_grant');
    assert.deepEqual(violations, [], 'no page broke its Content-Security-Policy');
  });
});
