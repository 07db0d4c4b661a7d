// What the OpenID FAPI 1.0 Advanced conformance suite does to an authorization server, done by hand:
// request objects and client assertions built with jose (so that a test can break exactly one thing),
// sent by value or pushed, through the customer's browser and over the TPP's mTLS connection; and the
// outcomes the suite accepts (error page, error redirect with the state, error from the PAR endpoint).
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, UnsecuredJWT, type JWK, type JWTPayload } from 'jose';
import { after, before, type TestContext } from 'node:test';
import { checkServerIdentity } from 'node:tls';
import { Agent, fetch, request, type Response } from 'undici';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { OIDC_ROUTES } from '../../src/auth/routes.ts';
import type { TestBank } from './bank.ts';
import { startTestBank, TPP_REDIRECT_URI } from './bank.ts';
import { CustomerBrowser, type Page } from './browser.ts';
import type { TppAuthMethod } from '../../src/tpp/registry.ts';
import { expectPage, TestTpp } from './tpp.ts';
import { logIn } from './passkeys.ts';

export const CUSTOMER = DEMO_CUSTOMERS[0]!;
/** The second registered redirect URI: the first plus a query component, as the suite registers it. */
export const SECOND_REDIRECT_URI = `${TPP_REDIRECT_URI}?second=1`;

export type RequestMethod = 'by_value' | 'par';
export type ResponseMode = 'code_id_token' | 'jarm';
export interface Variant {
  request: RequestMethod;
  response: ResponseMode;
}
export const VARIANTS: Variant[] = [
  { request: 'by_value', response: 'code_id_token' },
  { request: 'by_value', response: 'jarm' },
  { request: 'par', response: 'code_id_token' },
  { request: 'par', response: 'jarm' },
];
export const nameOf = (v: Variant): string => `${v.request} × ${v.response}`;

export const now = (): number => Math.floor(Date.now() / 1000);
export const randomString = (length: number): string => randomBytes(length).toString('base64url').slice(0, length);

/** RFC 7636 S256 / OIDC Core s_hash and c_hash for PS256/ES256: base64url of (the left half of) SHA-256. */
export const s256 = (value: string): string => createHash('sha256').update(value).digest('base64url');
export const halfHash = (value: string): string => createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');

// ---------------------------------------------------------------------------------------------------
// A registered TPP as the suite's `client` / `client2`: its credentials, its mTLS connection, its bank

export class Client {
  private constructor(
    readonly bank: TestBank,
    readonly tpp: TestTpp,
  ) {}

  static async register(bank: TestBank, method: TppAuthMethod, options?: Parameters<TestBank['registerTpp']>[1]): Promise<Client> {
    return new Client(bank, await TestTpp.create(bank, await bank.registerTpp(method, options)));
  }

  get registered(): TestTpp['registered'] {
    return this.tpp.registered;
  }

  get clientId(): string {
    return this.tpp.registered.clientId;
  }

  /** The TPP's own mTLS connection (its certificate). */
  get agent(): Agent {
    return this.tpp.agent;
  }

  api(path: string, accessToken: string, headers: Record<string, string> = {}): ReturnType<TestTpp['api']> {
    return this.tpp.api(path, accessToken, headers);
  }

  close(): Promise<void> {
    return this.tpp.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// A test file's suite: one bank, and the suite's `client` and `client2` for each client authentication
// method, the tests run once per method × variant

export const AUTH_METHODS: TppAuthMethod[] = ['private_key_jwt', 'tls_client_auth'];

/** One method × variant subtest: its client authentication method, the suite's `client` and `client2`, the variant. */
export interface Case {
  method: TppAuthMethod;
  tpp: Client;
  other: Client;
  variant: Variant;
}

export interface EachVariantOptions {
  /** Only these client authentication methods (default: all of the suite's). */
  methods?: TppAuthMethod[];
  /** Only the variants this holds for (default: all of the suite's). */
  only?: (variant: Variant) => boolean;
}

export interface ConformanceSuite {
  /** The running bank (from inside a test or hook). */
  bank(): TestBank;
  /** The two TPPs registered with `method`: the suite's `client` and `client2`. */
  clients(method: TppAuthMethod): [Client, Client];
  /** Runs `body` once per client authentication method × variant, as subtests named `method × variant`. */
  eachVariant(t: TestContext, body: (c: Case) => Promise<void>, options?: EachVariantOptions): Promise<void>;
}

export interface ConformanceSuiteOptions {
  /** The client authentication methods to register two TPPs for (default: all). */
  methods?: TppAuthMethod[];
  /** The variants `eachVariant` runs (default: all four). */
  variants?: Variant[];
  /** The file's own resources, made once the bank and the TPPs are there. */
  setUp?: (bank: TestBank) => void | Promise<void>;
  /** Releases them, after the TPPs are closed and before the bank stops. */
  tearDown?: () => void | Promise<void>;
}

/**
 * Registers the file's `before` and `after` hooks (the only ones it should have: top-level `before`
 * hooks do not wait for each other): start a test bank, register two TPPs per client authentication
 * method, then `setUp`; close the TPPs, `tearDown`, stop the bank.
 */
export function conformanceSuite({ methods = AUTH_METHODS, variants = VARIANTS, setUp, tearDown }: ConformanceSuiteOptions = {}): ConformanceSuite {
  let running: TestBank | undefined;
  const registered = new Map<TppAuthMethod, [Client, Client]>();

  before(async () => {
    const bank = await startTestBank();
    running = bank;
    for (const method of methods) registered.set(method, [await Client.register(bank, method), await Client.register(bank, method)]);
    await setUp?.(bank);
  });

  after(async () => {
    for (const pair of registered.values()) for (const client of pair) await client.close();
    await tearDown?.();
    await running?.stop();
  });

  const bank = (): TestBank => {
    if (!running) throw new Error('the conformance suite\'s bank is not running (use it from inside a test)');
    return running;
  };
  const clients = (method: TppAuthMethod): [Client, Client] => {
    const pair = registered.get(method);
    if (!pair) throw new Error(`no ${method} clients registered`);
    return pair;
  };
  return {
    bank,
    clients,
    async eachVariant(t, body, options = {}) {
      const only = options.only ?? (() => true);
      for (const method of options.methods ?? methods) {
        const [tpp, other] = clients(method);
        for (const variant of variants.filter(only)) await t.test(`${method} × ${nameOf(variant)}`, () => body({ method, tpp, other, variant }));
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Endpoints

export function endpoints(bank: TestBank) {
  return {
    issuer: bank.provider.issuer,
    authorization: `${bank.config.browser.publicUrl}${OIDC_ROUTES.authorization}`,
    jwks: `${bank.config.browser.publicUrl}${OIDC_ROUTES.jwks}`,
    par: `${bank.config.mtls.publicUrl}${OIDC_ROUTES.pushed_authorization_request}`,
    token: `${bank.config.mtls.publicUrl}${OIDC_ROUTES.token}`,
    introspection: `${bank.config.mtls.publicUrl}${OIDC_ROUTES.introspection}`,
    userinfo: `${bank.config.mtls.publicUrl}${OIDC_ROUTES.userinfo}`,
  };
}

// ---------------------------------------------------------------------------------------------------
// Signing

export interface Signer {
  alg: 'PS256' | 'RS256' | 'none';
  /** Private JWK; the TPP's own registered key when absent. */
  key?: JWK;
  /** JWS `typ`, e.g. `oauth-authz-req+jwt` (RFC 9101 §10.8). */
  typ?: string;
  /** Flip bits of the signature after signing. */
  corrupt?: boolean;
}

export async function sign(tpp: Client, payload: JWTPayload, signer: Signer = { alg: 'PS256' }): Promise<string> {
  if (signer.alg === 'none') return new UnsecuredJWT(payload).encode();
  const jwk = signer.key ?? tpp.registered.signingKey;
  const key = await importJWK(jwk, signer.alg);
  const jws = await new SignJWT(payload).setProtectedHeader({ alg: signer.alg, kid: jwk.kid, ...(signer.typ ? { typ: signer.typ } : {}) }).sign(key);
  if (!signer.corrupt) return jws;
  const [header, body, signature] = jws.split('.') as [string, string, string];
  const flipped = Buffer.from(signature, 'base64url').map((byte) => byte ^ 0x5a);
  return `${header}.${body}.${Buffer.from(flipped).toString('base64url')}`;
}

/** A fresh RSA key pair that no client registered. */
export async function unregisteredRsaKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('PS256', { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), kid: 'unregistered' };
}

// ---------------------------------------------------------------------------------------------------
// Client authentication (RFC 7523 private_key_jwt or RFC 8705 tls_client_auth)

export interface ClientAuthOptions {
  /** Claims to change in the assertion; `undefined` removes a claim. */
  assertion?: Record<string, unknown>;
  /** Sign the assertion differently (RS256, another key). */
  assertionSigner?: Signer;
  /** Send no client assertion at all. */
  noAssertion?: boolean;
  /** The client_id form parameter; defaults to the TPP's, `null` omits it. */
  clientId?: string | null;
}

export async function clientAssertion(tpp: Client, audience: string | string[], overrides: Record<string, unknown> = {}, signer?: Signer): Promise<string> {
  const clientId = tpp.registered.clientId;
  const claims: Record<string, unknown> = { iss: clientId, sub: clientId, aud: audience, jti: randomUUID(), iat: now(), exp: now() + 60, ...overrides };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return sign(tpp, claims as JWTPayload, signer);
}

export async function clientAuthParams(tpp: Client, audience: string, options: ClientAuthOptions): Promise<Record<string, string>> {
  const clientId = options.clientId === undefined ? tpp.registered.clientId : options.clientId;
  const params: Record<string, string> = clientId === null ? {} : { client_id: clientId };
  if (tpp.registered.metadata.token_endpoint_auth_method === 'private_key_jwt' && !options.noAssertion) {
    params.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    params.client_assertion = await clientAssertion(tpp, audience, options.assertion, options.assertionSigner);
  }
  return params;
}

export interface JsonResponse {
  status: number;
  body: any;
  contentType: string;
}

/** A response read whole: its status, headers and body, and the body as JSON where it parses. */
export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** Reads `response` whole, whatever it holds: `json` is undefined for an empty body or one that is not JSON. */
export async function readAnswer(response: Response): Promise<RawAnswer> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers as unknown as Headers, text, json };
}

/** A form POST to an mTLS endpoint, over `agent` (the TPP's own connection by default); `headers` e.g. a DPoP proof. */
export async function postForm(url: string, form: Record<string, string>, agent: Agent, headers: Record<string, string> = {}): Promise<JsonResponse & { dpopNonce?: string }> {
  const response = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    dispatcher: agent,
  });
  const dpopNonce = response.headers.get('dpop-nonce') ?? undefined;
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  return { status: response.status, body: contentType.includes('json') && text ? JSON.parse(text) : text, contentType, ...(dpopNonce ? { dpopNonce } : {}) };
}

/**
 * The same POST, over the TPP's certificate, but with a `Host` header naming another server — as an
 * attacker replaying an assertion minted for that server would send it. TLS still verifies the bank.
 */
export async function postFormWithHost(tpp: Client, url: string, form: Record<string, string>, host: string): Promise<JsonResponse> {
  const agent = new Agent({
    connect: {
      ca: tpp.bank.pki.caCertificatePem,
      cert: tpp.registered.certificatePem,
      key: tpp.registered.privateKeyPem,
      servername: new URL(url).hostname,
      checkServerIdentity: (_host, certificate) => checkServerIdentity(new URL(url).hostname, certificate),
    },
  });
  try {
    const response = await request(url, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { host, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      dispatcher: agent,
    });
    const text = await response.body.text();
    const contentType = String(response.headers['content-type'] ?? '');
    return { status: response.statusCode, body: contentType.includes('json') && text ? JSON.parse(text) : text, contentType };
  } finally {
    await agent.close();
  }
}

/** A token-endpoint request with this TPP's client authentication (audience: the token endpoint). */
export async function tokenRequest(tpp: Client, form: Record<string, string>, options: ClientAuthOptions & { agent?: Agent; audience?: string } = {}): Promise<JsonResponse> {
  const url = endpoints(tpp.bank).token;
  return postForm(url, { ...form, ...(await clientAuthParams(tpp, options.audience ?? url, options)) }, options.agent ?? tpp.agent);
}

/** A pushed authorization request (RFC 9126 §2.1) with this TPP's client authentication (audience: the PAR endpoint). */
export async function push(tpp: Client, form: Record<string, string>, options: ClientAuthOptions & { audience?: string } = {}): Promise<JsonResponse> {
  const url = endpoints(tpp.bank).par;
  return postForm(url, { ...form, ...(await clientAuthParams(tpp, options.audience ?? url, options)) }, tpp.agent);
}

export async function introspect(tpp: Client, token: string): Promise<JsonResponse> {
  const url = endpoints(tpp.bank).introspection;
  return postForm(url, { token, ...(await clientAuthParams(tpp, url, {})) }, tpp.agent);
}

// ---------------------------------------------------------------------------------------------------
// Authorization requests

export interface AuthorizationRequest {
  /** The request object's claims. */
  claims: Record<string, unknown>;
  state: string | undefined;
  nonce: string | undefined;
  codeVerifier: string;
  redirectUri: string;
}

/**
 * The request object a FAPI 1.0 Advanced client sends: every parameter inside, PKCE S256, exp 5
 * minutes after nbf. `overrides` changes or (with `undefined`) removes claims.
 */
export function authorizationRequest(tpp: Client, variant: Variant, overrides: Record<string, unknown> = {}): AuthorizationRequest {
  const codeVerifier = randomString(64);
  const issuedAt = now();
  const claims: Record<string, unknown> = {
    iss: tpp.registered.clientId,
    aud: tpp.bank.provider.issuer,
    client_id: tpp.registered.clientId,
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + 300,
    jti: randomUUID(),
    response_type: variant.response === 'jarm' ? 'code' : 'code id_token',
    ...(variant.response === 'jarm' ? { response_mode: 'jwt' } : {}),
    redirect_uri: TPP_REDIRECT_URI,
    scope: 'openid accounts',
    state: randomString(22),
    nonce: randomString(22),
    code_challenge: s256(codeVerifier),
    code_challenge_method: 'S256',
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return {
    claims,
    state: claims.state as string | undefined,
    nonce: claims.nonce as string | undefined,
    codeVerifier,
    redirectUri: (claims.redirect_uri as string | undefined) ?? TPP_REDIRECT_URI,
  };
}

export interface SendOptions {
  signer?: Signer;
  /** Query parameters of the authorization URL besides `request`/`request_uri`; `undefined` removes one. */
  outside?: Record<string, string | undefined>;
  /**
   * The suite's default duplicates outside the request object (response_type, client_id, scope,
   * redirect_uri); false sends only client_id and request/request_uri (RFC 9101 §5).
   */
  duplicates?: boolean;
  /** Reverse the order of the URL's query parameters. */
  reverse?: boolean;
  /** Extra form parameters for the PAR request, and its client authentication. */
  parForm?: Record<string, string>;
  parAuth?: ClientAuthOptions & { audience?: string };
  /** A signed request object to send instead of signing `request.claims`. */
  requestObject?: string;
}

export type Started = { kind: 'par-error'; response: JsonResponse } | { kind: 'url'; url: string; requestUri?: string; expiresIn?: number };

/** Signs the request object and either puts it in the URL (by_value) or pushes it (PAR). */
export async function start(tpp: Client, variant: Variant, request: AuthorizationRequest, options: SendOptions = {}): Promise<Started> {
  const requestObject = options.requestObject ?? (await sign(tpp, request.claims as JWTPayload, options.signer));
  const outside: Record<string, string | undefined> = {};
  if (options.duplicates !== false) {
    for (const name of ['response_type', 'client_id', 'scope', 'redirect_uri']) {
      const value = request.claims[name];
      if (typeof value === 'string') outside[name] = value;
    }
  }
  outside.client_id = tpp.registered.clientId;
  Object.assign(outside, options.outside);

  let reference: Record<string, string>;
  let pushed: { requestUri: string; expiresIn: number } | undefined;
  if (variant.request === 'par') {
    const response = await push(tpp, { request: requestObject, ...options.parForm }, options.parAuth);
    if (response.status !== 201) return { kind: 'par-error', response };
    pushed = { requestUri: response.body.request_uri, expiresIn: response.body.expires_in };
    reference = { request_uri: pushed.requestUri };
  } else {
    reference = { request: requestObject };
  }
  const entries = Object.entries({ ...outside, ...reference }).filter((entry): entry is [string, string] => entry[1] !== undefined);
  entries.sort(([a], [b]) => (options.reverse ? b.localeCompare(a) : a.localeCompare(b)));
  const url = `${endpoints(tpp.bank).authorization}?${new URLSearchParams(entries).toString()}`;
  return { kind: 'url', url, ...(pushed ?? {}) };
}

// ---------------------------------------------------------------------------------------------------
// The browser's side, and what comes back to the TPP

export type Outcome =
  | { kind: 'par-error'; response: JsonResponse }
  | { kind: 'error-page'; status: number; html: string; url: string }
  | { kind: 'login'; page: Page }
  | { kind: 'consent'; page: Page }
  | { kind: 'redirect'; url: string; where: 'fragment' | 'query' | 'jarm'; params: Record<string, string> };

/** A fresh customer browser (no session) opening the authorization URL. */
export async function open(tpp: Client, started: Started, browser?: CustomerBrowser): Promise<Outcome> {
  if (started.kind === 'par-error') return started;
  const own = browser ?? newBrowser(tpp.bank);
  try {
    return await classify(tpp, await own.open(started.url));
  } finally {
    if (!browser) await own.close();
  }
}

export function newBrowser(bank: TestBank): CustomerBrowser {
  return new CustomerBrowser(bank.pki.caCertificatePem, TPP_REDIRECT_URI);
}

export async function classify(tpp: Client, result: Page | { tppUrl: string }): Promise<Outcome> {
  if ('tppUrl' in result) return { kind: 'redirect', url: result.tppUrl, ...(await callbackParams(tpp, result.tppUrl)) };
  if (result.status === 200 && result.html.includes('action="/interaction/') && result.html.includes('/login"')) return { kind: 'login', page: result };
  if (result.status === 200 && result.html.includes('/consent"')) return { kind: 'consent', page: result };
  return { kind: 'error-page', status: result.status, html: result.html, url: result.url };
}

/** The authorization response as the TPP reads it; a JARM response is verified first (JARM §4.4). */
export async function callbackParams(tpp: Client, url: string): Promise<{ where: 'fragment' | 'query' | 'jarm'; params: Record<string, string> }> {
  const parsed = new URL(url);
  const registered = tpp.registered.metadata.redirect_uris as string[];
  assert.equal(`${parsed.origin}${parsed.pathname}`, TPP_REDIRECT_URI, `the response goes to a registered redirect URI: ${url}`);
  assert.ok(registered.includes(parsed.searchParams.has('second') ? SECOND_REDIRECT_URI : TPP_REDIRECT_URI));
  const query = Object.fromEntries([...parsed.searchParams].filter(([name]) => name !== 'second'));
  const fragment = Object.fromEntries(new URLSearchParams(parsed.hash.slice(1)));
  // RFC 9207 §2.4: an iss in the response, if any, is the issuer.
  const checkIss = (params: Record<string, string>) => {
    if (params.iss !== undefined) assert.equal(params.iss, tpp.bank.provider.issuer, 'the authorization response iss is the issuer');
    return params;
  };
  if (Object.keys(fragment).length > 0) {
    assert.deepEqual(query, {}, `nothing of the response may be in the query when it is in the fragment: ${url}`);
    return { where: 'fragment', params: checkIss(fragment) };
  }
  if (typeof query.response === 'string') return { where: 'jarm', params: await verifyJarm(tpp, query.response) };
  return { where: 'query', params: checkIss(query) };
}

export async function serverJwks(bank: TestBank): Promise<ReturnType<typeof createLocalJWKSet>> {
  const agent = new Agent({ connect: { ca: bank.pki.caCertificatePem } });
  try {
    const response = await fetch(endpoints(bank).jwks, { dispatcher: agent });
    return createLocalJWKSet((await response.json()) as { keys: JWK[] });
  } finally {
    await agent.close();
  }
}

/** JARM §4.4: signature by a key in the server's JWKS (PS256/ES256), iss the issuer, aud the client, not expired. */
export async function verifyJarm(tpp: Client, response: string): Promise<Record<string, string>> {
  const { payload, protectedHeader } = await jwtVerify(response, await serverJwks(tpp.bank), {
    issuer: tpp.bank.provider.issuer,
    audience: tpp.registered.clientId,
    algorithms: ['PS256', 'ES256'],
    requiredClaims: ['exp'],
  });
  assert.ok(protectedHeader.kid, 'the JARM response names its key');
  assert.ok((payload.exp ?? 0) - now() <= 600 + 15, 'JARM §4.1: a short-lived response (10 minutes at most)');
  const { iss: _iss, aud: _aud, exp: _exp, iat: _iat, ...params } = payload;
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, String(value)]));
}

/** An ID token from the authorization or token endpoint: PS256/ES256 with a kid, iss, aud, nonce (§1.4). */
export async function verifyIdToken(tpp: Client, idToken: string, nonce: string | undefined): Promise<JWTPayload> {
  const { payload, protectedHeader } = await jwtVerify(idToken, await serverJwks(tpp.bank), {
    issuer: tpp.bank.provider.issuer,
    audience: tpp.registered.clientId,
    algorithms: ['PS256', 'ES256'],
    requiredClaims: ['exp', 'iat', 'sub'],
  });
  assert.ok(protectedHeader.kid, 'the ID token names its key');
  if (nonce !== undefined) assert.equal(payload.nonce, nonce, 'the ID token carries the nonce of the request object, intact');
  return payload;
}

// ---------------------------------------------------------------------------------------------------
// The outcomes the suite accepts

export interface Refusal {
  /** Errors accepted in a redirect back to the TPP. */
  errors: string[];
  /** Errors accepted from the PAR endpoint (the same list when absent). */
  parErrors?: string[];
  /** The state of the request; the error redirect must carry it (none when undefined). */
  state: string | undefined;
  variant: Variant;
  /** Allow an error in the plain query even for code id_token / JARM (module 9, invalid request_uri). */
  plainQuery?: boolean;
  /** Whether an error page (no redirect) is an accepted outcome; true unless said otherwise. */
  errorPage?: boolean;
}

/** RFC 6749 §5.2 / §4.1.2.1: error_description is NQCHAR-safe text (%x20-21 / %x23-5B / %x5D-7E). */
export function assertErrorDescription(description: unknown): void {
  if (description === undefined) return;
  assert.equal(typeof description, 'string');
  assert.match(description as string, /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/, `error_description uses only the allowed characters: ${description}`);
}

/** OIDC Core 3.1.2.6 / RFC 9207: an error response carries nothing but these. */
const ERROR_RESPONSE_PARAMS = new Set(['error', 'error_description', 'error_uri', 'state', 'session_state', 'iss']);

/**
 * The request was refused in one of the ways the suite accepts: an error page (400, HTML, no
 * redirect), an error redirect with an accepted `error` and the original `state` and no `code`, or
 * an error from the PAR endpoint. Returns which it was.
 */
export function assertRefused(outcome: Outcome, refusal: Refusal): Outcome['kind'] {
  if (process.env.CONFORMANCE_DEBUG) console.log('refusal:', describe(outcome));
  switch (outcome.kind) {
    case 'par-error': {
      const { response } = outcome;
      assert.ok(response.status === 400 || response.status === 401, `PAR answers 400/401, not ${response.status}: ${JSON.stringify(response.body)}`);
      assert.match(response.contentType, /application\/json/);
      assert.ok((refusal.parErrors ?? refusal.errors).includes(response.body.error), `PAR error ${JSON.stringify(response.body)} is not one of ${refusal.parErrors ?? refusal.errors}`);
      assertErrorDescription(response.body.error_description);
      break;
    }
    case 'error-page':
      assert.notEqual(refusal.errorPage, false, 'an error page is not an accepted outcome here');
      assert.equal(outcome.status, 400, `the error page answers 400: ${outcome.html}`);
      assert.match(outcome.html, /<html/i, 'the error page is HTML');
      break;
    case 'redirect': {
      const { params } = outcome;
      assert.ok(refusal.errors.includes(params.error ?? ''), `error redirect ${JSON.stringify(params)} is not one of ${refusal.errors}`);
      assert.equal(params.state, refusal.state, 'the error redirect carries the original state');
      assert.equal(params.code, undefined, 'no code with an error');
      assert.equal(params.id_token, undefined, 'no id_token with an error');
      assertErrorDescription(params.error_description);
      for (const name of Object.keys(params)) assert.ok(ERROR_RESPONSE_PARAMS.has(name), `unexpected parameter ${name} in the error response`);
      const expected = refusal.variant.response === 'jarm' ? 'jarm' : 'fragment';
      if (!(refusal.plainQuery && outcome.where === 'query')) assert.equal(outcome.where, expected, `the error comes back as the response mode asks (${expected})`);
      break;
    }
    default:
      assert.fail(`the request was not refused: the customer was shown the ${outcome.kind} page`);
  }
  return outcome.kind;
}

/** The bank showed its error page, with no redirect (an unverified redirect URI must not be used). */
export function assertErrorPage(outcome: Outcome, error?: string): void {
  assert.equal(outcome.kind, 'error-page', `expected an error page without redirect, got ${JSON.stringify(outcome).slice(0, 400)}`);
  if (outcome.kind !== 'error-page') return;
  assert.equal(outcome.status, 400);
  if (error) assert.ok(outcome.html.includes(error), `the error page names ${error}`);
}

// ---------------------------------------------------------------------------------------------------
// Happy paths

export interface Authorized {
  code: string;
  params: Record<string, string>;
  where: 'fragment' | 'query' | 'jarm';
  /** Claims of the front-channel ID token (code id_token only). */
  idToken?: JWTPayload;
}

/** The customer logs in and approves; returns the TPP's callback URL. */
export async function loginAndApprove(tpp: Client, outcome: Outcome, browser: CustomerBrowser): Promise<Outcome> {
  assert.equal(outcome.kind, 'login', `expected the login page, got ${JSON.stringify(outcome).slice(0, 600)}`);
  const login = (outcome as { page: Page }).page;
  const consent = expectPage(await logIn(browser, login, CUSTOMER), 'consent');
  const accountIds = browser
    .form(consent, '/consent')
    .fields.filter((f) => f.name === 'accountId')
    .map((f) => f.value);
  return classify(tpp, await browser.submit(consent, '/consent', { accountId: accountIds.slice(0, 1) }));
}

/**
 * Runs an authorization request to the end and checks the success response as the suite does:
 * a code; for code id_token an ID token in the fragment with c_hash, s_hash (only with a state) and
 * the nonce; for JARM a verified response JWT; the state back exactly as sent (or absent).
 */
export async function authorize(tpp: Client, variant: Variant, request: AuthorizationRequest, options: SendOptions & { expectedState?: string | undefined } = {}): Promise<Authorized> {
  const browser = newBrowser(tpp.bank);
  try {
    const started = await start(tpp, variant, request, options);
    const outcome = await loginAndApprove(tpp, await open(tpp, started, browser), browser);
    return assertAuthorized(tpp, variant, outcome, 'expectedState' in options ? options.expectedState : request.state, request.nonce);
  } finally {
    await browser.close();
  }
}

export async function assertAuthorized(tpp: Client, variant: Variant, outcome: Outcome, state: string | undefined, nonce: string | undefined): Promise<Authorized> {
  assert.equal(outcome.kind, 'redirect', `expected a redirect to the TPP, got ${JSON.stringify(outcome).slice(0, 600)}`);
  if (outcome.kind !== 'redirect') throw new Error('unreachable');
  const { params, where } = outcome;
  assert.equal(params.error, undefined, `no error: ${JSON.stringify(params)}`);
  assert.ok(params.code && params.code.length >= 22, 'a code of at least 128 bits (RFC 6749 §10.10)');
  assert.equal(params.state, state, 'the state comes back exactly as sent, or not at all');
  if (variant.response === 'jarm') {
    assert.equal(where, 'jarm', 'JARM: the response is a signed JWT in the query');
    return { code: params.code, params, where };
  }
  assert.equal(where, 'fragment', 'code id_token: the response is in the fragment');
  assert.ok(params.id_token, 'code id_token: an ID token in the fragment');
  const idToken = await verifyIdToken(tpp, params.id_token, nonce);
  assert.equal(idToken.c_hash, halfHash(params.code), 'c_hash matches the code');
  if (state === undefined) assert.equal(idToken.s_hash, undefined, 'no s_hash without a state');
  else assert.equal(idToken.s_hash, halfHash(state), 's_hash matches the state (FAPI 1.0 Advanced 5.2.2.1-5)');
  return { code: params.code, params, where, idToken };
}

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

/** Redeems a code and checks the suite's success criteria (§1.5). */
export async function redeem(tpp: Client, request: AuthorizationRequest, code: string, options: ClientAuthOptions & { agent?: Agent } = {}): Promise<TokenSet> {
  const response = await tokenRequest(tpp, { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri, code_verifier: request.codeVerifier }, options);
  assert.equal(response.status, 200, `token request succeeds: ${JSON.stringify(response.body)}`);
  const tokens = response.body as TokenSet;
  assert.ok(tokens.access_token.length >= 22, 'an access token of at least 128 bits');
  assert.equal(tokens.token_type, 'Bearer');
  assert.ok(Number.isInteger(tokens.expires_in) && tokens.expires_in > 0, 'expires_in');
  assert.ok(tokens.id_token, 'an ID token from the token endpoint');
  const claims = await verifyIdToken(tpp, tokens.id_token, request.nonce);
  assert.equal(claims.sub, CUSTOMER.customerId);
  return tokens;
}

/** One line saying how a request ended, for CONFORMANCE_DEBUG=1 runs. */
export function describe(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'par-error':
      return `PAR ${outcome.response.status} ${JSON.stringify(outcome.response.body)}`;
    case 'error-page':
      return `error page ${outcome.status} ${/role="alert"><strong>([^<]*)<\/strong>([^<]*)/.exec(outcome.html)?.slice(1).join('') ?? ''}`;
    case 'redirect':
      return `redirect (${outcome.where}) ${JSON.stringify(outcome.params)}`;
    default:
      return `${outcome.kind} page`;
  }
}
