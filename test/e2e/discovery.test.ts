// End to end: the discovery document, the JWKS and the RFC 9728 protected resource metadata of a
// running bank, checked as the FAPI 1.0 Advanced conformance suite's discovery module does
// (fapi1-advanced-final-discovery-end-point-verification; research/fapi-conformance.md §1.2 #1, §1.3).
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Agent, fetch } from 'undici';
import { startTestBank, type TestBank } from '../support/bank.ts';

const FAPI_ALGS = ['PS256', 'ES256'];
const CLIENT_AUTH_METHODS = ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'];
/** The endpoints a TPP's server calls, which must live on the mTLS listener (RFC 8705 §5). */
const MTLS_ENDPOINT_NAMES = [
  'pushed_authorization_request_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'introspection_endpoint',
  'revocation_endpoint',
];
/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

let bank: TestBank;
let agent: Agent;
let metadata: Record<string, any>;
let discoveryResponse: { status: number; contentType: string | null };

async function getJson(url: string): Promise<{ status: number; contentType: string | null; body: any }> {
  const response = await fetch(url, { dispatcher: agent, headers: { accept: 'application/json' } });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), body: JSON.parse(text) };
}

before(async () => {
  bank = await startTestBank();
  // A client with no certificate: discovery, the JWKS and the resource metadata are public.
  agent = new Agent({ connect: { ca: bank.pki.caCertificatePem } });
  const discovery = await getJson(`${bank.config.browser.publicUrl}/.well-known/openid-configuration`);
  discoveryResponse = { status: discovery.status, contentType: discovery.contentType };
  metadata = discovery.body;
});

after(async () => {
  await agent?.close();
  await bank?.stop();
});

function assertFapiAlgList(name: string): void {
  const algs: unknown = metadata[name];
  assert.ok(Array.isArray(algs), `${name} is an array`);
  assert.ok(algs.includes('PS256') || algs.includes('ES256'), `${name} offers PS256 or ES256`);
  for (const alg of algs) assert.ok(FAPI_ALGS.includes(alg), `${name} offers only FAPI algorithms, not ${alg}`);
}

describe('discovery document (FAPI 1.0 Advanced discovery module)', () => {
  test('is served as JSON with HTTP 200', () => {
    assert.equal(discoveryResponse.status, 200);
    assert.match(discoveryResponse.contentType ?? '', /^application\/json(;|$)/);
    assert.equal(typeof metadata, 'object');
  });

  test('issuer is the discovery base URL, a valid https URL without query or fragment', () => {
    assert.equal(metadata.issuer, bank.config.browser.publicUrl);
    const issuer = new URL(metadata.issuer);
    assert.equal(issuer.protocol, 'https:');
    assert.equal(issuer.search, '');
    assert.equal(issuer.hash, '');
    assert.equal(`${metadata.issuer}/.well-known/openid-configuration`, `${bank.config.browser.publicUrl}/.well-known/openid-configuration`);
  });

  test('access tokens are certificate-bound (5.2.2-6, RFC 8705 §3.3)', () => {
    assert.equal(metadata.tls_client_certificate_bound_access_tokens, true);
  });

  test('signing algorithms: PS256/ES256 and nothing weaker (8.6)', () => {
    assertFapiAlgList('id_token_signing_alg_values_supported');
    assertFapiAlgList('request_object_signing_alg_values_supported');
    assertFapiAlgList('token_endpoint_auth_signing_alg_values_supported');
    // Optional lists: when advertised, they obey the same rule.
    for (const name of ['userinfo_signing_alg_values_supported', 'authorization_signing_alg_values_supported', 'introspection_signing_alg_values_supported']) {
      if (metadata[name] !== undefined) assertFapiAlgList(name);
    }
    // No `none`, RS256 or HS* anywhere in the document's *_alg_values_supported lists.
    for (const [name, value] of Object.entries(metadata)) {
      if (!name.endsWith('_alg_values_supported') || !Array.isArray(value)) continue;
      for (const alg of value) assert.ok(!/^(none|RS\d+|HS\d+)$/.test(alg), `${name} must not offer ${alg}`);
    }
  });

  test('client authentication: private_key_jwt, tls_client_auth, self_signed_tls_client_auth and nothing else', () => {
    assert.deepEqual([...metadata.token_endpoint_auth_methods_supported].sort(), [...CLIENT_AUTH_METHODS].sort());
    for (const name of ['introspection_endpoint_auth_methods_supported', 'revocation_endpoint_auth_methods_supported']) {
      if (metadata[name] !== undefined) assert.deepEqual([...metadata[name]].sort(), [...CLIENT_AUTH_METHODS].sort(), name);
    }
  });

  test('the token, authorization, JWKS and PAR endpoints are present', () => {
    for (const name of ['token_endpoint', 'authorization_endpoint', 'jwks_uri', 'pushed_authorization_request_endpoint']) {
      assert.equal(typeof metadata[name], 'string', name);
      assert.equal(new URL(metadata[name]).protocol, 'https:', name);
    }
    // The browser reaches the authorization endpoint and the JWKS on the issuer's listener.
    assert.ok(metadata.authorization_endpoint.startsWith(`${bank.config.browser.publicUrl}/`));
    assert.ok(metadata.jwks_uri.startsWith(`${bank.config.browser.publicUrl}/`));
  });

  test('mtls_endpoint_aliases name the mTLS listener for PAR, token, userinfo, introspection and revocation', () => {
    const aliases = metadata.mtls_endpoint_aliases;
    assert.equal(typeof aliases, 'object');
    const mtlsOrigin = new URL(bank.config.mtls.publicUrl).origin;
    for (const name of MTLS_ENDPOINT_NAMES) {
      assert.equal(typeof aliases[name], 'string', `mtls_endpoint_aliases.${name}`);
      assert.equal(new URL(aliases[name]).origin, mtlsOrigin, `mtls_endpoint_aliases.${name} is on the mTLS listener`);
      // These endpoints are served only on the mTLS listener, so the plain name points there too.
      assert.equal(metadata[name], aliases[name], `${name} equals its mTLS alias`);
    }
    assert.notEqual(mtlsOrigin, new URL(metadata.issuer).origin);
  });

  test('response types and modes: `code id_token` and `code` with JARM', () => {
    assert.ok(metadata.response_types_supported.includes('code id_token'));
    assert.ok(metadata.response_types_supported.includes('code'));
    assert.ok(metadata.response_modes_supported.includes('jwt'));
    for (const name of ['authorization_signing_alg_values_supported', 'authorization_encryption_alg_values_supported', 'authorization_encryption_enc_values_supported']) {
      if (metadata[name] !== undefined) assert.ok(Array.isArray(metadata[name]), `${name} is an array`);
    }
  });

  test('request objects by value and pushed; PKCE S256', () => {
    assert.equal(metadata.request_parameter_supported, true);
    // by_value: require_pushed_authorization_requests must not be set (or, if present, be a boolean false).
    const requirePar: unknown = metadata.require_pushed_authorization_requests;
    assert.ok(requirePar === undefined || requirePar === false, 'PAR is not required, so by-value requests work');
    assert.ok(metadata.code_challenge_methods_supported.includes('S256'));
    assert.ok(!metadata.code_challenge_methods_supported.includes('plain'));
  });

  test('scopes, grant types and subject types', () => {
    for (const scope of metadata.scopes_supported) assert.match(scope, /^[\x21\x23-\x5B\x5D-\x7E]+$/, 'RFC 6749 §3.3 scope-token syntax');
    for (const scope of ['openid', 'accounts', 'offline_access']) assert.ok(metadata.scopes_supported.includes(scope), scope);
    for (const grant of ['authorization_code', 'refresh_token']) assert.ok(metadata.grant_types_supported.includes(grant), grant);
    assert.ok(Array.isArray(metadata.subject_types_supported) && metadata.subject_types_supported.length > 0);
  });

  test('locale fields are BCP 47 language tags', () => {
    for (const name of ['ui_locales_supported', 'claims_locales_supported']) {
      if (metadata[name] === undefined) continue;
      for (const tag of metadata[name]) assert.match(tag, /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, `${name}: ${tag}`);
    }
  });
});

describe('JWKS', () => {
  let jwks: { status: number; contentType: string | null; body: { keys: Record<string, any>[] } };
  before(async () => {
    jwks = await getJson(metadata.jwks_uri);
  });

  test('is served on the jwks_uri with HTTP 200 and holds keys', () => {
    assert.equal(jwks.status, 200);
    assert.match(jwks.contentType ?? '', /^application\/(jwk-set\+)?json(;|$)/);
    assert.ok(Array.isArray(jwks.body.keys) && jwks.body.keys.length > 0);
  });

  test('every key has a distinct kid', () => {
    const kids = jwks.body.keys.map((key) => key.kid);
    for (const kid of kids) assert.ok(typeof kid === 'string' && kid.length > 0, 'kid present');
    assert.equal(new Set(kids).size, kids.length, 'kids are distinct');
  });

  test('no key has private parts', () => {
    for (const key of jwks.body.keys) {
      for (const member of PRIVATE_JWK_MEMBERS) assert.ok(!(member in key), `key ${key.kid} must not carry "${member}"`);
      assert.notEqual(key.kty, 'oct', 'no symmetric keys');
      // Node agrees that it is a public key.
      assert.equal(createPublicKey({ key: key as never, format: 'jwk' }).type, 'public');
    }
  });

  test('RSA keys are at least 2048 bits, EC keys at least 160, and algorithms are FAPI ones', () => {
    for (const key of jwks.body.keys) {
      const details = createPublicKey({ key: key as never, format: 'jwk' }).asymmetricKeyDetails;
      if (key.kty === 'RSA') assert.ok((details?.modulusLength ?? 0) >= 2048, `RSA key ${key.kid} is ${details?.modulusLength} bits`);
      else if (key.kty === 'EC') assert.ok(['P-256', 'P-384', 'P-521'].includes(key.crv), `EC key ${key.kid} on ${key.crv}`);
      else assert.fail(`unexpected key type ${key.kty}`);
      if (key.alg !== undefined) assert.ok(FAPI_ALGS.includes(key.alg), `key ${key.kid} alg ${key.alg}`);
      if (key.use !== undefined) assert.equal(key.use, 'sig');
    }
  });

  test('both FAPI signing algorithms have a key', () => {
    assert.ok(jwks.body.keys.some((key) => key.kty === 'RSA'), 'an RSA key for PS256');
    assert.ok(jwks.body.keys.some((key) => key.kty === 'EC' && key.crv === 'P-256'), 'a P-256 key for ES256');
  });
});

describe('RFC 9728 protected resource metadata on the mTLS listener', () => {
  const resource = () => `${bank.config.mtls.publicUrl}/api/v1`;

  for (const path of ['/.well-known/oauth-protected-resource/api/v1', '/.well-known/oauth-protected-resource']) {
    test(`${path} describes the bank APIs`, async () => {
      const response = await getJson(`${bank.config.mtls.publicUrl}${path}`);
      assert.equal(response.status, 200);
      assert.match(response.contentType ?? '', /^application\/json(;|$)/);
      const body = response.body;
      // RFC 9728 §3.3: the resource must equal the identifier the metadata URL was formed from.
      assert.equal(body.resource, resource());
      assert.deepEqual(body.authorization_servers, [metadata.issuer]);
      assert.deepEqual(body.bearer_methods_supported, ['header'], 'tokens only in the Authorization header (FAPI1-BASE-6.2.1-4)');
      assert.equal(body.tls_client_certificate_bound_access_tokens, true);
      assert.ok(body.scopes_supported.includes('accounts'));
      for (const scope of body.scopes_supported) assert.ok(metadata.scopes_supported.includes(scope), `${scope} is a scope the authorization server knows`);
    });
  }

  test('the authorization server it names serves discovery', async () => {
    const body = (await getJson(`${bank.config.mtls.publicUrl}/.well-known/oauth-protected-resource/api/v1`)).body;
    const issuerMetadata = await getJson(`${body.authorization_servers[0]}/.well-known/openid-configuration`);
    assert.equal(issuerMetadata.status, 200);
    assert.equal(issuerMetadata.body.issuer, body.authorization_servers[0]);
  });
});
