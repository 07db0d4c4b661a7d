// The FAPI 2.0 Security Profile conformance plan (research/fapi-conformance.md §2) done by hand, on top of
// conformance.ts: per client authentication × sender constraint, the plan's `client` and `client2` (FAPI 2.0
// TPPs), plain parameters pushed with issuer-only client assertions, the customer's browser, and token
// requests that carry a DPoP proof when the client's tokens are DPoP-bound (answering the bank's nonce once,
// as the suite does). Each test breaks one thing and expects a refusal the suite accepts.
import assert from 'node:assert/strict';
import { createHash, KeyObject, randomUUID, sign } from 'node:crypto';
import { after, before, type TestContext } from 'node:test';
import { fetch } from 'undici';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type GenerateKeyPairResult, type JWK } from 'jose';
import type { SenderConstraint } from '../../src/auth/fapi-profiles.ts';
import type { TppAuthMethod } from '../../src/tpp/registry.ts';
import { startTestBank, TPP_REDIRECT_URI, type TestBank } from './bank.ts';
import { classify, Client, clientAuthParams, endpoints, loginAndApprove, newBrowser, now, postForm, randomString, s256, type ClientAuthOptions, type JsonResponse, type Outcome } from './conformance.ts';
import type { OpenIdVariant } from './fapi2-tpp.ts';

const FAPI2_METHODS: TppAuthMethod[] = ['private_key_jwt', 'tls_client_auth'];
const FAPI2_CONSTRAINTS: SenderConstraint[] = ['mtls', 'dpop'];
const FAPI2_OPENID: OpenIdVariant[] = ['openid_connect', 'plain_oauth'];

// ---------------------------------------------------------------------------------------------------
// DPoP proofs made by hand (RFC 9449 §4.2), so that a test can break one claim or header at a time

export interface ProofOptions {
  /** The access token the proof is for (`ath`); none at PAR and the token endpoint. */
  accessToken?: string;
  /** Claims to change; `undefined` removes one. */
  claims?: Record<string, unknown>;
  /** Protected-header members to change; `undefined` removes one. */
  header?: Record<string, unknown>;
}

export class DpopKey {
  /** The last nonce the bank handed out (`DPoP-Nonce`), as a client keeps it. */
  nonce: string | undefined;

  private constructor(
    readonly keys: GenerateKeyPairResult,
    readonly publicJwk: JWK,
  ) {}

  static async generate(): Promise<DpopKey> {
    const keys = await generateKeyPair('ES256', { extractable: true });
    return new DpopKey(keys, await exportJWK(keys.publicKey));
  }

  thumbprint(): Promise<string> {
    return calculateJwkThumbprint(this.publicJwk);
  }

  async proof(htm: string, htu: string, options: ProofOptions = {}): Promise<string> {
    const payload: Record<string, unknown> = {
      htm,
      htu,
      iat: now(),
      jti: randomUUID(),
      ...(this.nonce ? { nonce: this.nonce } : {}),
      ...(options.accessToken ? { ath: createHash('sha256').update(options.accessToken).digest('base64url') } : {}),
      ...options.claims,
    };
    const header: Record<string, unknown> = { alg: 'ES256', typ: 'dpop+jwt', jwk: this.publicJwk, ...options.header };
    for (const record of [payload, header]) for (const [name, value] of Object.entries(record)) if (value === undefined) delete record[name];
    // Signed by hand (ES256, or nothing for alg none), so that even a header without `alg` can be made.
    const input = `${base64url(header)}.${base64url(payload)}`;
    if (header.alg === 'none') return `${input}.`;
    const key = KeyObject.from(this.keys.privateKey as Parameters<typeof KeyObject.from>[0]);
    return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  }

  /** Sends with a fresh proof; once more with the bank's nonce when it asks for one (use_dpop_nonce). */
  async send<T extends { dpopNonce?: string | undefined }>(makeProof: () => Promise<string>, send: (proof: string) => Promise<T>, isNonceDemand: (answer: T) => boolean): Promise<T> {
    const first = await send(await makeProof());
    if (first.dpopNonce) this.nonce = first.dpopNonce;
    if (!isNonceDemand(first)) return first;
    return send(await makeProof());
  }
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const isOAuthNonceDemand = (answer: JsonResponse) => answer.status === 400 && answer.body?.error === 'use_dpop_nonce';

// ---------------------------------------------------------------------------------------------------
// A file's suite: one bank, the plan's `client` and `client2` per client authentication × sender constraint

export interface Fapi2Client {
  client: Client;
  /** The client's DPoP key when its tokens are DPoP-bound. */
  dpop: DpopKey | undefined;
}

export interface Fapi2Case {
  method: TppAuthMethod;
  constraint: SenderConstraint;
  openid: OpenIdVariant;
  tpp: Fapi2Client;
  other: Fapi2Client;
}

export interface Fapi2Suite {
  bank(): TestBank;
  clients(method: TppAuthMethod, constraint: SenderConstraint): [Fapi2Client, Fapi2Client];
  /** Runs `body` once per client authentication × sender constraint × openid variant (those given), as subtests. */
  eachCase(t: TestContext, body: (c: Fapi2Case) => Promise<void>, only?: { methods?: TppAuthMethod[]; constraints?: SenderConstraint[]; openid?: OpenIdVariant[] }): Promise<void>;
}

/** The file's `before` and `after` hooks: a bank, two FAPI 2.0 TPPs per method × constraint. */
export function fapi2Suite(): Fapi2Suite {
  let running: TestBank | undefined;
  const registered = new Map<string, [Fapi2Client, Fapi2Client]>();
  const key = (method: TppAuthMethod, constraint: SenderConstraint) => `${method}/${constraint}`;

  before(async () => {
    const bank = await startTestBank();
    running = bank;
    for (const method of FAPI2_METHODS) {
      for (const constraint of FAPI2_CONSTRAINTS) {
        const make = async (): Promise<Fapi2Client> => ({
          client: await Client.register(bank, method, { profile: 'fapi2', senderConstraint: constraint }),
          dpop: constraint === 'dpop' ? await DpopKey.generate() : undefined,
        });
        registered.set(key(method, constraint), [await make(), await make()]);
      }
    }
  });

  after(async () => {
    for (const pair of registered.values()) for (const { client } of pair) await client.close();
    await running?.stop();
  });

  const clients = (method: TppAuthMethod, constraint: SenderConstraint): [Fapi2Client, Fapi2Client] => {
    const pair = registered.get(key(method, constraint));
    if (!pair) throw new Error(`no ${method} × ${constraint} clients`);
    return pair;
  };
  return {
    bank: () => {
      if (!running) throw new Error('the suite\'s bank is not running (use it from inside a test)');
      return running;
    },
    clients,
    async eachCase(t, body, only = {}) {
      for (const method of only.methods ?? FAPI2_METHODS) {
        for (const constraint of only.constraints ?? FAPI2_CONSTRAINTS) {
          for (const openid of only.openid ?? FAPI2_OPENID) {
            const [tpp, other] = clients(method, constraint);
            await t.test(`${method} × ${constraint} × ${openid}`, () => body({ method, constraint, openid, tpp, other }));
          }
        }
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Requests

/** What a FAPI 2.0 client pushes, and what it keeps to redeem the code. */
export interface PushedRequest {
  params: Record<string, string>;
  codeVerifier: string;
  state: string | undefined;
  nonce: string | undefined;
}

/** The plain parameters of a FAPI 2.0 request for the variant; `overrides` changes or (`undefined`) removes one. */
export function fapi2Request(openid: OpenIdVariant, overrides: Record<string, string | undefined> = {}): PushedRequest {
  const codeVerifier = randomString(64);
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    redirect_uri: TPP_REDIRECT_URI,
    scope: openid === 'openid_connect' ? 'openid accounts' : 'accounts',
    state: randomString(22),
    ...(openid === 'openid_connect' ? { nonce: randomString(22) } : {}),
    code_challenge: s256(codeVerifier),
    code_challenge_method: 'S256',
    ...overrides,
  };
  const kept = Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return { params: kept, codeVerifier, state: kept.state, nonce: kept.nonce };
}

export interface Fapi2Send extends ClientAuthOptions {
  /** Send a DPoP proof of this key (a DPoP client's own by default at the token endpoint, none at PAR). */
  dpop?: DpopKey | null;
  proof?: ProofOptions;
  /** Another client's connection (certificate). */
  agent?: Client['agent'];
}

/** A pushed authorization request with the client's authentication (aud = the issuer, 5.3.2.1-8). */
export async function pushFapi2(tpp: Fapi2Client, form: Record<string, string>, options: Fapi2Send = {}): Promise<JsonResponse> {
  return postFapi2(tpp, endpoints(tpp.client.bank).par, form, options.dpop ?? null, options);
}

/** A token request with the client's authentication and, for a DPoP client, a proof of its key. */
export async function tokenFapi2(tpp: Fapi2Client, form: Record<string, string>, options: Fapi2Send = {}): Promise<JsonResponse> {
  return postFapi2(tpp, endpoints(tpp.client.bank).token, form, options.dpop === undefined ? (tpp.dpop ?? null) : options.dpop, options);
}

async function postFapi2(tpp: Fapi2Client, url: string, form: Record<string, string>, dpop: DpopKey | null, options: Fapi2Send): Promise<JsonResponse> {
  const agent = options.agent ?? tpp.client.agent;
  // A fresh assertion per attempt: each one is single use.
  const body = async () => ({ ...form, ...(await clientAuthParams(tpp.client, endpoints(tpp.client.bank).issuer, options)) });
  if (!dpop) return postForm(url, await body(), agent);
  return dpop.send<JsonResponse & { dpopNonce?: string }>(
    () => dpop.proof('POST', url, options.proof),
    async (proof) => postForm(url, await body(), agent, { dpop: proof }),
    isOAuthNonceDemand,
  );
}

/** PAR, then the customer's browser on `client_id` and `request_uri` only: the outcome the TPP sees. */
export async function authorizeFapi2(tpp: Fapi2Client, request: PushedRequest, options: Fapi2Send = {}): Promise<Outcome> {
  const pushed = await pushFapi2(tpp, request.params, options);
  if (pushed.status !== 201) return { kind: 'par-error', response: pushed };
  return openFapi2(tpp, pushed.body.request_uri);
}

/** Opens the authorization URL for a pushed request and, when the login page shows, logs in and approves. */
export async function openFapi2(tpp: Fapi2Client, requestUri: string, approve = true, outside: Record<string, string> = {}): Promise<Outcome> {
  const browser = newBrowser(tpp.client.bank);
  try {
    const query = new URLSearchParams({ client_id: tpp.client.clientId, request_uri: requestUri, ...outside });
    const outcome = await classify(tpp.client, await browser.open(`${endpoints(tpp.client.bank).authorization}?${query}`));
    return approve && outcome.kind === 'login' ? await loginAndApprove(tpp.client, outcome, browser) : outcome;
  } finally {
    await browser.close();
  }
}

/** The code of a successful authorization: in the query, with `iss` (RFC 9207, 5.3.2.2-7; classify checked it is the issuer). */
export function codeOf(outcome: Outcome, state: string | undefined): string {
  assert.equal(outcome.kind, 'redirect', `expected a redirect to the TPP, got ${JSON.stringify(outcome).slice(0, 500)}`);
  if (outcome.kind !== 'redirect') throw new Error('unreachable');
  assert.equal(outcome.params.error, undefined, JSON.stringify(outcome.params));
  assert.equal(outcome.where, 'query', 'FAPI 2.0: the response is in the query');
  assert.ok(outcome.params.iss, 'iss is in the authorization response');
  assert.equal(outcome.params.state, state, 'the state comes back exactly as sent, or not at all');
  assert.ok(outcome.params.code && outcome.params.code.length >= 22, 'a code of at least 128 bits');
  return outcome.params.code;
}

/** The code exchange of a pushed request, with the client's authentication and (DPoP) proof. */
export function redeemFapi2(tpp: Fapi2Client, request: PushedRequest, code: string, options: Fapi2Send = {}): Promise<JsonResponse> {
  return tokenFapi2(tpp, { grant_type: 'authorization_code', code, redirect_uri: request.params.redirect_uri ?? TPP_REDIRECT_URI, code_verifier: request.codeVerifier }, options);
}

/** A bank API call with the token as its binding requires: Bearer over the client's certificate, or DPoP with a proof (nonce answered once). */
export async function apiFapi2(tpp: Fapi2Client, path: string, accessToken: string, options: { dpop?: DpopKey; proof?: ProofOptions; agent?: Client['agent']; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const dpop = options.dpop ?? tpp.dpop;
  const url = `${tpp.client.bank.config.mtls.publicUrl}/api/v1${path}`;
  const call = async (proof: string | undefined) => {
    const response = await fetch(url, {
      headers: { authorization: `${proof ? 'DPoP' : 'Bearer'} ${accessToken}`, accept: 'application/json', ...(proof ? { dpop: proof } : {}), ...options.headers },
      dispatcher: options.agent ?? tpp.client.agent,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers as unknown as Headers, body: text ? JSON.parse(text) : undefined, dpopNonce: response.headers.get('dpop-nonce') ?? undefined };
  };
  if (!dpop) return call(undefined);
  return dpop.send(() => dpop.proof('GET', url.split('?')[0]!, { accessToken, ...options.proof }), call, (answer) => answer.status === 401 && /use_dpop_nonce/.test(answer.headers.get('www-authenticate') ?? ''));
}
