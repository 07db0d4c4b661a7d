// In a real browser (Chromium): an operator logs in to the console (password and one-time code), onboards a TPP
// with its registration number, keys and logo, watches its traffic once it has linked a customer, and suspends it;
// the TPP's next call is refused, the console shows the refusal and the security event, and the audit log lists
// the operator's actions with an intact chain. An auditor sees no buttons that change anything. Each page is
// saved under test-results/screenshots/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { DEMO_OPERATOR } from '../../src/operator/demo-operator.ts';
import { createOperator } from '../../src/operator/operators.ts';
import { startTestBank, TPP_REDIRECT_URI, type TestBank } from '../support/bank.ts';
import { nextTotpCodeFor } from '../support/authenticator.ts';
import { chromiumMissing, collectPolicyViolations, launchChromium, newCustomerContext, screenshot } from '../support/chromium.ts';
import { TestTpp } from '../support/tpp.ts';
import { tppOwnCredentials } from '../support/admin-api.ts';

const skip = chromiumMissing();
const STEP_TIMEOUT_MS = 15_000;
const customer = DEMO_CUSTOMERS[0]!;
const REGISTRATION_NUMBER = '関東財務局長（電代）第7号';
/** A 1×1 PNG: an inline logo the registry accepts (its bytes are a PNG's). */
const LOGO = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('operator console in Chromium', { skip }, () => {
  let bank: TestBank;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let violations: string[];
  let clientId: string;
  let tpp: TestTpp;

  before(async () => {
    bank = await startTestBank();
    browser = await launchChromium();
    context = await newCustomerContext(browser);
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    page = await context.newPage();
    violations = collectPolicyViolations(page);
  });

  after(async () => {
    await browser?.close();
    await tpp?.close();
    await bank?.stop();
  });

  async function logIn(name: string, password: string, secret: string) {
    await page.getByLabel('Operator name').fill(name);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('One-time code (6 digits)').fill(await nextTotpCodeFor(secret));
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  test('an operator logs in with password and one-time code; a wrong code is refused', async () => {
    await page.goto(`${bank.config.browser.publicUrl}/operator`);
    await page.getByRole('heading', { name: 'Operator login' }).waitFor();
    await screenshot(page, 'operator-01-login');
    await page.getByLabel('Operator name').fill(DEMO_OPERATOR.name);
    await page.getByLabel('Password').fill(DEMO_OPERATOR.password);
    await page.getByLabel('One-time code (6 digits)').fill('000000');
    await page.getByRole('button', { name: 'Log in' }).click();
    assert.match(await page.getByRole('alert').innerText(), /not correct/);

    await logIn(DEMO_OPERATOR.name, DEMO_OPERATOR.password, DEMO_OPERATOR.totpSecretBase32);
    await page.getByRole('heading', { name: 'TPPs' }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === '__Host-ginko-operator');
    assert.ok(cookie?.httpOnly && cookie.secure && cookie.sameSite === 'Strict');
  });

  test('the operator onboards a TPP, watches its traffic once it links a customer, and suspends it', async () => {
    // The TPP's own key and certificate, which it would send the bank.
    const own = await tppOwnCredentials(bank, 'kakeibo-console');

    await page.getByRole('link', { name: 'Onboard a TPP' }).click();
    await page.getByLabel('Name').fill('かんたん家計簿');
    await page.getByLabel('電子決済等代行業者 registration number').fill(REGISTRATION_NUMBER);
    await page.getByLabel('Contact (e-mail or phone)').fill('security@kakeibo.example');
    await page.getByLabel('Redirect URIs (https, one per line)').fill(TPP_REDIRECT_URI);
    await page.getByLabel('Client authentication').selectOption('private_key_jwt');
    await page.getByLabel('Public JWKS (JSON), or…').fill(JSON.stringify({ keys: [own.publicJwk] }));
    await page.getByLabel('Logo (https URL or image data URL; optional)').fill(LOGO);
    await screenshot(page, 'operator-02-onboard');
    await page.getByRole('button', { name: 'Onboard' }).click();
    await page.getByRole('heading', { name: 'かんたん家計簿' }).waitFor();
    assert.match(await page.getByRole('status').innerText(), /onboarded and active/);
    // The inline logo shows, under a policy that allows data: images on this page only. (An expression: it runs in the page.)
    assert.equal(await page.evaluate("document.querySelector('.tpp img').naturalWidth"), 1);
    clientId = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1)!);
    assert.match(clientId, /^tpp-/);

    tpp = await TestTpp.create(bank, { clientId, metadata: { redirect_uris: [TPP_REDIRECT_URI], token_endpoint_auth_method: 'private_key_jwt' }, signingKey: own.signingKey, ...own.certificate });
    const customerTokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: customer.loginId, password: customer.password });
    for (let i = 0; i < 3; i++) assert.equal((await tpp.api('/accounts', customerTokens.accessToken)).status, 200);

    await page.reload();
    const traffic = page.locator('table', { has: page.getByRole('columnheader', { name: 'Route' }) });
    assert.match(await traffic.innerText(), /\/api\/v1\/accounts\s+GET\s+2xx\s+3/);
    assert.match(await page.locator('dl.facts').innerText(), new RegExp(REGISTRATION_NUMBER.replace(/[()（）]/g, '.')));
    await screenshot(page, 'operator-03-tpp-watched');

    // The operator suspends it: its next call is refused, and the console shows the refusal and the event.
    await page.getByLabel('Reason').first().fill('incident 7: leaked key reported');
    await page.getByRole('button', { name: 'Suspend (refused at once)' }).click();
    assert.match(await page.getByRole('status').innerText(), /suspended/);
    const refused = await tpp.api('/accounts', customerTokens.accessToken);
    assert.equal(refused.status, 403);
    await page.reload();
    assert.match(await page.locator('dl.facts').innerText(), /suspended/);
    assert.match(await page.locator('table', { has: page.getByRole('columnheader', { name: 'Interaction id' }) }).innerText(), /403/);
    assert.match(await page.locator('table', { has: page.getByRole('columnheader', { name: 'Source' }) }).innerText(), /suspended_tpp/);
    assert.equal(await page.getByRole('button', { name: 'Reinstate' }).count(), 1);
    await screenshot(page, 'operator-04-tpp-suspended');
  });

  test('the audit log shows the operator\'s actions, filtered by TPP and kind, and the chain verifies', async () => {
    await page.getByRole('link', { name: 'This TPP in the audit log' }).click();
    await page.getByLabel('Kind (e.g. api.access, or operator. for all operator actions)').fill('operator.');
    await page.getByRole('button', { name: 'Filter' }).click();
    const entries = await page.locator('tbody').innerText();
    assert.match(entries, /operator\.tpp\.suspended/);
    assert.match(entries, /operator\.tpp\.onboarded/);
    assert.match(entries, /"via":"console"/);
    await page.getByRole('button', { name: 'Verify the hash chain' }).click();
    assert.match(await page.getByRole('status').innerText(), /Chain intact/);
    await screenshot(page, 'operator-05-audit');
    assert.deepEqual(violations, []);
  });

  test('an auditor sees the TPP but no action; logging out ends the session', async () => {
    const auditor = await createOperator(bank.store.db, { name: 'auditor-browser', role: 'auditor' });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Operator login' }).waitFor();
    await page.goto(`${bank.config.browser.publicUrl}/operator/tpps/${encodeURIComponent(clientId)}`);
    await page.getByRole('heading', { name: 'Operator login' }).waitFor();

    await logIn('auditor-browser', auditor.password, auditor.totpSecretBase32);
    await page.goto(`${bank.config.browser.publicUrl}/operator/tpps/${encodeURIComponent(clientId)}`);
    await page.getByRole('heading', { name: 'かんたん家計簿' }).waitFor();
    assert.equal(await page.getByRole('button').count(), 1, 'only "Log out"');
    assert.equal(await page.getByRole('link', { name: 'Onboard a TPP' }).count(), 0);
    await screenshot(page, 'operator-06-auditor');
  });
});
