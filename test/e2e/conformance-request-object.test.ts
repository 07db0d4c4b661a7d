// FAPI 1.0 Advanced conformance, the request object (suite modules 4 and 15–28): what the bank does
// with a request object that lacks a claim, is expired or too long-lived, names another audience, is
// signed with RS256, `none`, a broken signature or another client's key — by value and pushed, with
// code id_token and JARM, for a private_key_jwt and a tls_client_auth TPP. Modules 18 and 4 are the
// ones that must succeed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TPP_REDIRECT_URI } from '../support/bank.ts';
import {
  assertErrorPage,
  assertRefused,
  authorizationRequest,
  authorize,
  conformanceSuite,
  now,
  open,
  redeem,
  start,
  VARIANTS,
  type Case,
  type Refusal,
  type SendOptions,
} from '../support/conformance.ts';

const { bank, eachVariant } = conformanceSuite({ variants: VARIANTS });

/** Sends a request whose request object is changed by `overrides`, and expects the suite's refusal. */
async function expectRefused(c: Case, overrides: Record<string, unknown>, expected: Omit<Refusal, 'state' | 'variant'>, options: SendOptions = {}): Promise<void> {
  const request = authorizationRequest(c.tpp, c.variant, overrides);
  assertRefused(await open(c.tpp, await start(c.tpp, c.variant, request, options)), { ...expected, state: request.state, variant: c.variant });
}

/** The errors the suite accepts for a request object it considers invalid (by value), or a pushed one. */
const INVALID_REQUEST_OBJECT = {
  errors: ['invalid_request_object', 'invalid_request', 'invalid_request_uri', 'access_denied'],
  parErrors: ['invalid_request_object'],
};

/** What the suite accepts for a request object that cannot be verified (aud, signature, alg, nbf): invalid_request_object. */
const UNVERIFIABLE_REQUEST_OBJECT = { errors: ['invalid_request_object', 'invalid_request_uri'], parErrors: ['invalid_request_object'] };

test('module 4: ensure-request-object-with-multiple-aud-succeeds', async (t) => {
  // RFC 7519 §4.1.3: aud may be an array; the issuer among other values is accepted.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant, { aud: [bank().provider.issuer, 'https://other.example/'] });
    const authorized = await authorize(tpp, variant, request);
    await redeem(tpp, request, authorized.code);
  });
});

test('module 15: ensure-request-object-without-exp-fails', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-13: the request object must contain exp.
  await eachVariant(t, (c) => expectRefused(c, { exp: undefined }, INVALID_REQUEST_OBJECT));
});

test('module 16: ensure-request-object-without-nbf-fails', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-17: the request object must contain nbf.
  await eachVariant(t, (c) => expectRefused(c, { nbf: undefined }, INVALID_REQUEST_OBJECT));
});

test('module 17: ensure-request-object-without-scope-fails', async (t) => {
  // FAPI 1.0 Advanced 5.2.3-8: only parameters inside the request object count; scope only outside is no scope.
  await eachVariant(t, async (c) => {
    await expectRefused(
      c,
      { scope: undefined },
      { errors: ['invalid_request', 'invalid_request_object', 'invalid_scope', 'access_denied'], parErrors: ['invalid_request', 'invalid_request_object', 'invalid_scope'] },
      { outside: { scope: 'openid accounts' } },
    );
  });
});

test('module 18: state-only-outside-request-object-not-used', async (t) => {
  // FAPI 1.0 Advanced 5.2.3-8: a state outside the request object is ignored — neither state nor s_hash comes back.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant, { state: undefined });
    const authorized = await authorize(tpp, variant, request, { outside: { state: 'outside-only-state' }, expectedState: undefined });
    assert.equal(authorized.params.state, undefined);
    await redeem(tpp, request, authorized.code);
  });
});

test('module 19: ensure-request-object-without-nonce-fails', async (t) => {
  // FAPI 1.0 Baseline 5.2.2.2: nonce is required for openid requests; a nonce only outside the request object does not count.
  await eachVariant(t, async (c) => {
    await expectRefused(
      c,
      { nonce: undefined },
      { errors: ['invalid_request', 'invalid_request_object', 'invalid_request_uri'], parErrors: ['invalid_request', 'invalid_request_object'] },
      { outside: { nonce: 'outside-only-nonce' } },
    );
  });
});

test('module 20: ensure-request-object-without-redirect-uri-fails', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-8 / 5.2.3-8: redirect_uri must be in the request object; without it there is nowhere verified to redirect to.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant, { redirect_uri: undefined });
    const outcome = await open(tpp, await start(tpp, variant, request));
    if (outcome.kind === 'par-error') assertRefused(outcome, { errors: ['invalid_request', 'invalid_request_object'], state: request.state, variant });
    else assertErrorPage(outcome, 'redirect_uri');
  });
});

test('module 21: ensure-expired-request-object-fails', async (t) => {
  // RFC 7519 §4.1.4, FAPI 1.0 Advanced 5.2.2-13: an expired request object is refused.
  await eachVariant(t, (c) => expectRefused(c, { nbf: now() - 600, iat: now() - 600, exp: now() - 300 }, INVALID_REQUEST_OBJECT));
});

test('module 22: ensure-request-object-with-bad-aud-fails', async (t) => {
  // RFC 9101 §6.3 / FAPI 1.0 Advanced 5.2.2-13: aud must be the issuer.
  await eachVariant(t, (c) =>
    expectRefused(c, { aud: 'https://not-the-issuer.example/' }, UNVERIFIABLE_REQUEST_OBJECT),
  );
});

test('module 23: ensure-request-object-with-exp-over-60-fails', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-13: exp no more than 60 minutes after nbf.
  await eachVariant(t, (c) => expectRefused(c, { nbf: now(), exp: now() + 70 * 60 }, INVALID_REQUEST_OBJECT));
});

test('module 24: ensure-request-object-with-nbf-over-60-fails', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-17: nbf no more than 60 minutes in the past (the suite sends 70 minutes).
  await eachVariant(t, (c) =>
    expectRefused(c, { nbf: now() - 70 * 60, iat: now() - 70 * 60 }, UNVERIFIABLE_REQUEST_OBJECT),
  );
});

test('module 24 (edge): nbf 61 minutes old with exp under 60 minutes after it is still expired', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-17: there is no window in which an nbf over 60 minutes old passes.
  await eachVariant(t, (c) =>
    expectRefused(c, { nbf: now() - 61 * 60, iat: now() - 61 * 60, exp: now() - 61 * 60 + 59 * 60 }, INVALID_REQUEST_OBJECT),
  );
});

test('module 25: ensure-signed-request-object-with-RS256-fails', async (t) => {
  // FAPI 1.0 Advanced 8.6: PS256 or ES256 only; the client's own RSA key used with RS256 is refused.
  await eachVariant(t, (c) =>
    expectRefused(c, {}, UNVERIFIABLE_REQUEST_OBJECT, { signer: { alg: 'RS256' } }),
  );
});

test('module 26: ensure-request-object-signature-algorithm-is-not-none', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-1 / 8.6: an unsigned (alg none) request object is refused.
  await eachVariant(t, (c) =>
    expectRefused(c, {}, { errors: ['invalid_request_object', 'invalid_request', 'invalid_request_uri'], parErrors: ['invalid_request_object', 'invalid_request'] }, { signer: { alg: 'none' } }),
  );
});

test('module 27: ensure-request-object-with-invalid-signature-fails', async (t) => {
  // FAPI 1.0 Advanced 5.2.2-1: the signature must verify with the client's registered key.
  await eachVariant(t, (c) =>
    expectRefused(c, {}, UNVERIFIABLE_REQUEST_OBJECT, { signer: { alg: 'PS256', corrupt: true } }),
  );
});

test("module 28: ensure-matching-key-in-authorization-request (client 2's key)", async (t) => {
  // FAPI 1.0 Advanced 5.2.2-1: client 1's request object signed with client 2's key is refused.
  await eachVariant(t, (c) =>
    expectRefused(
      c,
      {},
      UNVERIFIABLE_REQUEST_OBJECT,
      { signer: { alg: 'PS256', key: c.other.registered.signingKey } },
    ),
  );
});

test('module 20 (registered): a redirect_uri only outside the request object is not used', async (t) => {
  // FAPI 1.0 Advanced 5.2.3-8: even a registered redirect_uri outside the request object does not count.
  await eachVariant(t, async ({ tpp, variant }) => {
    const request = authorizationRequest(tpp, variant, { redirect_uri: undefined });
    const outcome = await open(tpp, await start(tpp, variant, request, { outside: { redirect_uri: TPP_REDIRECT_URI } }));
    assertRefused(outcome, { errors: ['invalid_request', 'invalid_request_object'], state: request.state, variant });
  });
});
