// FAPI 2.0 Security Profile conformance (research/fapi-conformance.md §2.2–2.3): discovery, and the modules
// about pushed requests and the authorization endpoint — what must succeed (no state, no nonce, long and
// reordered values, a request_uri opened twice before login), what may succeed or be refused (values that
// differ outside the pushed request), and what must be refused (no redirect_uri, an unregistered one, no or
// plain PKCE, a request_uri reused, expired, another client's or pushed itself, GET, assertions from the
// future), for each client authentication × openid variant.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { Agent, fetch } from 'undici';
import { TPP_REDIRECT_URI } from '../support/bank.ts';
import { assertRefused, classify, CUSTOMER, endpoints, newBrowser, now, randomString, type Outcome, type Variant } from '../support/conformance.ts';
import { expectPage } from '../support/tpp.ts';
import { authorizeFapi2, codeOf, fapi2Request, fapi2Suite, openFapi2, pushFapi2, redeemFapi2, type Fapi2Case } from '../support/conformance-fapi2.ts';

const suite = fapi2Suite();
/** FAPI 2.0 answers in the query: an error redirect there is one of the accepted refusals. */
const QUERY: Variant = { request: 'par', response: 'code_id_token' };
const refusal = (state: string | undefined, errors: string[]) => ({ errors, state, variant: QUERY, plainQuery: true });
/** The modules that walk the customer through the bank run for two cases; those that stop at PAR, for all. */
const BROWSER_CASES = { constraints: ['mtls' as const] };

/** The ID token of a redeemed code (OpenID Connect), or undefined. */
async function idTokenOf(c: Fapi2Case, outcome: Outcome, request: ReturnType<typeof fapi2Request>): Promise<Record<string, unknown> | undefined> {
  const redeemed = await redeemFapi2(c.tpp, request, codeOf(outcome, request.state));
  assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
  return redeemed.body.id_token ? decodeJwt(redeemed.body.id_token) : undefined;
}

describe('discovery (module 1, §2.3)', () => {
  test('OpenID and RFC 8414 metadata: PAR, S256, iss, mTLS and DPoP binding, PS256/ES256, both client authentications', async () => {
    const bank = suite.bank();
    const agent = new Agent({ connect: { ca: bank.pki.caCertificatePem } });
    try {
      for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
        const metadata = (await (await fetch(`${bank.config.browser.publicUrl}${path}`, { dispatcher: agent })).json()) as Record<string, any>;
        assert.equal(metadata.issuer, endpoints(bank).issuer, path);
        assert.ok(metadata.response_types_supported.includes('code'));
        assert.equal(metadata.authorization_response_iss_parameter_supported, true);
        assert.equal(metadata.pushed_authorization_request_endpoint, endpoints(bank).par);
        assert.equal(typeof (metadata.require_pushed_authorization_requests ?? false), 'boolean');
        assert.ok(metadata.code_challenge_methods_supported.includes('S256'));
        assert.equal(metadata.tls_client_certificate_bound_access_tokens, true);
        for (const field of ['dpop_signing_alg_values_supported', 'id_token_signing_alg_values_supported', 'token_endpoint_auth_signing_alg_values_supported']) {
          assert.ok(metadata[field].length > 0 && metadata[field].every((alg: string) => ['PS256', 'ES256'].includes(alg)), `${field}: ${metadata[field]}`);
        }
        for (const method of ['private_key_jwt', 'tls_client_auth']) assert.ok(metadata.token_endpoint_auth_methods_supported.includes(method));
        for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) assert.match(metadata[field], /^https:\/\//);
        assert.ok(metadata.scopes_supported.includes('openid'));
        assert.ok(metadata.subject_types_supported.length > 0);
      }
    } finally {
      await agent.close();
    }
  });
});

describe('authorization requests that must succeed (modules 4–8, 47, 59)', () => {
  test('no state: success, and no state back (4)', async (t) => {
    await suite.eachCase(t, async (c) => {
      const request = fapi2Request(c.openid, { state: undefined });
      codeOf(await authorizeFapi2(c.tpp, request), undefined);
    }, BROWSER_CASES);
  });

  test('no nonce, a 64-character nonce, the scopes in another order: success, the nonce intact (5–7)', async (t) => {
    await suite.eachCase(t, async (c) => {
      const withoutNonce = fapi2Request(c.openid, { nonce: undefined });
      assert.equal((await idTokenOf(c, await authorizeFapi2(c.tpp, withoutNonce), withoutNonce))?.nonce, undefined);
      const nonce = randomString(64);
      const longNonce = fapi2Request(c.openid, { nonce, scope: 'accounts openid' });
      assert.equal((await idTokenOf(c, await authorizeFapi2(c.tpp, longNonce), longNonce))?.nonce, nonce);
    }, { ...BROWSER_CASES, openid: ['openid_connect'] });
  });

  test('the claims parameter (8): identity claims the bank does not release are left out, the flow succeeds, and acr comes back', async (t) => {
    await suite.eachCase(t, async (c) => {
      // A bank releases no identity claims to a TPP (only `sub`, `acr`, `amr`), so the module's warnings are
      // expected; what must hold is that asking for them does not break the flow.
      const claims = JSON.stringify({ id_token: { name: null, email: { essential: true }, acr: null }, userinfo: { family_name: null } });
      const request = fapi2Request(c.openid, { claims });
      const idToken = await idTokenOf(c, await authorizeFapi2(c.tpp, request), request);
      assert.ok(idToken?.sub);
      assert.equal(typeof idToken?.acr, 'string');
      for (const claim of ['name', 'email', 'family_name']) assert.equal(idToken?.[claim], undefined, claim);
    }, { ...BROWSER_CASES, openid: ['openid_connect'] });
  });

  test('a request_uri opened twice before the customer logs in works (47); after the code it is spent (48)', async (t) => {
    await suite.eachCase(t, async (c) => {
      const request = fapi2Request(c.openid);
      const pushed = await pushFapi2(c.tpp, request.params);
      assert.equal(pushed.status, 201);
      assert.equal((await openFapi2(c.tpp, pushed.body.request_uri, false)).kind, 'login', 'first visit');
      codeOf(await openFapi2(c.tpp, pushed.body.request_uri), request.state);
      assertRefused(await openFapi2(c.tpp, pushed.body.request_uri), refusal(undefined, ['invalid_request', 'invalid_request_uri']));
    }, BROWSER_CASES);
  });
});

describe('values that differ outside the pushed request (modules 19–22): refused, or the pushed ones used', () => {
  test('a state or nonce in the URL other than the pushed one; long values; a state only in the URL', async (t) => {
    await suite.eachCase(t, async (c) => {
      const request = fapi2Request(c.openid);
      const pushed = await pushFapi2(c.tpp, request.params);
      const differing = await openFapi2(c.tpp, pushed.body.request_uri, true, { state: 'outside', ...(c.openid === 'openid_connect' ? { nonce: 'outside' } : {}) });
      if (differing.kind === 'redirect' && differing.params.code) assert.equal(differing.params.state, request.state, 'the pushed state is the one used');
      else assertRefused(differing, refusal(request.state, ['invalid_request']));

      const onlyOutside = fapi2Request(c.openid, { state: undefined });
      const pushedWithout = await pushFapi2(c.tpp, onlyOutside.params);
      const outcome = await openFapi2(c.tpp, pushedWithout.body.request_uri, true, { state: 'outside-only' });
      if (outcome.kind === 'redirect' && outcome.params.code) assert.equal(outcome.params.state, undefined, 'a state outside the pushed request is ignored');
      else assertRefused(outcome, refusal(undefined, ['invalid_request']));

      const long = fapi2Request(c.openid, { state: randomString(384), ...(c.openid === 'openid_connect' ? { nonce: randomString(384) } : {}) });
      const longOutcome = await authorizeFapi2(c.tpp, long);
      if (longOutcome.kind === 'redirect' && longOutcome.params.code) {
        assert.equal(longOutcome.params.state, long.state, 'a long state comes back intact');
        if (long.nonce) assert.equal((await idTokenOf(c, longOutcome, long))?.nonce, long.nonce, 'a long nonce comes back intact');
      } else {
        assertRefused(longOutcome, refusal(undefined, ['invalid_request']));
      }
    }, BROWSER_CASES);
  });
});

describe('the customer refuses (module 3)', () => {
  test('access_denied with the state and iss, in the query', async (t) => {
    await suite.eachCase(t, async (c) => {
      const request = fapi2Request(c.openid);
      const pushed = await pushFapi2(c.tpp, request.params);
      const browser = newBrowser(suite.bank());
      try {
        const query = new URLSearchParams({ client_id: c.tpp.client.clientId, request_uri: pushed.body.request_uri });
        const login = await browser.open(`${endpoints(suite.bank()).authorization}?${query}`);
        const consent = expectPage(await browser.submit(expectPage(login, 'login'), '/login', { loginId: CUSTOMER.loginId, password: CUSTOMER.password }), 'consent');
        const outcome = await classify(c.tpp.client, await browser.submit(consent, '/refuse', {}));
        assertRefused(outcome, { ...refusal(request.state, ['access_denied']), errorPage: false });
        assert.ok(outcome.kind === 'redirect' && outcome.where === 'query' && outcome.params.iss, 'iss beside the error (RFC 9207)');
      } finally {
        await browser.close();
      }
    }, BROWSER_CASES);
  });
});

describe('pushed requests that must be refused (modules 23, 25, 49–55, 58)', () => {
  test('no redirect_uri, an unregistered one, no PKCE, plain PKCE, a request_uri in the body', async (t) => {
    await suite.eachCase(t, async (c) => {
      const cases: [string, Record<string, string | undefined>][] = [
        ['no redirect_uri (23, 27)', { redirect_uri: undefined }],
        ['an unregistered redirect_uri (25)', { redirect_uri: `${TPP_REDIRECT_URI}/other` }],
        ['no code_challenge (55)', { code_challenge: undefined, code_challenge_method: undefined }],
        ['code_challenge_method plain (58)', { code_challenge_method: 'plain' }],
        ['a request_uri in the PAR body (53)', { request_uri: 'urn:ietf:params:oauth:request_uri:abc' }],
      ];
      for (const [what, overrides] of cases) {
        const answer = await pushFapi2(c.tpp, fapi2Request(c.openid, overrides).params);
        assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
        assert.match(answer.body.error, /^(invalid_request|invalid_request_uri|request_uri_not_supported)$/, what);
      }
    }, { constraints: ['mtls'] });
  });

  test('another client\'s request_uri (52), an expired one (49), GET on the PAR endpoint (54)', async (t) => {
    await suite.eachCase(t, async (c) => {
      const pushed = await pushFapi2(c.tpp, fapi2Request(c.openid).params);
      assertRefused(await openFapi2(c.other, pushed.body.request_uri), refusal(undefined, ['invalid_request', 'invalid_request_uri', 'invalid_client']));
      const later = await pushFapi2(c.tpp, fapi2Request(c.openid).params);
      assert.ok(later.body.expires_in <= 60, 'a request_uri lives a minute at most');
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      try {
        t.mock.timers.tick((later.body.expires_in + 1) * 1000);
        assertRefused(await openFapi2(c.tpp, later.body.request_uri), refusal(undefined, ['invalid_request', 'invalid_request_uri']));
      } finally {
        t.mock.timers.reset();
      }
      const get = await fetch(endpoints(suite.bank()).par, { dispatcher: c.tpp.client.agent });
      assert.ok(get.status >= 400, `GET answers ${get.status}`);
      await get.text();
    }, { constraints: ['mtls'], openid: ['openid_connect'] });
  });

  test('client assertions at PAR: 8 seconds ahead is accepted (50), over 60 seconds ahead is refused (51)', async (t) => {
    await suite.eachCase(t, async (c) => {
      const ahead = (seconds: number) => ({ assertion: { iat: now() + seconds, nbf: now() + seconds, exp: now() + seconds + 60 } });
      assert.equal((await pushFapi2(c.tpp, fapi2Request(c.openid).params, ahead(8))).status, 201, '8 s ahead');
      const refused = await pushFapi2(c.tpp, fapi2Request(c.openid).params, ahead(61));
      assert.ok(refused.status === 400 || refused.status === 401, JSON.stringify(refused.body));
      assert.match(refused.body.error, /^invalid_(client|request)$/);
    }, { methods: ['private_key_jwt'], constraints: ['mtls'], openid: ['openid_connect'] });
  });
});
