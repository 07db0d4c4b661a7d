// The browser listener's pages: security headers on every response, a strict Content-Security-Policy on pages
// (the style sheet is a file, no inline style or script), the session cookie's flags, and CSRF tokens on the
// interaction forms.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Agent, fetch } from 'undici';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { CustomerBrowser } from '../support/browser.ts';
import { nextTotpCode } from '../support/authenticator.ts';
import { expectPage, TestTpp } from '../support/tpp.ts';
import { logIn } from '../support/passkeys.ts';

const customer = DEMO_CUSTOMERS[0]!;

let bank: TestBank;
let tpp: TestTpp;
let agent: Agent;

before(async () => {
  bank = await startTestBank();
  tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt'));
  agent = new Agent({ connect: { ca: bank.pki.caCertificatePem } });
});

after(async () => {
  await agent?.close();
  await tpp?.close();
  await bank?.stop();
});

test('pages carry the security headers and a policy that allows no script and no inline style', async () => {
  const response = await fetch(`${bank.config.browser.publicUrl}/my/login`, { dispatcher: agent });
  const body = await response.text();
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  assert.match(response.headers.get('strict-transport-security') ?? '', /^max-age=\d{8,}; includeSubDomains$/);
  const csp = response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /style-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|script-src/);
  assert.doesNotMatch(body, /<style|<script|style="/);

  const stylesheet = /<link rel="stylesheet" href="([^"]+)">/.exec(body)?.[1];
  assert.ok(stylesheet);
  const css = await fetch(`${bank.config.browser.publicUrl}${stylesheet}`, { dispatcher: agent });
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
  assert.match(css.headers.get('cache-control') ?? '', /immutable/);

  // Everything else on the listener, discovery included, is never framed either.
  const discovery = await fetch(`${bank.config.browser.publicUrl}/.well-known/openid-configuration`, { dispatcher: agent });
  await discovery.text();
  assert.equal(discovery.headers.get('x-frame-options'), 'DENY');
  assert.equal(discovery.headers.get('x-content-type-options'), 'nosniff');
});

test('the session cookie is host-only, HttpOnly, Secure and SameSite=Lax', async () => {
  const login = await fetch(`${bank.config.browser.publicUrl}/my/login`, { dispatcher: agent });
  const html = await login.text();
  const formCookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  const response = await fetch(`${bank.config.browser.publicUrl}/my/login`, {
    method: 'POST',
    dispatcher: agent,
    redirect: 'manual',
    headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, loginId: customer.loginId, password: customer.password, totp: await nextTotpCode(customer.loginId) }).toString(),
  });
  assert.equal(response.status, 303);
  const session = response.headers.getSetCookie().find((c) => c.startsWith('__Host-ginko-session='));
  assert.ok(session);
  assert.match(session, /; Path=\/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax$/);
  assert.doesNotMatch(session, /Domain=/i);
});

test('an interaction form without its CSRF token does nothing', async () => {
  const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
  try {
    const { url } = await tpp.authorizationUrl({ requestMethod: 'par', responseMode: 'jarm' });
    const login = expectPage(await browser.open(url.href), 'login');
    assert.ok(browser.form(login, '/login').fields.some((f) => f.name === 'csrf' && f.value.length > 20));
    const action = new URL(browser.form(login, '/login').action, login.url).href;
    const forged = expectPage(
      await browser.send(action, {
        method: 'POST',
        body: new URLSearchParams({ loginId: customer.loginId, password: customer.password }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      'error',
    );
    assert.equal(forged.status, 400);
    // The genuine form still works afterwards.
    const consent = expectPage(await logIn(browser, login, customer), 'consent');
    assert.match(consent.html, /name="csrf"/);
  } finally {
    await browser.close();
  }
});
