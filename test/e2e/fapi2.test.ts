// The FAPI 2.0 Security Profile beside FAPI 1.0 Advanced: happy flows with openid-client as the TPP for
// (private_key_jwt | tls_client_auth) × (mtls | dpop) × (openid_connect | plain_oauth), and the negative modules of the
// conformance plan (../shared/research/fapi-conformance.md §2) that concern the profile choice:
// response types, PAR required, the code's lifetime, the assertion audience, and DPoP at the bank APIs.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type GenerateKeyPairResult } from 'jose';
import * as openidClient from 'openid-client';
import { Agent, fetch } from 'undici';
import type { SenderConstraint } from '../../src/auth/fapi-profiles.ts';
import type { TppAuthMethod } from '../../src/tpp/registry.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { Client, clientAuthParams, CUSTOMER, endpoints, newBrowser, now, push, s256 } from '../support/conformance.ts';
import { Fapi2Tpp, type OpenIdVariant } from '../support/fapi2-tpp.ts';
import { loginAndConsent } from '../support/tpp.ts';

const AUTH_METHODS: TppAuthMethod[] = ['private_key_jwt', 'tls_client_auth'];
const SENDER_CONSTRAINTS: SenderConstraint[] = ['mtls', 'dpop'];
const OPENID_VARIANTS: OpenIdVariant[] = ['openid_connect', 'plain_oauth'];

let bank: TestBank;
/** One registered FAPI 2.0 TPP per client authentication × sender constraint, keyed `method/constraint`. */
const clients = new Map<string, Client>();
const tpps: Fapi2Tpp[] = [];

/** The private_key_jwt TPP with this sender constraint, for the tests of one rule at a time. */
const clientFor = (constraint: SenderConstraint, method: TppAuthMethod = 'private_key_jwt'): Client => clients.get(`${method}/${constraint}`)!;

async function tppFor(constraint: SenderConstraint, variant: OpenIdVariant, method: TppAuthMethod = 'private_key_jwt'): Promise<Fapi2Tpp> {
  const tpp = await Fapi2Tpp.create(bank, clientFor(constraint, method).registered, variant);
  tpps.push(tpp);
  return tpp;
}

before(async () => {
  bank = await startTestBank();
  for (const method of AUTH_METHODS) {
    for (const senderConstraint of SENDER_CONSTRAINTS) clients.set(`${method}/${senderConstraint}`, await Client.register(bank, method, { profile: 'fapi2', senderConstraint }));
  }
});

after(async () => {
  for (const tpp of tpps) await tpp.close();
  for (const client of clients.values()) await client.close();
  await bank.stop();
});

/** The pushed parameters of a FAPI 2.0 request, which a test changes one at a time. */
function pushedParams(client: Client, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    response_type: 'code',
    redirect_uri: (client.registered.metadata.redirect_uris as string[])[0]!,
    scope: 'openid accounts',
    state: randomUUID(),
    nonce: randomUUID(),
    code_challenge: s256(randomUUID()),
    code_challenge_method: 'S256',
    ...overrides,
  };
}

describe('FAPI 2.0 happy flows (openid-client)', () => {
  for (const method of AUTH_METHODS) {
    for (const constraint of SENDER_CONSTRAINTS) {
      for (const variant of OPENID_VARIANTS) {
        test(`${method} × ${constraint} × ${variant}`, async () => {
          const tpp = await tppFor(constraint, variant, method);
          const tokens = await tpp.link(variant, CUSTOMER);
          assert.equal(tokens.token_type.toLowerCase(), constraint === 'dpop' ? 'dpop' : 'bearer');
          // plain_oauth: no openid scope, so no ID token (SP §2.4).
          assert.equal(tokens.id_token !== undefined, variant === 'openid_connect');
          const accounts = await tpp.api('/accounts', tokens.access_token);
          assert.equal(accounts.status, 200, JSON.stringify(accounts.body));
          assert.ok(accounts.body.accounts.length > 0);
        });
      }
    }
  }
});

describe('FAPI 2.0 authorization server', () => {
  test('discovery: the same document at the OpenID and the RFC 8414 address, with DPoP and iss', async () => {
    const agent = new Agent({ connect: { ca: bank.pki.caCertificatePem } });
    try {
      const [openid, oauth] = await Promise.all(
        ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'].map(async (path) => (await fetch(`${bank.config.browser.publicUrl}${path}`, { dispatcher: agent })).json() as Promise<Record<string, unknown>>),
      );
      assert.deepEqual(oauth, openid);
      assert.deepEqual(openid!.dpop_signing_alg_values_supported, ['PS256', 'ES256']);
      assert.equal(openid!.authorization_response_iss_parameter_supported, true);
    } finally {
      await agent.close();
    }
  });

  test('response_type `code id_token` and `token` are refused, `code` is accepted (5.3.2.2-1)', async () => {
    const client = clientFor('mtls');
    const issuer = endpoints(bank).issuer;
    for (const responseType of ['code id_token', 'token']) {
      const refused = await push(client, pushedParams(client, { response_type: responseType }), { audience: issuer });
      assert.equal(refused.status, 400, `${responseType}: ${JSON.stringify(refused.body)}`);
      assert.match(refused.body.error, /^(unauthorized_client|unsupported_response_type|invalid_request)$/);
    }
    assert.equal((await push(client, pushedParams(client), { audience: issuer })).status, 201);
  });

  test('an authorization request that bypasses PAR is refused (5.3.2.2-2)', async () => {
    const client = clientFor('mtls');
    const query = new URLSearchParams({ client_id: client.clientId, ...pushedParams(client) });
    const browser = newBrowser(bank);
    try {
      const result = await browser.open(`${endpoints(bank).authorization}?${query}`);
      if ('tppUrl' in result) {
        const params = new URL(result.tppUrl).searchParams;
        assert.equal(params.get('code'), null);
        assert.equal(params.get('error'), 'invalid_request');
      } else {
        assert.equal(result.status, 400);
      }
    } finally {
      await browser.close();
    }
  });

  test('client assertions name the issuer alone, as a string (5.3.2.1-8); FAPI 1.0 clients keep the wider set', async () => {
    const fapi2 = clientFor('mtls');
    const { issuer, par, token } = endpoints(bank);
    for (const [name, options] of [
      ['the PAR endpoint', { audience: par }],
      ['the token endpoint', { audience: token }],
      ['an array holding the issuer', { audience: issuer, assertion: { aud: [issuer] } }],
    ] as const) {
      const refused = await push(fapi2, pushedParams(fapi2), options);
      assert.equal(refused.status, 401, `aud = ${name}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error, 'invalid_client');
    }
    const fapi1 = await Client.register(bank, 'private_key_jwt');
    try {
      // Only the audience is under test here: FAPI 1.0 refuses these plain parameters for lack of a request object.
      const answer = await push(fapi1, pushedParams(fapi1), { audience: par });
      assert.notEqual(answer.body.error, 'invalid_client', JSON.stringify(answer.body));
    } finally {
      await fapi1.close();
    }
  });

  test('a DPoP client redeems its code only with a DPoP proof (5.3.2.1-5: holder of key)', async () => {
    const tpp = await tppFor('dpop', 'openid_connect');
    const { url, checks } = await tpp.authorizationUrl('openid_connect');
    const browser = newBrowser(bank);
    try {
      const callback = new URL(await loginAndConsent(browser, url.href, CUSTOMER));
      await assert.rejects(openidClient.authorizationCodeGrant(tpp.config, callback, checks), (error: { error?: string }) => {
        assert.match(String(error.error), /^(invalid_grant|invalid_dpop_proof|invalid_request)$/);
        return true;
      });
    } finally {
      await browser.close();
    }
  });

  test('authorization codes live 60 seconds at most (5.3.2.1-11)', async () => {
    const tpp = await tppFor('mtls', 'openid_connect');
    const { url } = await tpp.authorizationUrl('openid_connect');
    const browser = newBrowser(bank);
    try {
      const code = new URL(await loginAndConsent(browser, url.href, CUSTOMER)).searchParams.get('code');
      assert.ok(code);
      // The code as the store holds it: its expiry is what the token endpoint enforces.
      const stored = await bank.provider.AuthorizationCode.find(code);
      assert.ok(stored?.exp !== undefined && stored.iat !== undefined);
      assert.ok(stored.exp - stored.iat <= 60, `code lives ${stored.exp - stored.iat} s`);
      assert.ok(stored.exp > now());
    } finally {
      await browser.close();
    }
  });
});

describe('DPoP at the bank APIs (RFC 9449)', () => {
  let dpopTpp: Fapi2Tpp;
  let dpopToken: string;
  let mtlsToken: string;

  before(async () => {
    dpopTpp = await tppFor('dpop', 'openid_connect');
    dpopToken = (await dpopTpp.link('openid_connect', CUSTOMER)).access_token;
    const mtlsTpp = await tppFor('mtls', 'openid_connect');
    mtlsToken = (await mtlsTpp.link('openid_connect', CUSTOMER)).access_token;
  });

  const accountsUrl = () => `${bank.config.mtls.publicUrl}/api/v1/accounts`;

  interface ProofClaims {
    htm?: string;
    htu?: string;
    ath?: string;
    iat?: number;
    jti?: string;
    /** The server nonce; `undefined` leaves it out. */
    nonce?: string | undefined;
  }

  /** The last server nonce the bank handed out (DPoP-Nonce), as a client keeps it. */
  let serverNonce: string | undefined;

  async function proof(claims: ProofClaims = {}, keys: GenerateKeyPairResult = dpopTpp.dpopKeys!, token = dpopToken): Promise<string> {
    const payload = { htm: 'GET', htu: accountsUrl(), ath: createHash('sha256').update(token).digest('base64url'), iat: now(), jti: randomUUID(), nonce: serverNonce, ...claims };
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) }).sign(keys.privateKey);
  }

  async function call(authorization: string, dpopProof: string | undefined): Promise<{ status: number; challenge: string; nonce: string | null }> {
    const response = await fetch(accountsUrl(), {
      headers: { authorization, accept: 'application/json', ...(dpopProof ? { dpop: dpopProof } : {}) },
      dispatcher: dpopTpp.agent,
    });
    await response.text();
    return { status: response.status, challenge: response.headers.get('www-authenticate') ?? '', nonce: response.headers.get('dpop-nonce') };
  }

  /** RFC 9449 §9: refused with a nonce to use, which the next proof then carries. */
  function assertNonceDemanded(answer: { status: number; challenge: string; nonce: string | null }, what: string): string {
    assert.equal(answer.status, 401, what);
    assert.match(answer.challenge, /^DPoP error="use_dpop_nonce", error_description="[^"]+", algs="PS256 ES256"$/, what);
    assert.match(answer.nonce ?? '', /^[A-Za-z0-9_-]{43}$/, `${what}: a DPoP-Nonce to use`);
    return answer.nonce!;
  }

  function assertDpopRefusal(answer: { status: number; challenge: string }, what: string): void {
    assert.equal(answer.status, 401, what);
    assert.match(answer.challenge, /^DPoP error="invalid_dpop_proof", error_description="[^"]+", algs="PS256 ES256"$/, what);
  }

  test('a proof without a server nonce is answered with one (use_dpop_nonce); with it, the call succeeds (RFC 9449 §9)', async () => {
    serverNonce = assertNonceDemanded(await call(`DPoP ${dpopToken}`, await proof({ nonce: undefined })), 'no nonce');
    assert.equal((await call(`DPoP ${dpopToken}`, await proof())).status, 200);
    assertNonceDemanded(await call(`DPoP ${dpopToken}`, await proof({ nonce: 'a-nonce-the-bank-never-handed-out' })), 'a made-up nonce');
  });

  /** The nonce a token endpoint hands out, as a client meets it: a token request whose proof has none. */
  async function nonceFromTokenEndpoint(target: TestBank, client: Client): Promise<string> {
    const tokenUrl = endpoints(target).token;
    const keys = dpopTpp.dpopKeys!;
    const tokenProof = await new SignJWT({ htm: 'POST', htu: tokenUrl, iat: now(), jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
      .sign(keys.privateKey);
    const form = { grant_type: 'refresh_token', refresh_token: 'none', ...(await clientAuthParams(client, endpoints(target).issuer, {})) };
    const response = await fetch(tokenUrl, { method: 'POST', body: new URLSearchParams(form), headers: { dpop: tokenProof }, dispatcher: client.agent });
    assert.equal(((await response.json()) as { error: string }).error, 'use_dpop_nonce');
    const nonce = response.headers.get('dpop-nonce');
    assert.ok(nonce);
    return nonce;
  }

  test('a nonce from the token endpoint works at the bank APIs: one origin, one nonce (clients keep one per origin)', async () => {
    const fromTokenEndpoint = await nonceFromTokenEndpoint(bank, clientFor('dpop'));
    assert.equal((await call(`DPoP ${dpopToken}`, await proof({ nonce: fromTokenEndpoint }))).status, 200);
  });

  test('a nonce from another node with the same keys file works here: nodes agree without talking to each other', async () => {
    const otherNode = await startTestBank({ GINKO_KEYS_FILE: join(bank.config.dataDir, 'keys', 'authorization-server-keys.json') });
    const client = await Client.register(otherNode, 'private_key_jwt', { profile: 'fapi2', senderConstraint: 'dpop' });
    try {
      const fromOtherNode = await nonceFromTokenEndpoint(otherNode, client);
      assert.equal((await call(`DPoP ${dpopToken}`, await proof({ nonce: fromOtherNode }))).status, 200);
    } finally {
      await client.close();
      await otherNode.stop();
    }
  });

  test('a proof made by hand as the RFC says, with the server nonce, is accepted (the baseline of the refusals below)', async () => {
    assert.equal((await call(`DPoP ${dpopToken}`, await proof())).status, 200);
    assert.equal((await call(`dpop ${dpopToken}`, await proof())).status, 200, 'the scheme is case-insensitive');
  });

  test('a proof with the wrong method, URL, token hash, key or age, or none, is refused', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const cases: [string, Promise<string> | undefined][] = [
      ['wrong htm', proof({ htm: 'POST' })],
      ['wrong htu', proof({ htu: `${bank.config.mtls.publicUrl}/api/v1/transfer/status` })],
      ['htu of another origin', proof({ htu: `${bank.config.browser.publicUrl}/api/v1/accounts` })],
      ['wrong ath', proof({ ath: s256('another token') })],
      ['another key', proof({}, { privateKey, publicKey })],
      ['iat an hour ago', proof({ iat: now() - 3600 })],
      ['iat an hour ahead', proof({ iat: now() + 3600 })],
      ['no proof', undefined],
    ];
    for (const [what, made] of cases) assertDpopRefusal(await call(`DPoP ${dpopToken}`, made && (await made)), what);
  });

  test('a proof is accepted once (jti replay)', async () => {
    const once = await proof();
    assert.equal((await call(`DPoP ${dpopToken}`, once)).status, 200);
    assertDpopRefusal(await call(`DPoP ${dpopToken}`, once), 'replayed proof');
  });

  test('each token only with its own binding: DPoP-bound as Bearer, certificate-bound as DPoP', async () => {
    assertDpopRefusal(await call(`Bearer ${dpopToken}`, undefined), 'DPoP-bound token as Bearer');
    assertDpopRefusal(await call(`Bearer ${dpopToken}`, await proof()), 'DPoP-bound token as Bearer, with a proof');
    const asDpop = await call(`DPoP ${mtlsToken}`, await proof({}, dpopTpp.dpopKeys!, mtlsToken));
    assert.equal(asDpop.status, 401, 'certificate-bound token as DPoP');
    assert.match(asDpop.challenge, /^Bearer error="invalid_token".*, DPoP algs="PS256 ES256"$/);
  });

  test('a nonce works for a few minutes, then is refused with a new one (nonces are derived from the minute; last: it moves the clock)', async (t) => {
    const handedOut = assertNonceDemanded(await call(`DPoP ${dpopToken}`, await proof({ nonce: undefined })), 'no nonce');
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    t.mock.timers.tick(90_000);
    const later = await call(`DPoP ${dpopToken}`, await proof({ nonce: handedOut }));
    assert.equal(later.status, 200, 'the previous minute\'s nonce is still good');
    assert.ok(later.nonce && later.nonce !== handedOut, 'and the answer brings the newer one');
    t.mock.timers.tick(210_000);
    const stale = assertNonceDemanded(await call(`DPoP ${dpopToken}`, await proof({ nonce: handedOut })), 'a nonce five minutes old');
    assert.notEqual(stale, handedOut);
    assert.equal((await call(`DPoP ${dpopToken}`, await proof({ nonce: stale }))).status, 200);
  });
});
