// FAPI 1.0 Advanced conformance, the authorization request (suite modules 2, 3, 5–7, 9–14 and
// 29–31): the happy-path variations the suite insists on, the customer cancelling, and the requests
// the bank must refuse or may only answer in a safe way — by value and pushed, code id_token and JARM,
// for a private_key_jwt and a tls_client_auth TPP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertErrorPage,
  assertRefused,
  authorizationRequest,
  authorize,
  classify,
  conformanceSuite,
  CUSTOMER,
  endpoints,
  newBrowser,
  open,
  push,
  randomString,
  redeem,
  SECOND_REDIRECT_URI,
  start,
  VARIANTS,
  verifyIdToken,
  type Case,
} from '../support/conformance.ts';
import { expectPage } from '../support/tpp.ts';
import { logIn } from '../support/passkeys.ts';

const { bank, clients, eachVariant } = conformanceSuite({ variants: VARIANTS });

test('module 2: fapi1-advanced-final (client 2 variations; client 2 token with client 1 certificate)', async (t) => {
  // FAPI 1.0 Advanced 5.2.2 happy path for both clients, RFC 9101 §10.8 typ, RFC 6749 §3.1.2 redirect URI with a query; RFC 8705 §3 binding.
  await eachVariant(t, async ({ tpp, other, variant }) => {
    const first = authorizationRequest(tpp, variant);
    const firstTokens = await redeem(tpp, first, (await authorize(tpp, variant, first)).code);
    assert.equal((await tpp.api('/accounts', firstTokens.access_token)).status, 200);

    // Client 2: the registered redirect URI with a query component, typ oauth-authz-req+jwt, the URL's
    // parameters in reverse order, a 43-character nonce and a 128-character state.
    const second = authorizationRequest(other, variant, { redirect_uri: SECOND_REDIRECT_URI, nonce: randomString(43), state: randomString(128) });
    const authorized = await authorize(other, variant, second, { signer: { alg: 'PS256', typ: 'oauth-authz-req+jwt' }, reverse: true });
    const secondTokens = await redeem(other, second, authorized.code);
    assert.equal((await other.api('/accounts', secondTokens.access_token)).status, 200);

    const misbound = await tpp.api('/accounts', secondTokens.access_token);
    assert.ok(misbound.status >= 400 && misbound.status < 500, `client 2's token with client 1's certificate is refused (4xx), got ${misbound.status}`);
    assert.equal(misbound.status, 401);
  });
});

test('module 3: user-rejects-authentication (cancel at login, deny at consent)', async (t) => {
  // RFC 6749 §4.1.2.1 / OIDC Core 3.1.2.6: the customer's refusal goes back as access_denied with the state.
  await eachVariant(t, async ({ tpp, variant }) => {
    for (const where of ['login', 'consent'] as const) {
      const request = authorizationRequest(tpp, variant);
      const browser = newBrowser(bank());
      try {
        const login = expectPage(await browser.open(((await start(tpp, variant, request)) as { url: string }).url), 'login');
        const page = where === 'login' ? login : expectPage(await logIn(browser, login, CUSTOMER), 'consent');
        assert.ok(page.html.includes(`/${where === 'login' ? 'login' : 'consent'}"`), `on the ${where} page`);
        const outcome = await classify(tpp, await browser.submit(page, '/refuse', {}));
        assert.equal(outcome.kind, 'redirect', `refusing at ${where} goes back to the TPP`);
        assertRefused(outcome, { errors: ['access_denied'], state: request.state, variant, errorPage: false });
      } finally {
        await browser.close();
      }
    }
  });
});

test('module 5: ensure-authorization-request-without-state-success', async (t) => {
  // OIDC Core 3.1.2.1 (state is optional with a nonce); FAPI 1.0 Advanced 5.2.2.1-5: no state, no s_hash.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant, { state: undefined });
    const authorized = await authorize(tpp, variant, request);
    assert.equal(authorized.params.state, undefined, 'no state comes back');
    if (authorized.idToken) assert.equal(authorized.idToken.s_hash, undefined, 'no s_hash');
    await redeem(tpp, request, authorized.code);
  });
});

test('module 6: ensure-valid-pkce-succeeds', async (t) => {
  // RFC 7636 §4 S256 by value: a valid PKCE pair never makes the request fail.
  await eachVariant(
    t,
    async ({ tpp, variant }) => {
      const request = authorizationRequest(tpp, variant);
      assert.equal(request.claims.code_challenge_method, 'S256');
      await redeem(tpp, request, (await authorize(tpp, variant, request)).code);
    },
    { only: (v) => v.request === 'by_value' },
  );
});

test('module 7: ensure-other-scope-order-succeeds', async (t) => {
  // RFC 6749 §3.3: scope is a set; its order does not matter.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant, { scope: 'offline_access accounts openid', prompt: 'consent' });
    const tokens = await redeem(tpp, request, (await authorize(tpp, variant, request)).code);
    assert.deepEqual(new Set(tokens.scope?.split(' ')), new Set(['openid', 'accounts', 'offline_access']));
    assert.ok(tokens.refresh_token, 'offline_access granted');
  });
});

test('module 9: ensure-response-mode-query', async (t) => {
  // OAuth 2.0 Multiple Response Types §5 / FAPI 1.0 Advanced 5.2.2-2: never the code in the query; an error is fine.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant, { response_mode: 'query' });
    const outcome = await open(tpp, await start(tpp, variant, request));
    if (outcome.kind === 'redirect' && outcome.where === 'query') assert.equal(outcome.params.code, undefined, 'no code in the query');
    assertRefused(outcome, { errors: ['invalid_request'], parErrors: ['invalid_request', 'invalid_request_object'], state: request.state, variant, plainQuery: true });
  });
});

test('module 10: ensure-different-nonce-inside-and-outside-request-object', async (t) => {
  // FAPI 1.0 Advanced 5.2.3-8 / OIDC Core 6.1: the request object's nonce is the one used, outside ignored.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant);
    const authorized = await authorize(tpp, variant, request, { outside: { nonce: 'a-different-nonce-outside' } });
    if (authorized.idToken) assert.equal(authorized.idToken.nonce, request.nonce);
    await redeem(tpp, request, authorized.code); // checks the token endpoint ID token's nonce too
  });
});

test('module 11: ensure-registered-redirect-uri', async (t) => {
  // RFC 6749 §3.1.2.4 / FAPI 1.0 Advanced 5.2.2-8: an unregistered redirect URI gets an error page, never a redirect.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant, { redirect_uri: 'https://attacker.example/callback' });
    const outcome = await open(tpp, await start(tpp, variant, request));
    assert.notEqual(outcome.kind, 'redirect');
    if (outcome.kind === 'par-error') assertRefused(outcome, { errors: ['invalid_request', 'invalid_request_object'], state: request.state, variant });
    else assertErrorPage(outcome, 'redirect_uri');
  });
});

/** Runs the whole flow and checks the nonce (both ID tokens) and the state come back intact. */
async function roundTrip({ tpp, variant }: Case, overrides: Record<string, unknown>): Promise<void> {
  const request = authorizationRequest(tpp, variant, overrides);
  const authorized = await authorize(tpp, variant, request); // checks the state and the front-channel nonce
  const tokens = await redeem(tpp, request, authorized.code); // checks the token endpoint nonce
  assert.equal((await verifyIdToken(tpp, tokens.id_token, request.nonce)).nonce, request.nonce);
}

test('module 12: ensure-request-object-with-long-nonce', async (t) => {
  // OIDC Core 3.1.2.1: a 384-character nonce comes back intact (or is refused, never cut).
  await eachVariant(t, (c) => roundTrip(c, { nonce: randomString(384) }));
});

test('module 13: ensure-request-object-with-64-char-nonce-success', async (t) => {
  // OIDC Core 3.1.2.1: a 64-character nonce comes back intact.
  await eachVariant(t, (c) => roundTrip(c, { nonce: randomString(64) }));
});

test('module 14: ensure-request-object-with-long-state', async (t) => {
  // RFC 6749 §4.1.2: a 384-character state comes back intact (or is refused, never cut).
  await eachVariant(t, (c) => roundTrip(c, { state: randomString(384) }));
});

test('module 29: ensure-authorization-request-without-request-object-fails', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-1: plain query (or pushed form) parameters without a request object are refused.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant);
    const params: Record<string, string> = {};
    for (const name of ['client_id', 'response_type', 'response_mode', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method']) {
      const value = request.claims[name];
      if (typeof value === 'string') params[name] = value;
    }
    if (variant.request === 'par') {
      const response = await push(tpp, params);
      assertRefused({ kind: 'par-error', response }, { errors: ['invalid_request'], state: request.state, variant });
    } else {
      const url = `${endpoints(bank()).authorization}?${new URLSearchParams(params).toString()}`;
      assertRefused(await open(tpp, { kind: 'url', url }), { errors: ['invalid_request'], state: request.state, variant });
    }
  });
});

test('module 30: ensure-redirect-uri-in-authorization-request', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-8 / RFC 6749 §3.1.2.3: with two registered URIs and none sent, an error page or a PAR error.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant, { redirect_uri: undefined });
    const outcome = await open(tpp, await start(tpp, variant, request));
    if (outcome.kind === 'par-error') assertRefused(outcome, { errors: ['invalid_request'], state: request.state, variant });
    else assertErrorPage(outcome, 'redirect_uri');
  });
});

test('module 31: ensure-response-type-code-fails', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-2: response_type=code only with response_mode=jwt (JARM).
  await eachVariant(
    t,
    async ({ tpp, variant }) => {
      const request = authorizationRequest(tpp, variant, { response_type: 'code', response_mode: undefined });
      const outcome = await open(tpp, await start(tpp, variant, request));
      if (outcome.kind === 'redirect') assert.equal(outcome.params.code, undefined, 'no code');
      assertRefused(outcome, {
        errors: ['unsupported_response_type', 'invalid_request'],
        parErrors: ['unsupported_response_type', 'invalid_request', 'unauthorized_client'],
        state: request.state,
        variant,
        plainQuery: true,
      });
    },
    { only: (v) => v.response === 'code_id_token' },
  );
});

test('the authorization endpoint never accepts a request object from a TPP the bank does not know', async () => {
  // RFC 6749 §4.1.2.1: an unknown client_id gets an error page, never a redirect.
  const [tpp] = clients('private_key_jwt');
  const variant = VARIANTS[0]!;
  const request = authorizationRequest(tpp, variant, { client_id: 'tpp-unknown', iss: 'tpp-unknown' });
  const started = await start(tpp, variant, request, { outside: { client_id: 'tpp-unknown' } });
  assertErrorPage(await open(tpp, started));
});
