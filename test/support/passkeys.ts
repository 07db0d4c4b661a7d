// Passkeys for the tests, two ways a customer has them:
// - in Chromium, on its virtual authenticator (CDP WebAuthn domain): a platform authenticator with resident keys
//   and user verification, as a phone or laptop has (addVirtualAuthenticator, enrolPasskey);
// - for the script-free CustomerBrowser, a software passkey (SoftwarePasskey): an ES256 key pair answering the
//   bank's WebAuthn options exactly as an authenticator and browser would (attestation "none", client data with
//   the page's origin), like a password manager that keeps passkeys.
// The bank verifies every signature; nothing here is a shortcut around it.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { CDPSession, Page as BrowserPage } from 'playwright-core';
import { nextTotpCode } from './authenticator.ts';
import { CustomerBrowser, type Page } from './browser.ts';

export interface PasskeyCustomer {
  loginId: string;
  password: string;
}

// ---- Chromium -------------------------------------------------------------------------------------------

/** A virtual platform authenticator on the page's browser context that verifies its user without asking. */
export async function addVirtualAuthenticator(page: BrowserPage): Promise<{ session: CDPSession; authenticatorId: string }> {
  const session = await page.context().newCDPSession(page);
  await session.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await session.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { session, authenticatorId };
}

/** The passkeys the virtual authenticator holds (one per enrolment). */
export async function virtualCredentials(authenticator: { session: CDPSession; authenticatorId: string }): Promise<{ credentialId: string; rpId?: string; userHandle?: string }[]> {
  const { credentials } = await authenticator.session.send('WebAuthn.getCredentials', { authenticatorId: authenticator.authenticatorId });
  return credentials;
}

/**
 * Logs in to the customer's pages with password and one-time code and adds a passkey (on the page's virtual
 * authenticator) under `name`; the page is left on the passkeys page. `bankUrl` is the browser listener's URL.
 */
export async function enrolPasskey(page: BrowserPage, bankUrl: string, customer: PasskeyCustomer, name = 'Chromium'): Promise<void> {
  await openPasskeysPage(page, bankUrl, customer);
  await page.locator('#passkeyName').fill(name);
  const before = await page.locator('[data-passkey-id]').count();
  await page.locator('form[data-passkey="enrol"] button[type=submit]').click();
  await page.locator('[data-passkey-id]').nth(before).waitFor();
}

/** Opens the customer's passkeys page, logging in with password and one-time code when the session has ended. */
export async function openPasskeysPage(page: BrowserPage, bankUrl: string, customer: PasskeyCustomer): Promise<void> {
  await page.goto(`${bankUrl}/my/passkeys`);
  if ((await page.locator('#loginId').count()) === 0) return;
  await page.locator('#loginId').fill(customer.loginId);
  await page.locator('#password').fill(customer.password);
  await page.locator('#totp').fill(await nextTotpCode(customer.loginId));
  await page.locator('form[action="/my/login"] button[type=submit]').click();
  await page.waitForURL(`${bankUrl}/my/**`);
  if (!page.url().includes('/my/passkeys')) await page.goto(`${bankUrl}/my/passkeys`);
}

// ---- The script-free browser -----------------------------------------------------------------------------

interface CreationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string };
}
interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

/** One software passkey: a P-256 key, its credential id, the user handle the bank gave it, and its counter. */
export class SoftwarePasskey {
  private signCount = 0;

  private constructor(
    readonly credentialId: Buffer,
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    readonly rpId: string,
    readonly userHandle: string,
  ) {}

  /** Creates a passkey for the bank's registration options and returns it with the answer the browser sends. */
  static create(optionsJson: string, origin: string): { passkey: SoftwarePasskey; response: string } {
    const options = JSON.parse(optionsJson) as CreationOptions;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const passkey = new SoftwarePasskey(randomBytes(16), privateKey, publicKey, options.rp.id ?? new URL(origin).hostname, options.user.id);
    const clientData = clientDataJson('webauthn.create', options.challenge, origin);
    const attestationObject = cbor(new Map<unknown, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', passkey.authenticatorData(true)]]));
    const response = {
      id: passkey.credentialId.toString('base64url'),
      rawId: passkey.credentialId.toString('base64url'),
      type: 'public-key',
      response: { clientDataJSON: clientData.toString('base64url'), attestationObject: attestationObject.toString('base64url'), transports: ['internal'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
    return { passkey, response: JSON.stringify(response) };
  }

  /** The answer to the bank's authentication options: a signature over the authenticator data and client data. */
  answer(optionsJson: string, origin: string): string {
    const options = JSON.parse(optionsJson) as RequestOptions;
    const allowed = options.allowCredentials ?? [];
    if (allowed.length > 0 && !allowed.some((c) => c.id === this.credentialId.toString('base64url'))) throw new Error('the bank asked for another passkey');
    const clientData = clientDataJson('webauthn.get', options.challenge, origin);
    const authenticatorData = this.authenticatorData(false);
    const signature = sign('sha256', Buffer.concat([authenticatorData, createHash('sha256').update(clientData).digest()]), this.privateKey);
    return JSON.stringify({
      id: this.credentialId.toString('base64url'),
      rawId: this.credentialId.toString('base64url'),
      type: 'public-key',
      response: {
        clientDataJSON: clientData.toString('base64url'),
        authenticatorData: authenticatorData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: this.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    });
  }

  /** rpIdHash, flags (UP, UV, and AT with the credential when created), counter, [attested credential data]. */
  private authenticatorData(withCredential: boolean): Buffer {
    this.signCount += 1;
    const flags = 0x01 | 0x04 | (withCredential ? 0x40 : 0);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.signCount);
    const head = Buffer.concat([createHash('sha256').update(this.rpId).digest(), Buffer.from([flags]), counter]);
    if (!withCredential) return head;
    const jwk = this.publicKey.export({ format: 'jwk' });
    const coseKey = cbor(
      new Map<unknown, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    return Buffer.concat([head, Buffer.alloc(16), idLength, this.credentialId, coseKey]);
  }
}

function clientDataJson(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

/** The little CBOR (RFC 8949) an attestation needs: small integers, byte and text strings, maps. */
function cbor(value: unknown): Buffer {
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.from([(major << 5) | length]);
    if (length < 256) return Buffer.from([(major << 5) | 24, length]);
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(length, 1);
    return b;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Map) return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  throw new Error(`cbor: cannot encode ${typeof value}`);
}

/** The software passkeys enrolled so far, per bank (its CA, so a new bank is a new key ring) and customer. */
const softwarePasskeys = new Map<string, SoftwarePasskey>();

/** The data-options of the page's passkey form for `purpose`, and the form's action. */
export function passkeyFormOf(page: Page, purpose: 'login' | 'approve' | 'enrol'): { action: string; options: string } | undefined {
  const match = new RegExp(`<form[^>]*action="([^"]*)"[^>]*data-passkey="${purpose}"[^>]*data-options="([^"]*)"`).exec(page.html);
  return match ? { action: decodeHtml(match[1]!), options: decodeHtml(match[2]!) } : undefined;
}

/**
 * The customer's software passkey at this bank, enrolled on first use as a customer would: on the bank's own
 * pages, logged in with password and one-time code (in a browser of its own, so `browser`'s cookies are untouched).
 */
export async function softwarePasskeyFor(browser: CustomerBrowser, bankOrigin: string, customer: PasskeyCustomer): Promise<SoftwarePasskey> {
  const key = `${createHash('sha256').update(browser.caCertificatePem).digest('hex')}|${bankOrigin}|${customer.loginId}`;
  const known = softwarePasskeys.get(key);
  if (known) return known;
  const enrolling = new CustomerBrowser(browser.caCertificatePem, browser.tppRedirectPrefix);
  try {
    const login = expectBankPage(await enrolling.open(`${bankOrigin}/my/login`));
    expectBankPage(await enrolling.submit(login, '/my/login', { loginId: customer.loginId, password: customer.password, totp: await nextTotpCode(customer.loginId) }));
    const passkeysPage = expectBankPage(await enrolling.open(`${bankOrigin}/my/passkeys`));
    const form = passkeyFormOf(passkeysPage, 'enrol') ?? assertNever(`no passkey enrolment form on ${passkeysPage.url}:\n${passkeysPage.html}`);
    const { passkey, response } = SoftwarePasskey.create(form.options, bankOrigin);
    const done = expectBankPage(await enrolling.submit(passkeysPage, form.action, { credential: response, name: 'test password manager' }));
    if (!done.html.includes(`data-passkey-id="${passkey.credentialId.toString('base64url')}"`)) throw new Error(`the bank did not keep the passkey:\n${done.html}`);
    softwarePasskeys.set(key, passkey);
    return passkey;
  } finally {
    await enrolling.close();
  }
}

/**
 * Logs in on the bank's login page with the customer's passkey (enrolled on first use), as the page's script
 * would; returns what the bank shows next (consent, transfer approval) or the TPP's URL.
 */
export async function logIn(browser: CustomerBrowser, login: Page, customer: PasskeyCustomer): Promise<Page | { tppUrl: string }> {
  const origin = new URL(login.url).origin;
  const form = passkeyFormOf(login, 'login') ?? assertNever(`no passkey login form on ${login.url}:\n${login.html}`);
  const passkey = await softwarePasskeyFor(browser, origin, customer);
  return browser.submit(login, form.action, { credential: passkey.answer(form.options, origin) });
}

function expectBankPage(result: Page | { tppUrl: string }): Page {
  if ('tppUrl' in result) throw new Error(`unexpectedly at the TPP: ${result.tppUrl}`);
  if (result.status >= 400) throw new Error(`the bank answered ${result.status} on ${result.url}:\n${result.html}`);
  return result;
}

function assertNever(message: string): never {
  throw new Error(message);
}

function decodeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
