// The console's defences, tried as an attacker would: no session, no page; a form posted without the session's
// token (another site's page) does nothing; five wrong one-time codes lock the login even for the right one; an
// auditor's hand-made POST changes nothing; the cookie is host-only, HttpOnly, Secure, SameSite=Strict; logging
// out ends the session on the server, not only in the browser.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Agent, fetch } from 'undici';
import { DEMO_OPERATOR } from '../../src/operator/demo-operator.ts';
import { createOperator } from '../../src/operator/operators.ts';
import { startTestBank, TPP_REDIRECT_URI, type TestBank } from '../support/bank.ts';
import { CustomerBrowser, type Page } from '../support/browser.ts';
import { nextTotpCodeFor } from '../support/authenticator.ts';
import { expectPage } from '../support/tpp.ts';
import { readAuditLog } from '../../src/operator/audit-viewer.ts';

describe('operator console security', () => {
  let bank: TestBank;
  let clientId: string;
  const browsers: CustomerBrowser[] = [];

  before(async () => {
    bank = await startTestBank();
    clientId = (await bank.registerTpp('private_key_jwt')).clientId;
  });

  after(async () => {
    for (const browser of browsers) await browser.close();
    await bank?.stop();
  });

  const url = (path: string) => `${bank.config.browser.publicUrl}/operator${path}`;
  const newBrowser = () => {
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, TPP_REDIRECT_URI);
    browsers.push(browser);
    return browser;
  };
  const tppStatus = async () => (await bank.store.db.selectFrom('tpps').select('status').where('client_id', '=', clientId).executeTakeFirstOrThrow()).status;

  async function loggedIn(name: string, password: string, secret: string): Promise<{ browser: CustomerBrowser; tppPage: Page }> {
    const browser = newBrowser();
    const login = expectPage(await browser.open(url('/login')), 'login');
    const list = expectPage(await browser.submit(login, '/operator/login', { name, password, totp: await nextTotpCodeFor(secret) }), 'TPP list');
    assert.equal(list.status, 200, list.html);
    return { browser, tppPage: expectPage(await browser.open(url(`/tpps/${clientId}`)), 'TPP') };
  }

  test('without a session every page is the login page, under the strict page policy', async () => {
    const browser = newBrowser();
    for (const path of ['/tpps', `/tpps/${clientId}`, '/tpps/new', '/audit?verify=1']) {
      const page = expectPage(await browser.open(url(path)), 'login');
      assert.equal(page.status, 401);
      assert.match(page.html, /Operator login/);
      assert.match(page.contentSecurityPolicy ?? '', /default-src 'none'/);
      assert.doesNotMatch(page.contentSecurityPolicy ?? '', /script-src/);
    }
    // A form posted from another site carries no session cookie (SameSite=Strict) and does nothing.
    const crossSite = expectPage(await browser.send(url(`/tpps/${clientId}/suspend`), { method: 'POST', body: 'reason=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 'login');
    assert.equal(crossSite.status, 401);
    assert.equal(await tppStatus(), 'active');
  });

  test('a form without the session\'s token does nothing; the session cookie is Strict; logout ends it on the server', async () => {
    const { browser, tppPage } = await loggedIn(DEMO_OPERATOR.name, DEMO_OPERATOR.password, DEMO_OPERATOR.totpSecretBase32);
    const forged = expectPage(await browser.submit(tppPage, '/suspend', { reason: 'forged', csrf: 'not-the-token' }), 'error');
    assert.equal(forged.status, 403);
    assert.equal(await tppStatus(), 'active');

    // The same login by hand, to see the cookie as the bank sets it and to replay it after logout.
    const agent = new Agent({ connect: { ca: bank.pki.caCertificatePem } });
    try {
      const form = await fetch(url('/login'), { dispatcher: agent });
      const formCookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const body = new URLSearchParams({ csrf, name: DEMO_OPERATOR.name, password: DEMO_OPERATOR.password, totp: await nextTotpCodeFor(DEMO_OPERATOR.totpSecretBase32) });
      const login = await fetch(url('/login'), { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: formCookie }, redirect: 'manual', dispatcher: agent });
      await login.text();
      assert.equal(login.status, 303);
      const setCookie = login.headers.getSetCookie().find((c) => c.startsWith('__Host-ginko-operator='))!;
      assert.match(setCookie, /^__Host-ginko-operator=[^;]+; Path=\/; Max-Age=28800; HttpOnly; Secure; SameSite=Strict$/);
      const session = setCookie.split(';')[0]!;
      const list = await fetch(url('/tpps'), { headers: { cookie: session }, dispatcher: agent });
      const logoutCsrf = /action="\/operator\/logout"><input type="hidden" name="csrf" value="([^"]+)"/.exec(await list.text())![1]!;
      const logout = await fetch(url('/logout'), { method: 'POST', body: `csrf=${encodeURIComponent(logoutCsrf)}`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session }, redirect: 'manual', dispatcher: agent });
      await logout.text();
      assert.equal(logout.status, 303);
      // The cookie, replayed after logout (a copy kept by malware), opens nothing.
      const replay = await fetch(url('/tpps'), { headers: { cookie: session }, dispatcher: agent });
      await replay.text();
      assert.equal(replay.status, 401);
    } finally {
      await agent.close();
    }
  });

  test('an auditor\'s hand-made POST is refused and changes nothing', async () => {
    const auditor = await createOperator(bank.store.db, { name: 'auditor-security', role: 'auditor' });
    const { browser, tppPage } = await loggedIn('auditor-security', auditor.password, auditor.totpSecretBase32);
    assert.doesNotMatch(tppPage.html, /\/suspend"/, 'no suspend form is shown');
    const csrf = /name="csrf" value="([^"]+)"/.exec(tppPage.html)?.[1];
    assert.ok(csrf, 'the logout form carries the session token');
    const refused = expectPage(await browser.send(url(`/tpps/${clientId}/suspend`), { method: 'POST', body: new URLSearchParams({ reason: 'auditor', csrf }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 'error');
    assert.equal(refused.status, 403);
    assert.match(refused.html, /may look but not change/);
    assert.equal(await tppStatus(), 'active');
  });

  test('five wrong one-time codes lock the login, even for the right code, and each failure is audited', async () => {
    await createOperator(bank.store.db, { name: 'locked-out', role: 'admin', password: 'correct horse battery', totpSecretBase32: 'LOCKEDOUTOPERATORSECRET234567AB' });
    const browser = newBrowser();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const login = expectPage(await browser.open(url('/login')), 'login');
      const refused = expectPage(await browser.submit(login, '/operator/login', { name: 'locked-out', password: 'correct horse battery', totp: '000000' }), 'login');
      assert.equal(refused.status, attempt < 5 ? 401 : 429);
    }
    const login = expectPage(await browser.open(url('/login')), 'login');
    const locked = expectPage(await browser.submit(login, '/operator/login', { name: 'locked-out', password: 'correct horse battery', totp: await nextTotpCodeFor('LOCKEDOUTOPERATORSECRET234567AB') }), 'login');
    assert.equal(locked.status, 429);
    assert.match(locked.html, /locked for 15 minutes/);
    const failures = await readAuditLog(bank.store.db, { action: 'operator.login.failed', limit: 10 });
    assert.equal(failures.entries.length, 6);
    assert.equal(failures.entries[0]!.facts.locked, true);
  });
});
