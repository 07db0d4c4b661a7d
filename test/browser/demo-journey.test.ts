// The demo TPP app (かんたん家計簿) and the bank in Chromium, as a customer uses them: link one account from the
// app (PAR, signed request object, mTLS, JARM, PKCE — all inside the demo; a passkey at the bank), see its
// balance, transactions and spending there, end the link under connected apps at the bank and see the app lose
// access. Also: refusing consent, the English switch, a phone-sized screen, an expired sign-in, and sending money
// through the bank's approval. Each page is saved under test-results/screenshots/ (demo-*.png).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { startDemoTppBesideBank } from '../../src/demo-tpp/registration.ts';
import type { RunningDemoTpp } from '../../src/demo-tpp/app.ts';
import { SESSION_COOKIE } from '../../src/demo-tpp/sessions.ts';
import { freePort, startTestBank, type TestBank } from '../support/bank.ts';
import { nextTotpCode } from '../support/authenticator.ts';
import { chromiumMissing, collectPolicyViolations, launchChromium, newCustomerContext, screenshot } from '../support/chromium.ts';
import { addVirtualAuthenticator, enrolPasskey } from '../support/passkeys.ts';

const skip = chromiumMissing();
const STEP_TIMEOUT_MS = 15_000;
/** Each test its own customer where it can: a one-time code works once, so logins of one customer queue up. */
const [tanaka, suzuki, sato] = DEMO_CUSTOMERS as [(typeof DEMO_CUSTOMERS)[number], (typeof DEMO_CUSTOMERS)[number], (typeof DEMO_CUSTOMERS)[number]];

/**
 * Logs in on the bank's sign-in page (at a linking, an approval, or /my), whatever it asks for. The one place the
 * login method lives: `passkey` uses the customer's passkey on the page's virtual authenticator (enrolled with
 * test/support/passkeys.ts); otherwise the password and one-time code (the only way on /my).
 */
async function bankLogin(page: Page, customer: { loginId: string; password: string }, via: 'passkey' | 'password' = 'password'): Promise<void> {
  if (via === 'passkey') return page.getByRole('button', { name: 'パスキーでログイン' }).click();
  const form = page.locator('form[action$="/login"]');
  await form.locator('input[name=loginId]').fill(customer.loginId);
  await form.locator('input[name=password]').fill(customer.password);
  const totp = form.locator('input[name=totp]');
  if ((await totp.count()) > 0) await totp.fill(await nextTotpCode(customer.loginId));
  await form.locator('button[type=submit]').click();
}

/** Nothing on the page is wider than the window (no sideways scrolling on a phone). */
async function assertNoHorizontalOverflow(page: Page, what: string): Promise<void> {
  // An expression, not a function: it runs in the page, and the tests are compiled without the DOM's types.
  const [scrollWidth, innerWidth] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
  assert.ok(scrollWidth <= innerWidth, `${what}: the page is ${scrollWidth}px wide in a ${innerWidth}px window`);
}

describe('the demo TPP app in Chromium', { skip }, () => {
  let bank: TestBank;
  let demo: RunningDemoTpp;
  let demoUrl: string;
  let browser: Browser;

  before(async () => {
    // Pages of 50 lines, so that a year of history takes the app several pages of the bank's API.
    bank = await startTestBank({ GINKO_TRANSACTION_PAGE_SIZE: '50' });
    const port = await freePort();
    demoUrl = `https://localhost:${port}`;
    demo = await startDemoTppBesideBank(bank, { port, publicUrl: demoUrl }, pino({ level: 'silent' }));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await demo?.close();
    await bank?.stop();
  });

  async function newPage(options: { phone?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
    const context = options.phone
      ? await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'ja-JP' })
      : await newCustomerContext(browser);
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    return { context, page, violations: collectPolicyViolations(page) };
  }

  /** From the demo's landing page to the bank's sign-in page. */
  async function toBank(page: Page): Promise<void> {
    await page.goto(demoUrl);
    await page.getByRole('button', { name: '銀行口座を連携する' }).click();
    await page.waitForURL(`${bank.config.browser.publicUrl}/interaction/**`);
  }

  /**
   * Fills the demo's send-money form (to the demo customer tanaka's account) and goes to the bank, until `ready`
   * (a button of the approval page) shows. The bank may still know the customer from the linking a moment ago;
   * if not, it asks for a login first.
   */
  async function sendToTanaka(page: Page, amountYen: string, ready: Locator, shot?: string): Promise<void> {
    await page.getByRole('link', { name: '送金' }).click();
    await page.getByLabel('支店コード（3桁）').fill('100');
    await page.getByLabel('口座番号（7桁）').fill('1234567');
    await page.getByLabel('受取人名（カナ）').fill('ﾀﾅｶ ﾀﾛｳ');
    await page.getByLabel('金額（円）').fill(amountYen);
    if (shot) await screenshot(page, shot);
    await page.getByRole('button', { name: '銀行で承認する' }).click();
    await page.waitForURL(`${bank.config.browser.publicUrl}/interaction/**`);
    await ready.or(page.locator('form[action$="/login"]')).waitFor();
    if (!(await ready.isVisible())) await bankLogin(page, sato);
    await ready.waitFor();
  }

  /** From the demo's landing page through the bank's login to its consent page. */
  async function startLinking(page: Page, customer: { loginId: string; password: string }, shot?: string, via: 'passkey' | 'password' = 'password'): Promise<void> {
    await toBank(page);
    if (shot) await screenshot(page, shot);
    await bankLogin(page, customer, via);
    await page.getByRole('heading', { name: 'アクセスの許可' }).waitFor();
  }

  test('link one account, see it in the app, end the link at the bank, and the app loses access', async () => {
    const { context, page, violations } = await newPage();
    // The customer has a passkey at the bank (added on /my after the password and one-time code) and logs in with it.
    await addVirtualAuthenticator(page);
    await enrolPasskey(page, bank.config.browser.publicUrl, tanaka);
    await page.getByRole('button', { name: 'ログアウト' }).click();
    await page.goto(demoUrl);
    await page.getByRole('heading', { name: '銀行口座を連携しましょう' }).waitFor();
    await screenshot(page, 'demo-01-landing');
    const sessionCookie = async () => (await context.cookies(demoUrl)).find((c) => c.name === SESSION_COOKIE)!;
    const before = await sessionCookie();

    await startLinking(page, tanaka, 'demo-02-bank-login', 'passkey');
    const accounts = page.getByRole('group', { name: '共有する口座を選んでください' }).getByRole('checkbox');
    assert.ok((await accounts.count()) >= 2, 'the customer has more accounts than the one shared');
    const chosenLabel = (await page.locator(`label[for="${await accounts.first().getAttribute('id')}"]`).innerText()).trim();
    await accounts.first().check();
    await screenshot(page, 'demo-03-consent');
    await page.getByRole('button', { name: '許可する' }).click();

    await page.waitForURL(`${demoUrl}/`);
    assert.match(await page.getByRole('status').innerText(), /口座を連携しました/);
    const rows = page.locator('main table tbody tr');
    assert.equal(await rows.count(), 1, 'only the account ticked on the consent page');
    assert.equal((await rows.first().locator('td').first().innerText()).trim(), chosenLabel);
    assert.match(await rows.first().innerText(), /¥[\d,]+/);
    await screenshot(page, 'demo-04-balances');
    // The browser holds a random session id only (no token), in a cookie scripts cannot read, renewed at linking.
    const after = await sessionCookie();
    assert.match(after.value, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(after.value, before.value, 'a new session id once linked (no fixation)');
    assert.deepEqual([after.httpOnly, after.secure, after.sameSite], [true, true, 'Lax']);
    // A form post without the page's CSRF token (another site's form, say) does not unlink.
    const forged = await context.request.post(`${demoUrl}/unlink`, { form: { csrf: 'forged' }, maxRedirects: 0 });
    assert.equal(forged.status(), 303);
    await page.goto(demoUrl);
    assert.equal(await page.locator('main table tbody tr').count(), 1, 'still linked');

    await page.getByRole('link', { name: '入出金明細' }).click();
    await page.getByRole('heading', { name: '入出金明細' }).waitFor();
    const lines = page.locator('main table tbody tr');
    assert.ok((await lines.count()) > 0, 'the last 30 days have transactions');
    assert.equal(await page.getByRole('combobox', { name: '口座' }).locator('option').count(), 1, 'only the shared account to choose from');
    await screenshot(page, 'demo-05-transactions');

    // A keyword in full-width katakana finds the bank's half-width remarks; every line shown contains it.
    const remarks = (await lines.first().locator('td.remarks').innerText()).trim();
    const keyword = remarks.normalize('NFKC').slice(0, 2);
    await page.getByLabel('摘要のキーワード').fill(keyword);
    await page.getByRole('button', { name: '検索' }).click();
    await page.waitForURL(/q=/);
    const found = await page.locator('main table tbody td.remarks').allInnerTexts();
    assert.ok(found.length > 0);
    for (const text of found) assert.ok(text.normalize('NFKC').includes(keyword), `${text} contains ${keyword}`);

    // A year of history is more than one page of the bank's API: the app pages on with its nextItemKey.
    const yearAgo = new Date(Date.now() - 365 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    await page.goto(`${demoUrl}/transactions?from=${yearAgo}`);
    const firstPage = await page.locator('main table tbody tr').allInnerTexts();
    assert.equal(firstPage.length, 50, 'one page of the bank’s API');
    await page.getByRole('link', { name: '次のページ' }).click();
    await page.getByRole('link', { name: '最初のページへ' }).waitFor();
    const secondPage = await page.locator('main table tbody tr').allInnerTexts();
    assert.equal(secondPage.length, 50);
    assert.ok(secondPage[0]!.slice(0, 10) >= firstPage.at(-1)!.slice(0, 10), 'the next page continues the history in date order');
    assert.notDeepEqual(secondPage, firstPage);

    await page.getByRole('link', { name: '月別の支出' }).click();
    await page.getByRole('heading', { name: '月別の支出' }).waitFor();
    assert.equal(await page.locator('svg.chart rect').count(), 6, 'six months, one bar each');
    const months = page.locator('main table tbody tr');
    assert.equal(await months.count(), 6);
    assert.match(await months.last().innerText(), /¥[\d,]+/);
    await screenshot(page, 'demo-06-chart');

    // At the bank: connected apps, logged in with password and one-time code, then revoke the demo.
    await page.goto(`${bank.config.browser.publicUrl}/my/connected-apps`);
    await bankLogin(page, tanaka);
    const app = page.getByRole('region', { name: 'かんたん家計簿' });
    await app.waitFor();
    // The bank shows what the app did with the link, in words (the newest five calls: the chart's reads).
    const access = await app.locator('ul.access').innerText();
    assert.match(access, /口座一覧の照会: 応じました/);
    assert.ok(access.includes(`入出金明細の照会（${chosenLabel}）: 応じました`), access);
    await screenshot(page, 'demo-07-connected-apps');
    await app.getByRole('button', { name: 'かんたん家計簿 の連携を解除' }).click();
    await page.getByRole('status').waitFor();

    await page.goto(demoUrl);
    assert.match(await page.getByRole('alert').innerText(), /連携が終了しています/);
    await page.getByRole('button', { name: '銀行口座を連携する' }).waitFor();
    await screenshot(page, 'demo-08-access-ended');
    assert.deepEqual(violations, [], 'no page broke its Content-Security-Policy');
    await context.close();
  });

  test('the customer refuses at the bank, and the app says nothing was shared; a forged response links nothing', async () => {
    const { context, page } = await newPage();
    await startLinking(page, suzuki);
    await page.getByRole('button', { name: '許可しない' }).click();
    await page.waitForURL(`${demoUrl}/`);
    assert.match(await page.getByRole('alert').innerText(), /連携が許可されませんでした/);
    await page.getByRole('button', { name: '銀行口座を連携する' }).waitFor();
    await screenshot(page, 'demo-09-refused');

    // A response the bank did not sign (a forged callback while a linking is pending) links nothing either.
    await toBank(page);
    await page.goto(`${demoUrl}/callback?response=eyJhbGciOiJub25lIn0.eyJjb2RlIjoiZm9yZ2VkIn0.`);
    await page.waitForURL(`${demoUrl}/`);
    assert.match(await page.getByRole('alert').innerText(), /失敗しました/);
    await page.getByRole('button', { name: '銀行口座を連携する' }).waitFor();
    await context.close();
  });

  test('English: the bank’s switch on its login page lasts to the consent, and the app asking the bank for its own language', async () => {
    const { context, page } = await newPage();
    await toBank(page);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
    await page.getByRole('link', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Log in', exact: true }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await screenshot(page, 'demo-10-bank-login-en');
    // The choice outlives the login: the consent page that follows speaks English too.
    await bankLogin(page, suzuki);
    await page.getByRole('heading', { name: 'Allow access' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');

    // The app in English sends ui_locales=en, so the bank speaks English from the first page to the consent
    // (in a browser that is not logged in at the bank any more).
    await context.clearCookies();
    await page.goto(demoUrl);
    await page.getByRole('link', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Link your bank account' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.getByRole('button', { name: 'Link your bank account' }).click();
    await page.getByRole('heading', { name: 'Log in', exact: true }).waitFor();
    await bankLogin(page, sato);
    await page.getByRole('heading', { name: 'Allow access' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await screenshot(page, 'demo-11-consent-en');
    await page.getByRole('checkbox').first().check();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${demoUrl}/`);
    await page.getByRole('heading', { name: 'Balances' }).waitFor();
    await screenshot(page, 'demo-12-balances-en');
    await context.close();
  });

  test('on a phone-sized screen nothing is wider than the window', async () => {
    const { context, page } = await newPage({ phone: true });
    await page.goto(demoUrl);
    await assertNoHorizontalOverflow(page, 'demo landing');
    await toBank(page);
    await assertNoHorizontalOverflow(page, 'bank login');
    await bankLogin(page, suzuki);
    await page.getByRole('heading', { name: 'アクセスの許可' }).waitFor();
    await assertNoHorizontalOverflow(page, 'bank consent');
    await screenshot(page, 'demo-13-phone-consent');
    await page.getByRole('checkbox').first().check();
    await page.getByRole('button', { name: '許可する' }).click();
    await page.waitForURL(`${demoUrl}/`);
    for (const [path, name] of [['/', 'balances'], ['/transactions', 'transactions'], ['/chart', 'chart'], ['/send', 'send money']] as const) {
      await page.goto(`${demoUrl}${path}`);
      await page.locator('main h1').waitFor();
      await assertNoHorizontalOverflow(page, `demo ${name}`);
    }
    await page.goto(`${demoUrl}/transactions`);
    await screenshot(page, 'demo-14-phone-transactions');
    await context.close();
  });

  test('an expired sign-in: the bank’s page and the app each say so, and nothing is linked', async () => {
    const { context, page } = await newPage();
    await toBank(page);
    // The bank's sign-in outlived its cookie (the interaction expired): the page cannot go on, and says where to go.
    const demoCookie = (await context.cookies(demoUrl)).find((c) => c.name === SESSION_COOKIE)!;
    await context.clearCookies();
    await context.addCookies([demoCookie]);
    await bankLogin(page, suzuki);
    await page.getByRole('alert').waitFor();
    assert.match(await page.locator('main').innerText(), /アプリに戻って/);
    await screenshot(page, 'demo-15-bank-expired');

    // The app's own session expired while the customer was at the bank: the callback finds nothing to finish.
    await toBank(page);
    await context.clearCookies({ name: SESSION_COOKIE });
    await bankLogin(page, suzuki);
    await page.getByRole('checkbox').first().check();
    await page.getByRole('button', { name: '許可する' }).click();
    await page.waitForURL(`${demoUrl}/`);
    assert.match(await page.getByRole('alert').innerText(), /有効期限が切れた/);
    await page.getByRole('button', { name: '銀行口座を連携する' }).waitFor();
    await screenshot(page, 'demo-16-app-expired');
    await context.close();
  });

  test('send money: the app requests it, the customer approves at the bank with a one-time code (or does not), the app shows the result', async () => {
    const { context, page } = await newPage();
    await startLinking(page, sato);
    await page.getByRole('checkbox').first().check();
    await page.getByRole('button', { name: '許可する' }).click();
    await page.waitForURL(`${demoUrl}/`);

    const approve = page.getByRole('button', { name: 'この振込を承認する' });
    await sendToTanaka(page, '3000', approve, 'demo-17-send');
    assert.match(await page.locator('main').innerText(), /3,000/);
    await screenshot(page, 'demo-18-bank-approval');
    await page.getByLabel(/ワンタイムパスワード/).fill(await nextTotpCode(sato.loginId));
    await page.getByRole('button', { name: 'この振込を承認する' }).click();

    await page.waitForURL(`${demoUrl}/send/result`);
    assert.match(await page.getByRole('status').innerText(), /送金が承認されました/);
    assert.match(await page.locator('dl.facts').innerText(), /¥3,000/);
    await screenshot(page, 'demo-19-send-result');

    // A transfer the customer does not approve at the bank: the app says no money moved.
    const refuse = page.getByRole('button', { name: '承認しない' });
    await sendToTanaka(page, '5000', refuse);
    await refuse.click();
    await page.waitForURL(`${demoUrl}/send/result`);
    assert.match(await page.getByRole('status').innerText(), /承認されませんでした.*お金は動いていません/);
    await context.close();
  });
});

