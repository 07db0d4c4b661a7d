// FAPI 1.0 Advanced conformance, the token endpoint (suite modules 32–44, and 54 at the token
// endpoint): codes bound to their client, the client certificate required, codes single use with the
// first redemption's tokens revoked on reuse, every private_key_jwt client-assertion check, PKCE at the
// token endpoint, and refresh tokens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { Agent, fetch } from 'undici';
import {
  authorizationRequest,
  assertErrorDescription,
  authorize,
  clientAuthParams,
  conformanceSuite,
  endpoints,
  postFormWithHost,
  Client,
  introspect,
  now,
  redeem,
  tokenRequest,
  unregisteredRsaKey,
  verifyIdToken,
  type AuthorizationRequest,
  type Case,
  type ClientAuthOptions,
  type JsonResponse,
  type Variant,
} from '../support/conformance.ts';

/** The token endpoint does not care how the code was asked for; two variants keep both paths honest. */
const TOKEN_VARIANTS: Variant[] = [
  { request: 'by_value', response: 'code_id_token' },
  { request: 'par', response: 'jarm' },
];

/** An mTLS connection that presents no client certificate at all. */
let noCertificate: Agent;

const { bank, eachVariant } = conformanceSuite({
  variants: TOKEN_VARIANTS,
  setUp: ({ pki }) => {
    noCertificate = new Agent({ connect: { ca: pki.caCertificatePem } });
  },
  tearDown: () => noCertificate?.close(),
});

/** A fresh authorization code for `tpp` (the customer logged in and approved). */
async function codeFor(tpp: Client, variant: Variant, overrides: Record<string, unknown> = {}): Promise<{ request: AuthorizationRequest; code: string }> {
  const request = authorizationRequest(tpp, variant, overrides);
  return { request, code: (await authorize(tpp, variant, request)).code };
}

function codeGrant(request: AuthorizationRequest, code: string): Record<string, string> {
  return { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri, code_verifier: request.codeVerifier };
}

/** RFC 6749 §5.2: a JSON error, 400 (or 401 for invalid_client), with one of the accepted codes. */
function assertTokenError(response: JsonResponse, accepted: string[]): void {
  if (process.env.CONFORMANCE_DEBUG) console.log('token error:', response.status, JSON.stringify(response.body));
  assert.match(response.contentType, /application\/json/, 'the error is JSON');
  assert.ok(accepted.includes(response.body.error), `error ${JSON.stringify(response.body)} is one of ${accepted}`);
  const statuses = response.body.error === 'invalid_client' ? [400, 401] : [400];
  assert.ok(statuses.includes(response.status), `status ${response.status} for ${response.body.error}`);
  assertErrorDescription(response.body.error_description);
  assert.equal(response.body.access_token, undefined);
}

/** A client-assertion variation must be refused with invalid_client, and the same code then still works. */
async function expectAssertionRefused(c: Case, auth: ClientAuthOptions, accepted: string[] = ['invalid_client']): Promise<void> {
  const { request, code } = await codeFor(c.tpp, c.variant);
  assertTokenError(await tokenRequest(c.tpp, codeGrant(request, code), auth), accepted);
  await redeem(c.tpp, request, code);
}

test("module 32: ensure-client-id-in-token-endpoint (client 2's client_id)", async (t) => {
  // FAPI 1.0 Baseline 5.2.2-19 / RFC 6749 §3.2.1: a code is redeemed only by the client it was issued to.
  await eachVariant(t, async ({ method, tpp, other, variant }) => {
    const { request, code } = await codeFor(tpp, variant);
    const form = codeGrant(request, code);
    // client_id of client 2, over client 1's connection (client 1's certificate).
    if (method === 'private_key_jwt') {
      // client 2's own assertion, but client 1's connection
      assertTokenError(await tokenRequest(other, form, { agent: tpp.agent }), ['invalid_client', 'invalid_grant']);
      // client_id and assertion claims of client 2, signed with client 1's key
      assertTokenError(
        await tokenRequest(tpp, form, { clientId: other.clientId, assertion: { iss: other.clientId, sub: other.clientId } }),
        ['invalid_client', 'invalid_grant'],
      );
    } else {
      assertTokenError(await tokenRequest(tpp, form, { clientId: other.clientId }), ['invalid_client', 'invalid_grant']);
    }
    await redeem(tpp, request, code);
  });
});

test('module 33: ensure-mtls-holder-of-key-required (token request without a client certificate)', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-5 / RFC 8705 §3: no certificate, no token (the handshake may also be dropped).
  await eachVariant(t, async ({ method, tpp, variant }) => {
    const { request, code } = await codeFor(tpp, variant);
    let response: JsonResponse | undefined;
    try {
      response = await tokenRequest(tpp, codeGrant(request, code), { agent: noCertificate });
    } catch {
      response = undefined; // the TLS handshake was refused: also a pass
    }
    if (response) assertTokenError(response, method === 'tls_client_auth' ? ['invalid_client', 'invalid_request'] : ['invalid_request', 'invalid_grant', 'invalid_client']);
    await redeem(tpp, request, code);
  });
});

test("module 34: ensure-authorization-code-is-bound-to-client (client 2's credentials)", async (t) => {
  // RFC 6749 §4.1.3: client 1's code redeemed by client 2 (its own certificate and authentication) is invalid_grant.
  await eachVariant(t, async ({ tpp, other, variant }) => {
    const { request, code } = await codeFor(tpp, variant);
    const response = await tokenRequest(other, codeGrant(request, code));
    assertTokenError(response, ['invalid_grant']);
    await redeem(tpp, request, code);
  });
});

test('module 35: attempt-reuse-authorisation-code-after-one-second (and the first tokens are revoked)', async (t) => {
  // RFC 6749 §4.1.2 / §10.5, FAPI 1.0 Baseline 5.2.2-13: a code is single use; reuse revokes what it issued.
  await eachVariant(t, async ({ tpp, variant }) => {
    const { request, code } = await codeFor(tpp, variant, { scope: 'openid accounts offline_access', prompt: 'consent' });
    const first = await redeem(tpp, request, code);
    assert.ok(first.refresh_token);
    assert.equal((await tpp.api('/accounts', first.access_token)).status, 200);
    assert.equal((await introspect(tpp, first.access_token)).body.active, true);

    await new Promise((resolve) => setTimeout(resolve, 1000));
    assertTokenError(await tokenRequest(tpp, codeGrant(request, code)), ['invalid_grant']);

    assert.equal((await tpp.api('/accounts', first.access_token)).status, 401, 'the bank API refuses the first access token');
    const introspection = await introspect(tpp, first.access_token);
    assert.equal(introspection.status, 200);
    assert.deepEqual(introspection.body, { active: false }, 'introspection says the first access token is no longer active');
    assert.deepEqual((await introspect(tpp, first.refresh_token!)).body, { active: false }, 'and the refresh token neither');
    assertTokenError(await tokenRequest(tpp, { grant_type: 'refresh_token', refresh_token: first.refresh_token! }), ['invalid_grant']);
  });
});

test('module 36: ensure-signed-client-assertion-with-RS256-fails', async (t) => {
  // FAPI 1.0 Advanced 8.6: PS256/ES256 only, even with the client's own RSA key.
  await eachVariant(t, (c) => expectAssertionRefused(c, { assertionSigner: { alg: 'RS256' } }), { methods: ['private_key_jwt'] });
});

test('module 37: ensure-client-assertion-in-token-endpoint', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-14 / RFC 7523 §2.2: a private_key_jwt client that sends no assertion is not authenticated.
  await eachVariant(t, (c) => expectAssertionRefused(c, { noAssertion: true }, ['invalid_client', 'invalid_request']), { methods: ['private_key_jwt'] });
});

test('module 38: ensure-client-assertion-with-exp-is-5-minutes-in-past-fails', async (t) => {
  // RFC 7523 §3 (4): an expired assertion is refused.
  await eachVariant(t, (c) => expectAssertionRefused(c, { assertion: { iat: now() - 360, exp: now() - 300 } }), { methods: ['private_key_jwt'] });
});

test('module 39: ensure-client-assertion-with-wrong-aud-fails', async (t) => {
  // RFC 7523 §3 (3): aud must name this server (issuer or token endpoint).
  await eachVariant(t, (c) => expectAssertionRefused(c, { assertion: { aud: 'https://other-bank.example/oauth/token' } }), { methods: ['private_key_jwt'] });
});

test('module 39 (Host header): an assertion for another server is refused even when the request names that server', async (t) => {
  // RFC 7523 §3 (3): the audience identifies this authorization server — not whatever Host the request carries.
  await eachVariant(
    t,
    async ({ tpp, variant }) => {
      const { request, code } = await codeFor(tpp, variant);
      const host = 'other-bank.example';
      const form = { ...codeGrant(request, code), ...(await clientAuthParams(tpp, `https://${host}/oauth/token`, {})) };
      assertTokenError(await postFormWithHost(tpp, endpoints(bank()).token, form, host), ['invalid_client']);
      await redeem(tpp, request, code);
    },
    { methods: ['private_key_jwt'] },
  );
});

test('module 40: ensure-client-assertion-with-no-sub-fails', async (t) => {
  // RFC 7523 §3 (2): sub is required and is the client_id.
  await eachVariant(t, (c) => expectAssertionRefused(c, { assertion: { sub: undefined } }), { methods: ['private_key_jwt'] });
});

test('module 41: ensure-client-assertion-with-wrong-iss-fails', async (t) => {
  // RFC 7523 §3 (1) / RFC 7521 §5.2: iss must be the client_id.
  await eachVariant(t, (c) => expectAssertionRefused(c, { assertion: { iss: 'not-the-client' } }, ['invalid_client', 'invalid_request']), { methods: ['private_key_jwt'] });
});

test('module 42: ensure-client-assertion-with-wrong-sub-fails', async (t) => {
  // RFC 7523 §3 (2) / OIDC Core 9: sub must be the client_id — neither an unknown value nor another client's id (invalid_client or invalid_request).
  await eachVariant(
    t,
    async (c) => {
      const accepted = ['invalid_client', 'invalid_request'];
      await expectAssertionRefused(c, { assertion: { sub: 'not-the-client' } }, accepted);
      await expectAssertionRefused(c, { assertion: { sub: c.other.clientId } }, accepted);
      await expectAssertionRefused(c, { clientId: null, assertion: { sub: c.other.clientId } }, accepted);
    },
    { methods: ['private_key_jwt'] },
  );
});

test('module 43: ensure-client-assertion-with-iss-aud-succeeds', async (t) => {
  // RFC 7523 §3 (3): the issuer identifier is an acceptable audience.
  await eachVariant(
    t,
    async ({ tpp, variant }) => {
      const { request, code } = await codeFor(tpp, variant);
      await redeem(tpp, request, code, { assertion: { aud: bank().provider.issuer } });
    },
    { methods: ['private_key_jwt'] },
  );
});

test('module 54 (token endpoint): test-array-as-audience-for-client-JWT-assertion', async (t) => {
  // RFC 7523 §3 (3) / RFC 7519 §4.1.3: aud as an array holding the issuer and another value.
  await eachVariant(
    t,
    async ({ tpp, variant }) => {
      const { request, code } = await codeFor(tpp, variant);
      await redeem(tpp, request, code, { assertion: { aud: [bank().provider.issuer, 'https://dummy.example/'] } });
    },
    { methods: ['private_key_jwt'] },
  );
});

test('client assertion signed with a key the client never registered is refused', async (t) => {
  // RFC 7523 §3 (9): the signature must verify with the client's registered keys.
  const key = await unregisteredRsaKey();
  await eachVariant(t, (c) => expectAssertionRefused(c, { assertionSigner: { alg: 'PS256', key } }), { methods: ['private_key_jwt'] });
});

test('modules 62/63 at the token endpoint: code_verifier missing or wrong', async (t) => {
  // RFC 7636 §4.6: a code issued with a code_challenge is redeemed only with the matching verifier.
  await eachVariant(t, async ({ tpp, variant }) => {
    const { request, code } = await codeFor(tpp, variant);
    const { code_verifier: _, ...withoutVerifier } = codeGrant(request, code);
    assertTokenError(await tokenRequest(tpp, withoutVerifier), ['invalid_grant']);
    const wrongVerifier = `${request.codeVerifier.slice(0, -1)}${request.codeVerifier.endsWith('x') ? 'y' : 'x'}`;
    assertTokenError(await tokenRequest(tpp, { ...withoutVerifier, code_verifier: wrongVerifier }), ['invalid_grant']);
    await redeem(tpp, request, code);
  });
});

test('module 44: refresh-token', async (t) => {
  // RFC 6749 §6 and A.17, RFC 8705 §3 (certificate-bound refresh), FAPI 1.0 Advanced 8.6 (refreshed ID token PS256/ES256 with kid).
  const discovery = await fetch(`${bank().config.browser.publicUrl}/.well-known/openid-configuration`, { dispatcher: noCertificate });
  assert.ok(((await discovery.json()) as { grant_types_supported: string[] }).grant_types_supported.includes('refresh_token'));

  await eachVariant(t, async ({ method, tpp, other, variant }) => {
    const scopes = { scope: 'openid accounts offline_access', prompt: 'consent' };
    const mine = await codeFor(tpp, variant, scopes);
    const tokens = await redeem(tpp, mine.request, mine.code);
    assert.ok(tokens.refresh_token, 'offline_access yields a refresh token');
    assert.match(tokens.refresh_token, /^[\x20-\x7E]+$/, 'RFC 6749 A.17: VSCHAR only');
    assert.ok(tokens.refresh_token.length >= 22, 'at least 128 bits');

    const refreshGrant = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token };
    let withoutCertificate: JsonResponse | undefined;
    try {
      withoutCertificate = await tokenRequest(tpp, refreshGrant, { agent: noCertificate });
    } catch {
      withoutCertificate = undefined; // handshake dropped
    }
    if (withoutCertificate) {
      assert.ok([400, 401].includes(withoutCertificate.status), `refresh without a certificate: ${withoutCertificate.status}`);
      assertTokenError(withoutCertificate, method === 'tls_client_auth' ? ['invalid_client', 'invalid_request'] : ['invalid_grant', 'invalid_request', 'invalid_client']);
    }

    const theirs = await codeFor(other, variant, scopes);
    const theirTokens = await redeem(other, theirs.request, theirs.code);
    assertTokenError(await tokenRequest(tpp, { grant_type: 'refresh_token', refresh_token: theirTokens.refresh_token! }), ['invalid_client', 'invalid_request', 'invalid_grant']);

    const refreshed = await tokenRequest(tpp, refreshGrant);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.notEqual(refreshed.body.access_token, tokens.access_token);
    if (refreshed.body.id_token) {
      const header = decodeProtectedHeader(refreshed.body.id_token);
      assert.ok(header.kid, 'the refreshed ID token has a kid');
      assert.ok(header.alg === 'PS256' || header.alg === 'ES256', `refreshed ID token alg ${header.alg}`);
      await verifyIdToken(tpp, refreshed.body.id_token, undefined);
    }
    assert.equal((await tpp.api('/accounts', refreshed.body.access_token)).status, 200);
    // Client 2's refresh token still works for client 2: the failed attempt by client 1 did not disturb it.
    assert.equal((await tokenRequest(other, { grant_type: 'refresh_token', refresh_token: theirTokens.refresh_token! })).status, 200);
  });
});
