// Fuzzing the authorization server from a registered TPP's own mTLS connection: request objects
// (claims, headers, algorithms, signatures, sizes) pushed to PAR; PAR and token parameters; client
// assertions; DPoP proofs at the token endpoint and the bank API. Every case gets an answer in time,
// never a 5xx, and a refused one writes nothing (test/fuzz/http.ts).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { CompactSign, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { authorizationRequest, Client, clientAuthParams, endpoints, now } from '../support/conformance.ts';
import { postForm, refusedWritesNothing, send } from './http.ts';
import { announceSeed, fuzzRuns } from './seed.ts';

let bank: TestBank;
let tpp: Client;
/** A key of no one's, for DPoP proofs (which carry their own public key). */
let dpopKey: { privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']; publicJwk: JWK };

announceSeed('test/fuzz/oauth.test.ts');

before(async () => {
  bank = await startTestBank();
  tpp = await Client.register(bank, 'private_key_jwt');
  const pair = await generateKeyPair('ES256');
  dpopKey = { privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
});

after(async () => {
  await tpp?.close();
  await bank?.stop();
});

// ---------------------------------------------------------------------------------------------------
// Arbitrary JWTs: a valid claims set with some claims changed, removed or added; any header; signed by
// the TPP's key, by the DPoP key, not at all, or with random bytes; sometimes very large.

const text = fc.string({ unit: 'binary', maxLength: 80 });
const anyJson = fc.jsonValue({ maxDepth: 2 });
const REQUEST_CLAIMS = ['iss', 'aud', 'client_id', 'iat', 'nbf', 'exp', 'jti', 'response_type', 'response_mode', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'request', 'request_uri', 'claims', 'authorization_details', 'max_age', 'prompt', 'acr_values', 'sub', 'htm', 'htu', 'ath'];

const claimChanges = fc.dictionary(fc.oneof(fc.constantFrom(...REQUEST_CLAIMS), text), fc.option(anyJson, { nil: undefined }), { maxKeys: 4 });
const jwsHeader = fc.record(
  {
    alg: fc.oneof(fc.constantFrom('PS256', 'ES256', 'RS256', 'none', 'HS256', 'PS512', 'EdDSA'), text),
    kid: fc.oneof(fc.constant('the signing key'), text, fc.integer()),
    typ: fc.oneof(fc.constantFrom('oauth-authz-req+jwt', 'JWT', 'dpop+jwt'), text),
    jwk: fc.oneof(fc.constant('the DPoP key'), anyJson),
    crit: fc.array(text, { maxLength: 2 }),
  },
  { requiredKeys: ['alg'] },
);
const signing = fc.constantFrom('tpp', 'dpop', 'random', 'unsigned');
const padding = fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 70_000 }) });
const jwtShape = fc.record({ changes: claimChanges, header: jwsHeader, signing, padding });
type JwtShape = typeof jwtShape extends fc.Arbitrary<infer T> ? T : never;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function jwtOf(base: Record<string, unknown>, shape: JwtShape): Promise<string> {
  const claims: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(shape.changes)) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  if (shape.padding) claims.padding = 'x'.repeat(shape.padding);
  const header: Record<string, unknown> = { ...shape.header };
  if (header.kid === 'the signing key') header.kid = tpp.registered.signingKey.kid;
  if (header.jwk === 'the DPoP key') header.jwk = dpopKey.publicJwk;
  const payload = new TextEncoder().encode(JSON.stringify(claims));
  // jose will not sign a header whose crit names parameters it does not know; the unsigned shapes carry it.
  const { crit: _crit, ...signable } = header;
  switch (shape.signing) {
    case 'tpp':
      return new CompactSign(payload).setProtectedHeader({ ...signable, alg: 'PS256', kid: tpp.registered.signingKey.kid } as never).sign(await importJWK(tpp.registered.signingKey, 'PS256'));
    case 'dpop':
      return new CompactSign(payload).setProtectedHeader({ ...signable, alg: 'ES256', jwk: dpopKey.publicJwk } as never).sign(dpopKey.privateKey);
    case 'random':
      return `${b64(header)}.${Buffer.from(payload).toString('base64url')}.${randomBytes(64).toString('base64url')}`;
    default:
      return `${b64(header)}.${Buffer.from(payload).toString('base64url')}.`;
  }
}

/** A JWT from `shape`, or something that only looks like one, or not at all. */
function jwtLike(base: () => Record<string, unknown>) {
  return fc.oneof(
    { weight: 6, arbitrary: jwtShape.map((shape) => () => jwtOf(base(), shape)) },
    { weight: 1, arbitrary: fc.oneof(text, fc.base64String({ maxLength: 200 }), fc.array(fc.base64String({ maxLength: 60 }), { minLength: 2, maxLength: 6 }).map((parts) => parts.join('.'))).map((value) => async () => value) },
  );
}

const db = () => bank.store.db;

// ---------------------------------------------------------------------------------------------------

test('request objects pushed to PAR: any claims, header, algorithm, signature or size', async () => {
  const url = endpoints(bank).par;
  await fc.assert(
    fc.asyncProperty(jwtLike(() => authorizationRequest(tpp, { request: 'par', response: 'jarm' }).claims), async (requestObject) => {
      const form = { request: await requestObject(), ...(await clientAuthParams(tpp, url, {})) };
      const answer = await refusedWritesNothing(db(), () => postForm(url, form, tpp.agent));
      if (answer.status !== 201) assert.equal(typeof answer.json?.error, 'string', answer.text.slice(0, 200));
    }),
    fuzzRuns(100),
  );
});

const PARAMETERS = ['client_id', 'response_type', 'response_mode', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'request', 'request_uri', 'grant_type', 'code', 'code_verifier', 'refresh_token', 'client_assertion_type', 'client_assertion', 'resource', 'authorization_details', 'prompt', 'token', 'token_type_hint'];
const parameterValue = fc.oneof(text, fc.constantFrom('authorization_code', 'refresh_token', 'client_credentials', 'code', 'code id_token', 'jwt', 'S256', 'plain', 'openid accounts', ''), fc.array(text, { minLength: 2, maxLength: 3 }));
const parameters = fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PARAMETERS) }, { weight: 1, arbitrary: text }), parameterValue, { maxKeys: 8 });

test('PAR and token parameters: any names, values and repetitions, with and without client authentication', async () => {
  const { par, token } = endpoints(bank);
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(par, token), parameters, fc.boolean(), async (url, form, authenticated) => {
      const auth = authenticated ? await clientAuthParams(tpp, url, {}) : {};
      const answer = await refusedWritesNothing(db(), () => postForm(url, { ...form, ...auth }, tpp.agent));
      if (answer.status >= 400) assert.equal(typeof answer.json?.error, 'string', answer.text.slice(0, 200));
    }),
    fuzzRuns(150),
  );
});

test('client assertions at the token endpoint: any claims, header, algorithm, signature or size', async () => {
  const url = endpoints(bank).token;
  const clientId = tpp.clientId;
  const assertionClaims = () => ({ iss: clientId, sub: clientId, aud: url, jti: randomUUID(), iat: now(), exp: now() + 60 });
  await fc.assert(
    fc.asyncProperty(jwtLike(assertionClaims), async (assertion) => {
      const form = {
        grant_type: 'refresh_token',
        refresh_token: randomUUID(),
        client_id: clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion(),
      };
      const answer = await refusedWritesNothing(db(), () => postForm(url, form, tpp.agent));
      assert.ok([400, 401, 413].includes(answer.status), `refused: ${answer.status} ${answer.text.slice(0, 200)}`);
      assert.ok(['invalid_client', 'invalid_grant', 'invalid_request'].includes(answer.json?.error), answer.text.slice(0, 200));
    }),
    fuzzRuns(120),
  );
});

test('DPoP proofs at the token endpoint and at the bank API', async () => {
  const { token } = endpoints(bank);
  const api = `${bank.config.mtls.publicUrl}/api/v1/accounts`;
  const proofClaims = (htm: string, htu: string) => () => ({ htm, htu, iat: now(), jti: randomUUID(), nonce: randomUUID() });
  await fc.assert(
    fc.asyncProperty(fc.boolean(), jwtLike(proofClaims('POST', token)), jwtLike(proofClaims('GET', api)), text, async (atTokenEndpoint, tokenProof, apiProof, accessToken) => {
      if (atTokenEndpoint) {
        const form = { grant_type: 'refresh_token', refresh_token: randomUUID(), ...(await clientAuthParams(tpp, token, {})) };
        const dpop = headerSafe(await tokenProof());
        await refusedWritesNothing(db(), () => postForm(token, form, tpp.agent, { dpop }));
      } else {
        const headers = { authorization: `DPoP ${headerSafe(accessToken) || 'x'}`, dpop: headerSafe(await apiProof()), accept: 'application/json' };
        const answer = await refusedWritesNothing(db(), () => send(api, { headers }, tpp.agent));
        // 431: a proof too large for the header limit never reaches the API.
        assert.ok(answer.status === 401 || answer.status === 431, `${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }),
    fuzzRuns(100),
  );
});

/** HTTP header values cannot hold control characters or non-Latin-1 text; a client library would refuse to send them. */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '');
}
