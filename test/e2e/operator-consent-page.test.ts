// The consent page names the TPP as the operator registered it: its 電子決済等代行業者 registration number and its
// logo when it has them, escaped like everything else; the logo's origin (or data:) is the one thing added to the
// page policy's img-src, and a TPP without a logo leaves the policy as strict as ever.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { PAGE_CONTENT_SECURITY_POLICY } from '../../src/web/security-headers.ts';
import { startTestBank, TPP_REDIRECT_URI, type TestBank } from '../support/bank.ts';
import { CustomerBrowser } from '../support/browser.ts';
import { logIn } from '../support/passkeys.ts';
import { expectPage, TestTpp } from '../support/tpp.ts';
import { AdminApiClient, tppOwnCredentials } from '../support/admin-api.ts';

const customer = DEMO_CUSTOMERS[0]!;
/** A 1×1 PNG. */
const PNG_LOGO = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('the TPP on the consent page', () => {
  let bank: TestBank;
  let admin: AdminApiClient;

  before(async () => {
    bank = await startTestBank();
    admin = new AdminApiClient(bank);
  });

  after(async () => {
    await admin?.close();
    await bank?.stop();
  });

  /** Onboards a TPP with these extras and returns the consent page a customer sees for it. */
  async function consentPageFor(extras: { registrationNumber?: string; logoUri?: string }) {
    const own = await tppOwnCredentials(bank, `consent-${Object.keys(extras).join('-') || 'plain'}`);
    const onboarded = await admin.call('POST', '/tpps', { name: '<i>家計簿</i>', redirectUris: [TPP_REDIRECT_URI], authMethod: 'private_key_jwt', jwks: { keys: [own.publicJwk] }, ...extras });
    assert.equal(onboarded.status, 201, JSON.stringify(onboarded.body));
    const tpp = await TestTpp.create(bank, {
      clientId: onboarded.body.clientId,
      metadata: { redirect_uris: [TPP_REDIRECT_URI], token_endpoint_auth_method: 'private_key_jwt' },
      signingKey: own.signingKey,
      ...own.certificate,
    });
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, TPP_REDIRECT_URI);
    try {
      const { url } = await tpp.authorizationUrl({ requestMethod: 'par', responseMode: 'jarm' });
      const login = expectPage(await browser.open(url.href), 'login');
      return expectPage(await logIn(browser, login, customer), 'consent');
    } finally {
      await browser.close();
      await tpp.close();
    }
  }

  test('registration number and an https logo, escaped; the logo origin alone joins img-src', async () => {
    const consent = await consentPageFor({ registrationNumber: '関東財務局長（電代）第1号 <script>', logoUri: 'https://logo.kakeibo.example/logo.png?size="48"' });
    assert.match(consent.html, /電子決済等代行業者 登録番号: 関東財務局長（電代）第1号 &lt;script&gt;/);
    assert.match(consent.html, /<strong>&lt;i&gt;家計簿&lt;\/i&gt;<\/strong>/);
    assert.match(consent.html, /<img src="https:\/\/logo\.kakeibo\.example\/logo\.png\?size=%2248%22" alt="" width="48" height="48">/);
    assert.doesNotMatch(consent.html, /<script>/);
    assert.equal(consent.contentSecurityPolicy, PAGE_CONTENT_SECURITY_POLICY.replace("img-src 'self'", "img-src 'self' https://logo.kakeibo.example"));
  });

  test('an inline logo: data: joins img-src, nothing else', async () => {
    const consent = await consentPageFor({ logoUri: PNG_LOGO });
    assert.ok(consent.html.includes(`<img src="${PNG_LOGO}"`));
    assert.doesNotMatch(consent.html, /登録番号/);
    assert.equal(consent.contentSecurityPolicy, PAGE_CONTENT_SECURITY_POLICY.replace("img-src 'self'", "img-src 'self' data:"));
  });

  test('a TPP without either: no image, no number, the strict policy', async () => {
    const consent = await consentPageFor({});
    assert.doesNotMatch(consent.html, /<img|登録番号/);
    assert.equal(consent.contentSecurityPolicy, PAGE_CONTENT_SECURITY_POLICY);
  });
});
