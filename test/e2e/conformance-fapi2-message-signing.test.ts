// FAPI 2.0 Message Signing (research/fapi-conformance.md, appendix): the 16 modules the Message Signing plan
// adds to the Security Profile's, against TPPs registered with `--profile fapi2-message-signing`. The happy
// flows use openid-client (signed request object pushed, JARM response verified) for every client
// authentication × sender constraint × openid variant; each negative module breaks one rule of the request
// object by hand (jose) and expects the refusal the suite accepts. Then what the bank signs: the JARM
// response and, on request, the introspection response (RFC 9701).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { fetch } from 'undici';
import type { SenderConstraint } from '../../src/auth/fapi-profiles.ts';
import type { TppAuthMethod } from '../../src/tpp/registry.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import {
  assertRefused,
  authorizationRequest,
  authorize,
  Client,
  clientAuthParams,
  CUSTOMER,
  endpoints,
  now,
  open,
  postForm,
  push,
  serverJwks,
  start,
  type AuthorizationRequest,
  type SendOptions,
  type Variant,
} from '../support/conformance.ts';
import { Fapi2Tpp, type OpenIdVariant } from '../support/fapi2-tpp.ts';

const AUTH_METHODS: TppAuthMethod[] = ['private_key_jwt', 'tls_client_auth'];
const SENDER_CONSTRAINTS: SenderConstraint[] = ['mtls', 'dpop'];
const OPENID_VARIANTS: OpenIdVariant[] = ['openid_connect', 'plain_oauth'];
/** The Message Signing plan's request method and response mode: a pushed request object, a JARM response. */
const SIGNED: Variant = { request: 'par', response: 'jarm' };
/** Refusals of a request object: from the PAR endpoint, on the error page, or as a (JARM) error redirect. */
const REQUEST_OBJECT_ERRORS = ['invalid_request_object', 'invalid_request'];

let bank: TestBank;
const clients = new Map<string, Client>();
const tpps: Fapi2Tpp[] = [];
const clientFor = (method: TppAuthMethod, constraint: SenderConstraint): Client => clients.get(`${method}/${constraint}`)!;

before(async () => {
  bank = await startTestBank();
  for (const method of AUTH_METHODS) {
    for (const senderConstraint of SENDER_CONSTRAINTS) {
      clients.set(`${method}/${senderConstraint}`, await Client.register(bank, method, { profile: 'fapi2-message-signing', senderConstraint }));
    }
  }
});

after(async () => {
  for (const tpp of tpps) await tpp.close();
  for (const client of clients.values()) await client.close();
  await bank.stop();
});

/** FAPI 2.0: client assertions name the issuer alone (5.3.2.1-8), at PAR as at the token endpoint. */
const issuerAudience = (): SendOptions => ({ parAuth: { audience: endpoints(bank).issuer } });

/** Pushes `request`'s claims (signed as `options` says) and opens the authorization URL, if any. */
async function pushAndOpen(client: Client, request: AuthorizationRequest, options: SendOptions = {}) {
  return open(client, await start(client, SIGNED, request, { ...issuerAudience(), ...options }));
}

describe('FAPI 2.0 Message Signing: happy flows (openid-client, signed request object pushed, JARM)', () => {
  for (const method of AUTH_METHODS) {
    for (const constraint of SENDER_CONSTRAINTS) {
      for (const variant of OPENID_VARIANTS) {
        test(`${method} × ${constraint} × ${variant}`, async () => {
          const tpp = await Fapi2Tpp.create(bank, clientFor(method, constraint).registered, variant);
          tpps.push(tpp);
          const tokens = await tpp.link(variant, CUSTOMER);
          assert.equal(tokens.token_type.toLowerCase(), constraint === 'dpop' ? 'dpop' : 'bearer');
          assert.equal(tokens.id_token !== undefined, variant === 'openid_connect');
          const accounts = await tpp.api('/accounts', tokens.access_token);
          assert.equal(accounts.status, 200, JSON.stringify(accounts.body));
        });
      }
    }
  }
});

describe('FAPI 2.0 Message Signing: the request object', () => {
  const client = () => clientFor('private_key_jwt', 'mtls');
  const other = () => clientFor('tls_client_auth', 'mtls');

  async function assertRequestRefused(request: AuthorizationRequest, options: SendOptions = {}): Promise<void> {
    assertRefused(await pushAndOpen(client(), request, options), { errors: REQUEST_OBJECT_ERRORS, state: request.state, variant: SIGNED });
  }

  async function assertRequestAccepted(request: AuthorizationRequest): Promise<void> {
    const outcome = await pushAndOpen(client(), request);
    assert.equal(outcome.kind, 'login', `the customer is asked to log in: ${JSON.stringify(outcome).slice(0, 400)}`);
  }

  test('a request object with the issuer in an array aud succeeds (…-ensure-request-object-with-multiple-aud-succeeds)', async () => {
    await assertRequestAccepted(authorizationRequest(client(), SIGNED, { aud: [endpoints(bank).issuer, 'https://another.example'] }));
  });

  test('one whose nbf is 8 seconds ahead succeeds (clock skew; …-nbf-8-seconds-in-the-future-is-accepted)', async () => {
    await assertRequestAccepted(authorizationRequest(client(), SIGNED, { nbf: now() + 8 }));
  });

  test('without exp, without nbf, expired, with a bad aud, or living over 60 minutes, it is refused (5.3.1)', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['no exp', { exp: undefined }],
      ['no nbf', { nbf: undefined }],
      ['expired', { iat: now() - 600, nbf: now() - 600, exp: now() - 300 }],
      ['aud another server', { aud: 'https://another.example' }],
      ['aud the PAR endpoint', { aud: endpoints(bank).par }],
      ['exp 61 minutes after nbf', { nbf: now(), exp: now() + 61 * 60 }],
      ['nbf 61 minutes ago', { iat: now() - 61 * 60, nbf: now() - 61 * 60, exp: now() + 60 }],
    ];
    for (const [what, overrides] of cases) {
      await assertRequestRefused(authorizationRequest(client(), SIGNED, overrides)).catch((error: Error) => assert.fail(`${what}: ${error.message}`));
    }
  });

  test('signed RS256, unsigned (alg none), with a broken signature or with another client\'s key, it is refused', async () => {
    const cases: [string, SendOptions['signer']][] = [
      ['RS256', { alg: 'RS256' }],
      ['alg none', { alg: 'none' }],
      ['broken signature', { alg: 'PS256', corrupt: true }],
      ['another client\'s key', { alg: 'PS256', key: other().registered.signingKey }],
    ];
    for (const [what, signer] of cases) {
      await assertRequestRefused(authorizationRequest(client(), SIGNED), { signer }).catch((error: Error) => assert.fail(`${what}: ${error.message}`));
    }
  });

  test('a request_uri inside the request object is refused (…-par-authorization-request-containing-request_uri)', async () => {
    await assertRequestRefused(authorizationRequest(client(), SIGNED, { request_uri: 'urn:ietf:params:oauth:request_uri:abc' }));
  });

  test('plain parameters pushed without a request object are refused (…-ensure-unsigned-request-at-par-endpoint-fails)', async () => {
    const { claims } = authorizationRequest(client(), SIGNED);
    const plain = Object.fromEntries(Object.entries(claims).filter(([name]) => !['iss', 'aud', 'iat', 'nbf', 'exp', 'jti'].includes(name)).map(([name, value]) => [name, String(value)]));
    const answer = await push(client(), plain, { audience: endpoints(bank).issuer });
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.ok(REQUEST_OBJECT_ERRORS.includes(answer.body.error), JSON.stringify(answer.body));
  });

  test('a request for an unsigned response (plain query) is refused: a Message Signing TPP gets JARM only', async () => {
    const request = authorizationRequest(client(), SIGNED, { response_mode: undefined });
    const outcome = await pushAndOpen(client(), request);
    assert.equal(assertRefused(outcome, { errors: ['invalid_request', 'unsupported_response_mode'], state: request.state, variant: SIGNED }), 'par-error', 'refused when pushed');
  });
});

describe('FAPI 2.0 Message Signing: what the bank signs', () => {
  test('the authorization response is a JARM JWT: PS256 by a key of the bank\'s JWKS, iss the issuer, aud the client, code and state inside', async () => {
    const client = clientFor('tls_client_auth', 'mtls');
    const request = authorizationRequest(client, SIGNED);
    // authorize() verifies the JARM response (signature, iss, aud, exp) before it reads the code from it.
    const authorized = await authorize(client, SIGNED, request, issuerAudience());
    assert.equal(authorized.where, 'jarm');
    assert.equal(authorized.params.state, request.state);
  });

  test('introspection answers with a signed JWT when asked for one (RFC 9701), plain JSON otherwise', async () => {
    const client = clientFor('tls_client_auth', 'mtls');
    const tpp = await Fapi2Tpp.create(bank, client.registered, 'openid_connect');
    tpps.push(tpp);
    const { access_token: accessToken } = await tpp.link('openid_connect', CUSTOMER);
    const url = endpoints(bank).introspection;
    const form = new URLSearchParams({ token: accessToken, ...(await clientAuthParams(client, endpoints(bank).issuer, {})) });
    const signed = await fetch(url, { method: 'POST', body: form, headers: { accept: 'application/token-introspection+jwt' }, dispatcher: client.agent });
    assert.equal(signed.status, 200);
    assert.match(signed.headers.get('content-type') ?? '', /^application\/token-introspection\+jwt/);
    const jwt = await signed.text();
    assert.equal(decodeProtectedHeader(jwt).alg, 'PS256');
    const { payload } = await jwtVerify(jwt, await serverJwks(bank), { issuer: endpoints(bank).issuer, audience: client.clientId, typ: 'token-introspection+jwt' });
    const introspected = payload.token_introspection as JWTPayload & { active: boolean };
    assert.equal(introspected.active, true);
    assert.equal(introspected.client_id, client.clientId);
    const plain = await postForm(url, Object.fromEntries(form), client.agent);
    assert.equal(plain.body.active, true, 'without the Accept header: plain JSON');
  });
});
