// FAPI 2.0 Security Profile conformance (research/fapi-conformance.md §2.2): the token endpoint's modules,
// for every client authentication × sender constraint × openid variant — the code bound to its client,
// its PKCE verifier and its sender constraint; one use (reuse ends the tokens), 60 s of life; private_key_jwt
// assertions; DPoP binding of the code (dpop_jkt and the PAR proof); refresh tokens.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Agent } from 'undici';
import { unregisteredRsaKey } from '../support/conformance.ts';
import {
  apiFapi2,
  authorizeFapi2,
  codeOf,
  DpopKey,
  fapi2Request,
  fapi2Suite,
  redeemFapi2,
  tokenFapi2,
  type Fapi2Case,
  type PushedRequest,
} from '../support/conformance-fapi2.ts';

const suite = fapi2Suite();

/** A pushed request (with offline_access for a refresh token under OpenID Connect) authorized by the customer. */
async function authorizedCode(c: Fapi2Case, overrides: Record<string, string | undefined> = {}, options: Parameters<typeof authorizeFapi2>[2] = {}): Promise<{ request: PushedRequest; code: string }> {
  const offline = c.openid === 'openid_connect' ? { scope: 'openid accounts offline_access', prompt: 'consent' } : {};
  const request = fapi2Request(c.openid, { ...offline, ...overrides });
  return { request, code: codeOf(await authorizeFapi2(c.tpp, request, options), request.state) };
}

function assertError(answer: { status: number; body: any }, errors: string[], what: string): void {
  assert.ok(answer.status === 400 || answer.status === 401, `${what}: 400/401, not ${answer.status} ${JSON.stringify(answer.body)}`);
  assert.ok(errors.includes(answer.body?.error), `${what}: ${JSON.stringify(answer.body)} is not one of ${errors}`);
}

/**
 * The API's answer to a revoked token. A node refuses it once the store's change notice reaches it
 * (api/access-cache.ts), which on a loaded machine can take a moment: ask again for up to two seconds.
 */
async function statusOnceRevoked(c: Fapi2Case, accessToken: string): Promise<number> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const { status } = await apiFapi2(c.tpp, '/accounts', accessToken);
    if (status !== 200 || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the token endpoint (FAPI 2.0)', () => {
  test('a code works only for its client, with its verifier and its sender constraint, once; its tokens then end (modules 31–34, 56, 57)', async (t) => {
    await suite.eachCase(t, async (c) => {
      const { request, code } = await authorizedCode(c);
      const bank = suite.bank();
      // 31: client 1's code with client 2's client_id (client 1's credentials).
      assertError(await redeemFapi2(c.tpp, request, code, { clientId: c.other.client.clientId }), ['invalid_client', 'invalid_request'], 'client_id of client 2');
      // 33: client 2, fully authenticated, redeeming client 1's code.
      assertError(await redeemFapi2(c.other, request, code), ['invalid_grant'], 'another client\'s code');
      // 56, 57: the PKCE verifier is required, and must be the right one.
      assertError(await tokenFapi2(c.tpp, { grant_type: 'authorization_code', code, redirect_uri: request.params.redirect_uri! }), ['invalid_grant', 'invalid_request'], 'no code_verifier');
      assertError(await redeemFapi2(c.tpp, { ...request, codeVerifier: `${request.codeVerifier.slice(0, -1)}${request.codeVerifier.endsWith('x') ? 'y' : 'x'}` }, code), ['invalid_grant'], 'wrong code_verifier');
      // 32: without the sender-constraint proof (no certificate on the connection, or no DPoP proof).
      if (c.constraint === 'dpop') {
        assertError(await redeemFapi2(c.tpp, request, code, { dpop: null }), ['invalid_grant', 'invalid_request', 'invalid_dpop_proof'], 'no DPoP proof');
      } else if (c.method === 'private_key_jwt') {
        const noCertificate = new Agent({ connect: { ca: bank.pki.caCertificatePem } });
        try {
          assertError(await redeemFapi2(c.tpp, request, code, { agent: noCertificate }), ['invalid_grant', 'invalid_request', 'invalid_client'], 'no client certificate');
        } finally {
          await noCertificate.close();
        }
      }
      const redeemed = await redeemFapi2(c.tpp, request, code);
      assert.equal(redeemed.status, 200, `redeemed: ${JSON.stringify(redeemed.body)}`);
      const tokens = redeemed.body;
      assert.equal(tokens.token_type.toLowerCase(), c.constraint === 'dpop' ? 'dpop' : 'bearer');
      assert.ok(tokens.access_token.length >= 22 && Number.isInteger(tokens.expires_in));
      assert.equal(tokens.id_token !== undefined, c.openid === 'openid_connect', 'an ID token with openid only (plain_oauth: none)');
      assert.equal((await apiFapi2(c.tpp, '/accounts', tokens.access_token)).status, 200);
      // 34: a second redemption fails, and ends what the first one issued.
      assertError(await redeemFapi2(c.tpp, request, code), ['invalid_grant'], 'the code again');
      assert.equal(await statusOnceRevoked(c, tokens.access_token), 401, 'the first redemption\'s access token is revoked');
    });
  });

  test('a code redeemed after 60 seconds is refused (module 35, 5.3.2.1-11)', async (t) => {
    await suite.eachCase(
      t,
      async (c) => {
        const { request, code } = await authorizedCode(c);
        t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
        try {
          t.mock.timers.tick(61_000);
          assertError(await redeemFapi2(c.tpp, request, code), ['invalid_grant'], 'a 61-second-old code');
        } finally {
          t.mock.timers.reset();
        }
      },
      { methods: ['private_key_jwt'], openid: ['openid_connect'] },
    );
  });

  test('private_key_jwt: RS256, a foreign key, no assertion, expired, wrong aud or no sub is invalid_client (modules 36–40)', async (t) => {
    await suite.eachCase(
      t,
      async (c) => {
        const { request, code } = await authorizedCode(c);
        const cases: [string, Parameters<typeof redeemFapi2>[3]][] = [
          ['RS256', { assertionSigner: { alg: 'RS256' } }],
          ['a key the client never registered', { assertionSigner: { alg: 'PS256', key: await unregisteredRsaKey() } }],
          ['no assertion', { noAssertion: true }],
          ['expired 5 minutes ago', { assertion: { iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 300 } }],
          ['aud another server', { assertion: { aud: 'https://another.example' } }],
          ['no sub', { assertion: { sub: undefined } }],
        ];
        for (const [what, options] of cases) assertError(await redeemFapi2(c.tpp, request, code, options), ['invalid_client', 'invalid_request'], what);
        assert.equal((await redeemFapi2(c.tpp, request, code)).status, 200, 'the code survived the refused attempts');
      },
      { methods: ['private_key_jwt'], openid: ['openid_connect'] },
    );
  });

  test('DPoP binds the code to the key at PAR: the same key succeeds, another key fails (modules 13–17)', async (t) => {
    await suite.eachCase(
      t,
      async (c) => {
        const dpop = c.tpp.dpop!;
        const stranger = await DpopKey.generate();
        stranger.nonce = dpop.nonce;
        // 13: dpop_jkt at PAR that is not the key of the PAR's own proof.
        const mismatched = await authorizeFapi2(c.tpp, fapi2Request(c.openid, { dpop_jkt: await stranger.thumbprint() }), { dpop });
        assert.equal(mismatched.kind, 'par-error', 'PAR refuses a dpop_jkt other than its proof\'s key');
        // 14: a PAR proof of the client's key, a token proof of another key.
        const byProof = await authorizedCode(c, {}, { dpop });
        assertError(await redeemFapi2(c.tpp, byProof.request, byProof.code, { dpop: stranger }), ['invalid_grant', 'invalid_dpop_proof'], 'token proof of another key than PAR\'s');
        // 15: dpop_jkt at PAR (no proof there), a token proof of another key.
        const byJkt = await authorizedCode(c, { dpop_jkt: await dpop.thumbprint() });
        assertError(await redeemFapi2(c.tpp, byJkt.request, byJkt.code, { dpop: stranger }), ['invalid_grant', 'invalid_dpop_proof'], 'token proof of another key than dpop_jkt');
        // 16, 17: with the bound key, both succeed.
        const again = await authorizedCode(c, { dpop_jkt: await dpop.thumbprint() });
        assert.equal((await redeemFapi2(c.tpp, again.request, again.code)).status, 200, 'dpop_jkt with its key');
        const proofAgain = await authorizedCode(c, {}, { dpop });
        assert.equal((await redeemFapi2(c.tpp, proofAgain.request, proofAgain.code)).status, 200, 'PAR proof with its key');
      },
      { methods: ['private_key_jwt'], constraints: ['dpop'], openid: ['openid_connect'] },
    );
  });

  test('refresh tokens: A.17 characters; never without client authentication, the sender constraint, or by another client (module 42)', async (t) => {
    await suite.eachCase(
      t,
      async (c) => {
        const { request, code } = await authorizedCode(c);
        const tokens = (await redeemFapi2(c.tpp, request, code)).body;
        const refreshToken: string = tokens.refresh_token;
        assert.ok(refreshToken, 'offline_access with prompt=consent gives a refresh token');
        assert.match(refreshToken, /^[\x20-\x7E]+$/, 'RFC 6749 A.17: VSCHAR only');
        const refresh = { grant_type: 'refresh_token', refresh_token: refreshToken };
        if (c.method === 'private_key_jwt') assertError(await tokenFapi2(c.tpp, refresh, { noAssertion: true }), ['invalid_client', 'invalid_request'], 'no client authentication');
        if (c.constraint === 'dpop') assertError(await tokenFapi2(c.tpp, refresh, { dpop: null }), ['invalid_grant', 'invalid_request', 'invalid_dpop_proof'], 'no DPoP proof');
        assertError(await tokenFapi2(c.other, refresh), ['invalid_grant', 'invalid_client', 'invalid_request'], 'client 2 with client 1\'s refresh token');
        const refreshed = await tokenFapi2(c.tpp, refresh);
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        assert.equal((await apiFapi2(c.tpp, '/accounts', refreshed.body.access_token)).status, 200);
      },
      { openid: ['openid_connect'] },
    );
  });
});
