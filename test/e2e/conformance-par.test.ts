// FAPI 1.0 Advanced conformance, pushed authorization requests and PKCE (suite modules 49–68): the
// request_uri single use, expiring and bound to its client; client assertions at the PAR endpoint;
// what a pushed request may not contain; PKCE S256 required and checked — with code id_token and
// JARM, for a private_key_jwt and a tls_client_auth TPP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Agent, fetch } from 'undici';
import {
  assertAuthorized,
  assertErrorDescription,
  assertRefused,
  AUTH_METHODS,
  authorizationRequest,
  authorize,
  Client,
  clientAuthParams,
  conformanceSuite,
  endpoints,
  loginAndApprove,
  nameOf,
  newBrowser,
  now,
  open,
  postFormWithHost,
  push,
  redeem,
  s256,
  sign,
  start,
  tokenRequest,
  type AuthorizationRequest,
  type ClientAuthOptions,
  type Outcome,
  type Variant,
} from '../support/conformance.ts';

const PAR_VARIANTS: Variant[] = [
  { request: 'par', response: 'code_id_token' },
  { request: 'par', response: 'jarm' },
];

const { bank, clients, eachVariant } = conformanceSuite({ variants: PAR_VARIANTS });

/** Pushes `request` and returns the authorization URL; the push must succeed (201, request_uri, expires_in). */
async function pushed(tpp: Client, variant: Variant, request: AuthorizationRequest, auth?: ClientAuthOptions & { audience?: string }): Promise<{ url: string; requestUri: string; expiresIn: number }> {
  const started = await start(tpp, variant, request, auth ? { parAuth: auth } : {});
  assert.equal(started.kind, 'url', `the push succeeds: ${JSON.stringify(started)}`);
  if (started.kind !== 'url') throw new Error('unreachable');
  assert.match(started.requestUri ?? '', /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{20,}$/, 'RFC 9126 §2.2 request_uri with enough entropy');
  assert.ok(Number.isInteger(started.expiresIn) && started.expiresIn! > 0, 'expires_in');
  return { url: started.url, requestUri: started.requestUri!, expiresIn: started.expiresIn! };
}

/** The PAR endpoint refused the push with a JSON error: 400, or 401 for invalid_client (RFC 9126 §2.3). */
function assertParError(outcome: Outcome | { kind: 'url' }, accepted: string[]): void {
  assert.equal(outcome.kind, 'par-error', `the PAR endpoint refuses: ${JSON.stringify(outcome).slice(0, 400)}`);
  if (outcome.kind !== 'par-error') return;
  const { status, body, contentType } = outcome.response;
  assert.match(contentType, /application\/json/);
  assert.ok(accepted.includes(body.error), `PAR error ${JSON.stringify(body)} is one of ${accepted}`);
  assertErrorDescription(body.error_description);
  assert.ok(body.error === 'invalid_client' ? [400, 401].includes(status) : status === 400, `status ${status} for ${body.error}`);
}

test('module 49: par-ensure-reused-request-uri-prior-to-auth-completion-succeeds', async (t) => {
  // RFC 9126 §7.3: single use is enforced when the authorization completes, so a reload before login still works.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant);
    const { url } = await pushed(tpp, variant, request);
    assert.equal((await open(tpp, { kind: 'url', url })).kind, 'login', 'the first visit shows the login page');
    const browser = newBrowser(bank());
    try {
      const outcome = await loginAndApprove(tpp, await open(tpp, { kind: 'url', url }, browser), browser);
      const authorized = await assertAuthorized(tpp, variant, outcome, request.state, request.nonce);
      await redeem(tpp, request, authorized.code);
    } finally {
      await browser.close();
    }
  });
});

test('module 50: par-attempt-reuse-request_uri', async (t) => {
  // RFC 9126 §7.3 / §4: a request_uri used to completion is refused with invalid_request_uri.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant);
    const { url } = await pushed(tpp, variant, request);
    const browser = newBrowser(bank());
    try {
      const outcome = await loginAndApprove(tpp, await open(tpp, { kind: 'url', url }, browser), browser);
      await redeem(tpp, request, (await assertAuthorized(tpp, variant, outcome, request.state, request.nonce)).code);
    } finally {
      await browser.close();
    }
    // The suite accepts a plain (non-JARM) error here: the pushed request, and its response_mode, are gone.
    assertRefused(await open(tpp, { kind: 'url', url }), { errors: ['invalid_request_uri'], state: undefined, variant, plainQuery: true });
  });
});

test('module 51: par-attempt-to-use-expired-request_uri', async (t) => {
  // RFC 9126 §2.2 expires_in: a request_uri is refused once it has expired (short-lived ones here, to keep the test fast).
  const [tpp] = clients('private_key_jwt');
  const normal = await pushed(tpp, PAR_VARIANTS[0]!, authorizationRequest(tpp, PAR_VARIANTS[0]!));
  assert.ok(normal.expiresIn > 0 && normal.expiresIn <= 60, `expires_in ${normal.expiresIn} s: a minute at most (the suite skips above 30 minutes)`);

  // Push one short-lived request per variant, wait once for all of them to expire, then use each.
  const expiring = new Map<string, string>();
  let longest = 0;
  for (const method of AUTH_METHODS) {
    for (const variant of PAR_VARIANTS) {
      const client = clients(method)[0];
      const { url, expiresIn } = await pushed(client, variant, authorizationRequest(client, variant, { exp: now() + 2 }));
      assert.ok(expiresIn <= 2, `expires_in follows the request object's exp (${expiresIn})`);
      longest = Math.max(longest, expiresIn);
      expiring.set(`${method} × ${nameOf(variant)}`, url);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, (longest + 1.5) * 1000));
  await eachVariant(t, async ({ method, tpp: client, variant }) => {
    const url = expiring.get(`${method} × ${nameOf(variant)}`)!;
    assertRefused(await open(client, { kind: 'url', url }), { errors: ['invalid_request_uri'], state: undefined, variant, plainQuery: true });
  });
});

test('module 52: par-test-pushed-authorization-url-as-audience-for-client-JWT-assertion', async (t) => {
  // RFC 9126 §2 / RFC 7523 §3 (3): the PAR endpoint URL is an acceptable audience at the PAR endpoint.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant);
    await pushed(tpp, variant, request, { assertion: { aud: endpoints(bank()).par } });
  }, { methods: ['private_key_jwt'] });
});

test('module 53: par-token-endpoint-url-as-audience-for-client-JWT-assertion', async (t) => {
  // RFC 9126 §2 / RFC 7523 §3 (3): the token endpoint URL is an acceptable audience at the PAR endpoint.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant);
    const { url } = await pushed(tpp, variant, request, { assertion: { aud: endpoints(bank()).token } });
    assert.equal((await open(tpp, { kind: 'url', url })).kind, 'login');
  }, { methods: ['private_key_jwt'] });
});

test('module 54: test-array-as-audience-for-client-JWT-assertion (PAR and token endpoint)', async (t) => {
  // RFC 7519 §4.1.3: aud as [issuer, another value] is accepted at the PAR and the token endpoints.
  await eachVariant(t, async ({ tpp, variant }) => {
    const aud = [bank().provider.issuer, 'https://dummy.example/'];
    const request = authorizationRequest(tpp, variant);
    const browser = newBrowser(bank());
    try {
      const { url } = await pushed(tpp, variant, request, { assertion: { aud } });
      const outcome = await loginAndApprove(tpp, await open(tpp, { kind: 'url', url }, browser), browser);
      const authorized = await assertAuthorized(tpp, variant, outcome, request.state, request.nonce);
      await redeem(tpp, request, authorized.code, { assertion: { aud } });
    } finally {
      await browser.close();
    }
  }, { methods: ['private_key_jwt'] });
});

test('module 55: par-ensure-client-assertion-with-wrong-aud-fails', async (t) => {
  // RFC 7523 §3 (3): an assertion for another server is refused at the PAR endpoint.
  await eachVariant(t, async ({ tpp, variant }) => {
    const started = await start(tpp, variant, authorizationRequest(tpp, variant), { parAuth: { assertion: { aud: 'https://other-bank.example/par' } } });
    assertParError(started, ['invalid_client']);
  }, { methods: ['private_key_jwt'] });
});

test('module 55 (Host header): at PAR, an assertion for another server is refused even when the request names that server', async (t) => {
  // RFC 7523 §3 (3): the audience identifies this authorization server — not whatever Host the request carries.
  await eachVariant(t, async ({ tpp, variant }) => {
    const requestObject = await sign(tpp, authorizationRequest(tpp, variant).claims);
    for (const [host, path] of [['other-bank.example', '/oauth/par'], ['other-bank.example', '/oauth/token']] as const) {
      const form = { request: requestObject, ...(await clientAuthParams(tpp, `https://${host}${path}`, {})) };
      assertParError({ kind: 'par-error', response: await postFormWithHost(tpp, endpoints(bank()).par, form, host) }, ['invalid_client']);
    }
  }, { methods: ['private_key_jwt'] });
});

test('module 56: par-ensure-client-assertion-with-wrong-iss-fails', async (t) => {
  // RFC 7523 §3 (1): iss must be the client_id.
  await eachVariant(t, async ({ tpp, variant }) => {
    const started = await start(tpp, variant, authorizationRequest(tpp, variant), { parAuth: { assertion: { iss: 'not-the-client' } } });
    assertParError(started, ['invalid_client', 'invalid_request']);
  }, { methods: ['private_key_jwt'] });
});

test('module 57: par-ensure-client-assertion-with-wrong-sub-fails', async (t) => {
  // RFC 7523 §3 (2): sub must be the client_id.
  await eachVariant(t, async ({ tpp, other, variant }) => {
    for (const sub of ['not-the-client', other.clientId]) {
      const started = await start(tpp, variant, authorizationRequest(tpp, variant), { parAuth: { assertion: { sub } } });
      assertParError(started, ['invalid_client', 'invalid_request']);
    }
  }, { methods: ['private_key_jwt'] });
});

test('module 58: par-attempt-to-use-request_uri-for-different-client', async (t) => {
  // RFC 9126 §4: a request_uri is bound to the client that pushed it; client 2's client_id with it is refused.
  await eachVariant(t, async ({ tpp, other, variant }) => {
    const request = authorizationRequest(tpp, variant);
    const { requestUri } = await pushed(tpp, variant, request);
    for (const duplicates of [true, false]) {
      const params = new URLSearchParams({ client_id: other.clientId, request_uri: requestUri });
      if (duplicates) for (const name of ['response_type', 'scope', 'redirect_uri'] as const) params.set(name, String(request.claims[name]));
      const outcome = await open(other, { kind: 'url', url: `${endpoints(bank()).authorization}?${params}` });
      assert.notEqual(outcome.kind, 'login', "client 2 cannot use client 1's request_uri");
      assertRefused(outcome, {
        errors: ['invalid_request_uri', 'invalid_request', 'invalid_request_object', 'invalid_client', 'unauthorized_client'],
        // No state of client 2's is known here; the bank may echo the pushed request's own, or none.
        state: outcome.kind === 'redirect' && outcome.params.state === undefined ? undefined : request.state,
        variant,
        plainQuery: true,
      });
    }
    // Client 1 can still use it.
    assert.equal((await open(tpp, { kind: 'url', url: `${endpoints(bank()).authorization}?${new URLSearchParams({ client_id: tpp.clientId, request_uri: requestUri })}` })).kind, 'login');
  });
});

test('module 59: par-authorization-request-containing-request_uri-form-param', async (t) => {
  // RFC 9126 §2.1: request_uri must not be sent to the PAR endpoint.
  await eachVariant(t, async ({ tpp, variant }) => {
    const first = await pushed(tpp, variant, authorizationRequest(tpp, variant));
    const started = await start(tpp, variant, authorizationRequest(tpp, variant), { parForm: { request_uri: first.requestUri } });
    assertParError(started, ['invalid_request', 'invalid_request_object', 'request_uri_not_supported']);
    // Without a request object either.
    assertParError({ kind: 'par-error', response: await push(tpp, { request_uri: first.requestUri }) }, ['invalid_request', 'invalid_request_object', 'request_uri_not_supported']);
  });
});

test('module 60: par-attempt-invalid-http-method', async (t) => {
  // RFC 9126 §2.1: the PAR endpoint takes POST only.
  await eachVariant(t, async ({ tpp }) => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await fetch(endpoints(bank()).par, { method, dispatcher: tpp.agent });
      await response.body?.cancel();
      assert.ok(response.status >= 400 && response.status < 600, `${method} answers ${response.status}`);
    }
  });
});

test('module 61: par-ensure-pkce-required', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-18: pushed requests must carry a PKCE code_challenge.
  await eachVariant(t, async ({ tpp, variant }) => {
    const started = await start(tpp, variant, authorizationRequest(tpp, variant, { code_challenge: undefined, code_challenge_method: undefined }));
    assertParError(started, ['invalid_request', 'invalid_request_object']);
  });
});

test('module 62: ensure-pkce-code-verifier-required', async (t) => {
  // RFC 7636 §4.5 / §4.6: a code issued with a code_challenge needs its code_verifier (invalid_grant).
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant);
    const { code } = await authorize(tpp, variant, request);
    const response = await tokenRequest(tpp, { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri });
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'invalid_grant');
  });
});

test('module 63: incorrect-pkce-code-verifier-rejected', async (t) => {
  // RFC 7636 §4.6: a code_verifier that does not hash to the code_challenge is invalid_grant.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant);
    const { code } = await authorize(tpp, variant, request);
    const response = await tokenRequest(tpp, { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri, code_verifier: `${request.codeVerifier}x` });
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'invalid_grant');
  });
});

test('module 64: par-plain-pkce-rejected', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-18: S256 only; code_challenge_method=plain is refused.
  await eachVariant(t, async ({ tpp, variant }) => {
    const verifier = 'a'.repeat(50);
    const started = await start(tpp, variant, authorizationRequest(tpp, variant, { code_challenge: verifier, code_challenge_method: 'plain' }));
    assertParError(started, ['invalid_request', 'invalid_request_object']);
    assert.notEqual(s256(verifier), verifier);
  });
});

test('module 65: par-pushed-authorization-url-as-audience-in-request-object', async (t) => {
  // RFC 9101 §4 / FAPI 1.0 Advanced 5.2.2-13: the request object's aud is the issuer, not the PAR endpoint.
  await eachVariant(t, async ({ tpp, variant }) => {
    const started = await start(tpp, variant, authorizationRequest(tpp, variant, { aud: endpoints(bank()).par }));
    assertParError(started, ['invalid_request_object']);
  });
});

test('module 66: par-attempt-invalid-redirect_uri', async (t) => {
  // RFC 9126 §2.4 / FAPI 1.0 Advanced 5.2.2-8: an unregistered redirect_uri is refused at the PAR endpoint.
  await eachVariant(t, async ({ tpp, variant }) => {
    const started = await start(tpp, variant, authorizationRequest(tpp, variant, { redirect_uri: 'https://attacker.example/callback' }));
    assertParError(started, ['invalid_request', 'invalid_request_object', 'invalid_redirect_uri']);
  });
});

test('module 67: par-authorization-request-containing-request_uri', async (t) => {
  // RFC 9101 §6.3 / RFC 9126 §3: a pushed request object may not itself contain request_uri.
  await eachVariant(t, async ({ tpp, variant }) => {
    const first = await pushed(tpp, variant, authorizationRequest(tpp, variant));
    const started = await start(tpp, variant, authorizationRequest(tpp, variant, { request_uri: first.requestUri }));
    assertParError(started, ['invalid_request_object']);
  });
});

test('module 68: par-without-duplicate-parameters', async (t) => {
  // RFC 9101 §5 / RFC 9126 §4: client_id and request_uri alone are a complete authorization request.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant);
    const authorized = await authorize(tpp, variant, request, { duplicates: false });
    await redeem(tpp, request, authorized.code);
  });
});

test('the PAR endpoint requires client authentication and, for tls_client_auth, the client certificate', async (t) => {
  // RFC 9126 §2: the PAR endpoint authenticates the client as the token endpoint does (FAPI 1.0 Advanced 5.2.2-14).
  const noCertificate = new Agent({ connect: { ca: bank().pki.caCertificatePem } });
  try {
    await eachVariant(t, async ({ method, tpp, variant }) => {
      const request = authorizationRequest(tpp, variant);
      const requestObject = await sign(tpp, request.claims);
      const form = new URLSearchParams({ request: requestObject, client_id: tpp.clientId });
      const response = await fetch(endpoints(bank()).par, { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, dispatcher: noCertificate });
      const body = (await response.json()) as { error: string };
      assert.ok([400, 401].includes(response.status), `status ${response.status}`);
      assert.ok(['invalid_client', 'invalid_request'].includes(body.error), `${method}: ${JSON.stringify(body)}`);
    });
  } finally {
    await noCertificate.close();
  }
});
