// End to end: bad input everywhere. Whatever a client sends — malformed JWTs, huge or repeated
// parameters, oversize bodies and headers, wrong content types and methods, impossible dates, unknown
// accounts, paths and interactions — it gets a clear refusal in the format of the endpoint it reached:
// an RFC 6749 error at the OAuth endpoints, `{errorCode, errorMessage}` at the bank APIs, an HTML error
// page in the customer's browser. Never a 5xx, never a crash, and the bank keeps serving.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { CompactSign, importJWK, SignJWT } from 'jose';
import { Agent, fetch, FormData } from 'undici';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import type { RegisteredTpp } from '../../src/tpp/registry.ts';
import { startTestBank, TPP_REDIRECT_URI, type TestBank } from '../support/bank.ts';
import type { CustomerBrowser, Page } from '../support/browser.ts';
import { newBrowser, readAnswer, type RawAnswer } from '../support/conformance.ts';
import { expectPage, TestTpp, type Tokens } from '../support/tpp.ts';
import { logIn } from '../support/passkeys.ts';

const tanaka = DEMO_CUSTOMERS[0]!;
const suzuki = DEMO_CUSTOMERS[1]!;
const accountIdOf = (account: { branchCode: string; accountTypeCode: string; accountNumber: string }) =>
  `${account.branchCode}${account.accountTypeCode}${account.accountNumber}`;
const SHARED_ACCOUNT = accountIdOf(tanaka.accounts[0]!);

/** Error codes of RFC 6749 §5.2/§4.1.2.1, RFC 6750 §3.1, RFC 9101 §6 and RFC 9126 §2.3. */
const OAUTH_ERROR_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
  'unsupported_response_type',
  'invalid_token',
  'insufficient_scope',
  'invalid_request_object',
  'invalid_request_uri',
  'request_uri_not_supported',
  'request_not_supported',
]);

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let bank: TestBank;
/** Client 1 authenticates with private_key_jwt, client 2 with tls_client_auth. */
let pkjwt: { registered: RegisteredTpp; tpp: TestTpp };
let mtls: { registered: RegisteredTpp; tpp: TestTpp };
let tokens: Tokens;
let noCertificate: Agent;

async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer | FormData | Readable; dispatcher: Agent }): Promise<RawAnswer> {
  const answer = await readAnswer(await fetch(url, { redirect: 'manual', ...(init.body instanceof Readable ? { duplex: 'half' } : {}), ...init } as never));
  assert.ok(answer.status < 500, `${init.method ?? 'GET'} ${url.slice(0, 120)} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return answer;
}

const mtlsUrl = (path: string) => `${bank.config.mtls.publicUrl}${path}`;
const browserUrl = (path: string) => `${bank.config.browser.publicUrl}${path}`;

/** A form POST to an OAuth endpoint on the mTLS listener, over the tls_client_auth client's connection unless told otherwise. */
function post(path: string, body: string | Readable, dispatcher: Agent = mtls.tpp.agent): Promise<RawAnswer> {
  return send(mtlsUrl(path), { method: 'POST', headers: FORM, body, dispatcher });
}

function assertOAuthError(answer: RawAnswer, codes: readonly string[] = [...OAUTH_ERROR_CODES]): void {
  assert.ok(answer.status >= 400 && answer.status < 500, `a 4xx, got ${answer.status}: ${answer.text.slice(0, 300)}`);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/, answer.text.slice(0, 300));
  assert.ok(OAUTH_ERROR_CODES.has(answer.json?.error), `an RFC 6749 error code, got ${answer.text.slice(0, 300)}`);
  assert.ok(codes.includes(answer.json.error), `one of ${codes.join(', ')}, got ${answer.json.error} (${answer.json.error_description})`);
  if (answer.json.error_description !== undefined) assert.equal(typeof answer.json.error_description, 'string');
}

/** A body above the 64 KiB limit: an honest 413, or an OAuth error. */
function assertTooLarge(answer: RawAnswer): void {
  if (answer.status === 413) return;
  assertOAuthError(answer, ['invalid_request']);
}

/** 405 with the endpoint's Allow header and an RFC 6749 invalid_request. */
function assertMethodNotAllowed(answer: RawAnswer, allow: string, message?: string): void {
  assert.equal(answer.status, 405, message);
  assert.equal(answer.headers.get('allow'), allow);
  assertOAuthError(answer, ['invalid_request']);
}

function assertApiError(answer: RawAnswer, status: number, errorCode: string): void {
  assert.equal(answer.status, status, answer.text.slice(0, 300));
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json; *charset=utf-8$/i);
  assert.equal(answer.json?.errorCode, errorCode, answer.text.slice(0, 300));
  assert.equal(typeof answer.json.errorMessage, 'string');
  assert.ok(answer.json.errorMessage.length > 0);
}

/** What a customer sees: an HTML page with a 4xx status. */
function assertHtmlRefusal(result: Page | { tppUrl: string }, statuses: number[] = [400, 401, 403, 404, 405, 413, 415]): Page {
  const page = expectPage(result, 'error');
  assert.ok(statuses.includes(page.status), `status ${page.status} (expected one of ${statuses.join(', ')}): ${page.html.slice(0, 300)}`);
  assert.match(page.html, /^<!DOCTYPE html>/i);
  return page;
}

async function htmlAnswer(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }, dispatcher: Agent): Promise<RawAnswer> {
  const answer = await send(url, { ...init, headers: { accept: 'text/html', ...init.headers }, dispatcher });
  assert.ok(answer.status >= 400 && answer.status < 500, `a 4xx, got ${answer.status}`);
  assert.match(answer.headers.get('content-type') ?? '', /^text\/html/, answer.text.slice(0, 300));
  assert.match(answer.text, /^<!DOCTYPE html>/i);
  return answer;
}

// ---------------------------------------------------------------------------------------------
// Malformed JWTs

const b64url = (text: string) => Buffer.from(text).toString('base64url');

/** Signs any bytes as a JWS with the TPP's own key: a valid signature over a payload that is not a claims object. */
async function signBytes(registered: RegisteredTpp, payload: string): Promise<string> {
  const key = await importJWK(registered.signingKey, 'PS256');
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'PS256', kid: registered.signingKey.kid! }).sign(key);
}

async function signClaims(registered: RegisteredTpp, claims: Record<string, unknown>, typ?: string): Promise<string> {
  const key = await importJWK(registered.signingKey, 'PS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'PS256', kid: registered.signingKey.kid!, ...(typ ? { typ } : {}) }).sign(key);
}

/** The malformed JWTs every JWT-taking parameter is tried with. */
async function malformedJwts(registered: RegisteredTpp): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  return {
    'not base64': '!!! not base64 at all ***',
    'three parts of garbage': 'abc.def.ghi',
    'five parts of garbage': 'a.b.c.d.e',
    'empty parts': '..',
    '10 000 characters': 'a'.repeat(10_000),
    '10 000 characters in three parts': `${'a'.repeat(5_000)}.${'b'.repeat(4_998)}.c`,
    'header JSON that is not an object': `${b64url('[1,2,3]')}.${b64url('{}')}.${b64url('sig')}`,
    'header that is not JSON': `${b64url('{"alg":')}.${b64url('{}')}.${b64url('sig')}`,
    'alg none': `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify({ iss: registered.clientId, aud: bank.config.browser.publicUrl, exp: now + 60 }))}.`,
    'payload a JSON array': await signBytes(registered, '[1,2,3]'),
    'payload a JSON number': await signBytes(registered, '42'),
    'payload a JSON string': await signBytes(registered, '"hello"'),
    'payload JSON null': await signBytes(registered, 'null'),
    'payload not JSON': await signBytes(registered, '{"iss": '),
    'payload empty': await signBytes(registered, ''),
    'numbers where strings go': await signClaims(registered, {
      iss: 123,
      sub: 456,
      aud: 789,
      client_id: 1,
      scope: 2,
      redirect_uri: 3,
      response_type: 4,
      nonce: 5,
      state: 6,
      code_challenge: 7,
      jti: 8,
      exp: 'tomorrow',
      nbf: 'yesterday',
      iat: { not: 'a number' },
    }),
    'strings where numbers go': await signClaims(registered, {
      iss: registered.clientId,
      sub: registered.clientId,
      aud: bank.config.browser.publicUrl,
      jti: 'x',
      exp: String(now + 60),
      nbf: String(now),
      iat: String(now),
    }),
  };
}

before(async () => {
  bank = await startTestBank();
  const pkRegistered = await bank.registerTpp('private_key_jwt');
  const mtlsRegistered = await bank.registerTpp('tls_client_auth');
  pkjwt = { registered: pkRegistered, tpp: await TestTpp.create(bank, pkRegistered) };
  mtls = { registered: mtlsRegistered, tpp: await TestTpp.create(bank, mtlsRegistered) };
  noCertificate = new Agent({ connect: { ca: bank.pki.caCertificatePem } });
  tokens = await mtls.tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: tanaka.loginId, password: tanaka.password, accountIndexes: [0] });
});

after(async () => {
  await pkjwt?.tpp.close();
  await mtls?.tpp.close();
  await noCertificate?.close();
  await bank?.stop();
});

/** A form body for the tls_client_auth client, which authenticates by its certificate and client_id. */
const mtlsForm = (params: Record<string, string>) => new URLSearchParams({ client_id: mtls.registered.clientId, ...params }).toString();

describe('malformed JWTs', () => {
  test('as the request object at the PAR endpoint: invalid_request_object', async () => {
    for (const [name, jwt] of Object.entries(await malformedJwts(mtls.registered))) {
      const answer = await post('/oauth/par', mtlsForm({ request: jwt }));
      assert.doesNotThrow(() => assertOAuthError(answer, ['invalid_request_object', 'invalid_request']), name);
    }
  });

  test('as the request object at the authorization endpoint: an error back to the TPP or an error page', async () => {
    const customer = new Agent({ connect: { ca: bank.pki.caCertificatePem } });
    try {
      for (const [name, jwt] of Object.entries(await malformedJwts(mtls.registered))) {
        const query = new URLSearchParams({ client_id: mtls.registered.clientId, response_type: 'code id_token', scope: 'openid', redirect_uri: TPP_REDIRECT_URI, request: jwt });
        const answer = await send(browserUrl(`/oauth/authorize?${query}`), { headers: { accept: 'text/html' }, dispatcher: customer });
        if (answer.status === 302 || answer.status === 303) {
          const location = new URL(answer.headers.get('location')!);
          assert.ok(location.href.startsWith(TPP_REDIRECT_URI), `${name}: redirected only to the registered redirect URI`);
          const params = new URLSearchParams(location.hash.slice(1) || location.search.slice(1));
          assert.ok(['invalid_request_object', 'invalid_request'].includes(params.get('error') ?? ''), `${name}: ${location.href}`);
          assert.equal(params.get('code'), null, `${name}: no code`);
        } else {
          assert.ok(answer.status >= 400 && answer.status < 500, `${name}: ${answer.status}`);
          assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
        }
      }
    } finally {
      await customer.close();
    }
  });

  test('as the client assertion at the token endpoint: invalid_client or invalid_request', async () => {
    for (const [name, jwt] of Object.entries(await malformedJwts(pkjwt.registered))) {
      const body = new URLSearchParams({ grant_type: 'authorization_code', code: 'x', redirect_uri: TPP_REDIRECT_URI, client_id: pkjwt.registered.clientId, client_assertion_type: JWT_BEARER, client_assertion: jwt });
      const answer = await post('/oauth/token', body.toString(), pkjwt.tpp.agent);
      assert.doesNotThrow(() => assertOAuthError(answer, ['invalid_client', 'invalid_request']), name);
    }
  });

  test('as the client assertion at the PAR endpoint: invalid_client or invalid_request', async () => {
    for (const [name, jwt] of Object.entries(await malformedJwts(pkjwt.registered))) {
      const body = new URLSearchParams({ client_id: pkjwt.registered.clientId, client_assertion_type: JWT_BEARER, client_assertion: jwt, request: 'a.b.c' });
      const answer = await post('/oauth/par', body.toString(), pkjwt.tpp.agent);
      assert.doesNotThrow(() => assertOAuthError(answer, ['invalid_client', 'invalid_request']), name);
    }
  });

  test('as the client assertion at introspection and revocation: invalid_client or invalid_request', async () => {
    for (const path of ['/oauth/introspect', '/oauth/revoke']) {
      for (const [name, jwt] of Object.entries(await malformedJwts(pkjwt.registered))) {
        const body = new URLSearchParams({ token: tokens.accessToken, client_id: pkjwt.registered.clientId, client_assertion_type: JWT_BEARER, client_assertion: jwt });
        const answer = await post(path, body.toString(), pkjwt.tpp.agent);
        assert.doesNotThrow(() => assertOAuthError(answer, ['invalid_client', 'invalid_request']), `${path} ${name}`);
      }
    }
  });

  test('an unknown client_assertion_type: invalid_client or invalid_request', async () => {
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: 'x', client_id: pkjwt.registered.clientId, client_assertion_type: 'urn:nonsense', client_assertion: 'a.b.c' });
    assertOAuthError(await post('/oauth/token', body.toString(), pkjwt.tpp.agent), ['invalid_client', 'invalid_request']);
  });
});

describe('huge parameters, bodies and headers', () => {
  test('10 000-character parameters at PAR and token: an OAuth error', async () => {
    for (const name of ['scope', 'state', 'nonce', 'redirect_uri', 'response_type', 'client_id', 'request_uri', 'code_challenge']) {
      const answer = await post('/oauth/par', mtlsForm({ [name]: 'x'.repeat(10_000), request: 'a.b.c' }));
      assertOAuthError(answer);
    }
    for (const name of ['code', 'redirect_uri', 'code_verifier', 'refresh_token', 'grant_type', 'scope']) {
      const answer = await post('/oauth/token', mtlsForm({ grant_type: 'authorization_code', code: 'c', redirect_uri: TPP_REDIRECT_URI, [name]: 'x'.repeat(10_000) }));
      assertOAuthError(answer);
    }
  });

  test('a 10 000-character token at introspection and revocation is simply not active', async () => {
    const introspected = await post('/oauth/introspect', mtlsForm({ token: 'x'.repeat(10_000) }));
    assert.equal(introspected.status, 200);
    assert.deepEqual(introspected.json, { active: false });
    const revoked = await post('/oauth/revoke', mtlsForm({ token: 'x'.repeat(10_000) }));
    assert.equal(revoked.status, 200, 'RFC 7009 §2.2: an unknown token is not an error');
  });

  for (const path of ['/oauth/par', '/oauth/token', '/oauth/introspect', '/oauth/revoke', '/oauth/userinfo']) {
    test(`${path}: bodies over 64 KiB get 413 or an OAuth error, declared or chunked`, async () => {
      const padding = (bytes: number) => mtlsForm({ grant_type: 'authorization_code', token: 'x', scope: 'a'.repeat(bytes) });
      for (const bytes of [70 * 1024, 1024 * 1024]) {
        assertTooLarge(await post(path, padding(bytes)));
      }
      // No Content-Length: the limit must hold while reading, too.
      const chunked = Readable.from((function* () {
        yield mtlsForm({ grant_type: 'authorization_code', token: 'x' });
        for (let i = 0; i < 64; i++) yield `&pad${i}=${'b'.repeat(4096)}`;
      })());
      assertTooLarge(await post(path, chunked));
    });
  }

  test('headers over 16 KiB get 431 on both listeners', async () => {
    const big = { 'x-padding': 'p'.repeat(20 * 1024) };
    for (const [url, dispatcher] of [
      [mtlsUrl('/oauth/token'), mtls.tpp.agent],
      [mtlsUrl('/api/v1/accounts'), mtls.tpp.agent],
      [browserUrl('/.well-known/openid-configuration'), noCertificate],
      [browserUrl('/interaction/whatever'), noCertificate],
    ] as const) {
      const answer = await send(url, { method: url.endsWith('/token') ? 'POST' : 'GET', headers: { ...big, ...FORM }, body: url.endsWith('/token') ? mtlsForm({ grant_type: 'authorization_code' }) : undefined, dispatcher });
      assert.equal(answer.status, 431, url);
    }
  });

  test('a 70 000-character authorization URL gets a 4xx', async () => {
    const answer = await send(browserUrl(`/oauth/authorize?client_id=${mtls.registered.clientId}&request=${'a'.repeat(70_000)}`), { dispatcher: noCertificate });
    assert.ok(answer.status === 414 || answer.status === 431 || answer.status === 400, `status ${answer.status}`);
  });
});

describe('wrong content types, repeated parameters, unknown grant types and methods', () => {
  const ENDPOINTS = ['/oauth/par', '/oauth/token', '/oauth/introspect', '/oauth/revoke'];
  const params = { grant_type: 'authorization_code', code: 'x', redirect_uri: TPP_REDIRECT_URI, token: 'x', request: 'a.b.c' };
  /** The parameters each endpoint reads (others are ignored, RFC 6749 §3.1), each of which must come once. */
  const PARAMETERS_USED: Record<string, string[]> = {
    '/oauth/par': ['client_id', 'request'],
    '/oauth/token': ['client_id', 'grant_type', 'code', 'redirect_uri'],
    '/oauth/introspect': ['client_id', 'token'],
    '/oauth/revoke': ['client_id', 'token'],
  };

  for (const path of ENDPOINTS) {
    test(`${path}: a JSON, text/plain, multipart or untyped body is invalid_request`, async () => {
      const json = await send(mtlsUrl(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: mtls.registered.clientId, ...params }), dispatcher: mtls.tpp.agent });
      assertOAuthError(json, ['invalid_request']);
      const text = await send(mtlsUrl(path), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: mtlsForm(params), dispatcher: mtls.tpp.agent });
      assertOAuthError(text, ['invalid_request']);
      const multipart = new FormData();
      multipart.append('client_id', mtls.registered.clientId);
      for (const [name, value] of Object.entries(params)) multipart.append(name, value);
      assertOAuthError(await send(mtlsUrl(path), { method: 'POST', body: multipart, dispatcher: mtls.tpp.agent }), ['invalid_request']);
      const untyped = await send(mtlsUrl(path), { method: 'POST', body: Buffer.from(mtlsForm(params)), dispatcher: mtls.tpp.agent });
      assertOAuthError(untyped, ['invalid_request', 'invalid_client']);
      const broken = await send(mtlsUrl(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"client_id": ', dispatcher: mtls.tpp.agent });
      assertOAuthError(broken, ['invalid_request']);
    });

    test(`${path}: a repeated parameter is invalid_request (RFC 6749 §3.1)`, async () => {
      for (const repeated of PARAMETERS_USED[path]!) {
        const body = `${mtlsForm(params)}&${repeated}=${encodeURIComponent(repeated === 'client_id' ? mtls.registered.clientId : 'other')}`;
        const answer = await post(path, body);
        assert.doesNotThrow(() => assertOAuthError(answer, ['invalid_request']), `${path}: ${repeated} twice`);
      }
    });

    test(`${path}: GET, PUT, DELETE and PATCH get 405 with Allow: POST and an OAuth error`, async () => {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        const answer = await send(mtlsUrl(path), { method, dispatcher: mtls.tpp.agent });
        assertMethodNotAllowed(answer, 'POST', `${method} ${path}`);
      }
    });

    test(`${path}: malformed percent-encoding in the body is an OAuth error, not a crash`, async () => {
      const answer = await post(path, `${mtlsForm({})}&token=%zz%&grant_type=%E0%A4%A&request=%`);
      if (path === '/oauth/introspect') assert.deepEqual(answer.json, { active: false });
      else if (path === '/oauth/revoke') assert.equal(answer.status, 200);
      else assertOAuthError(answer);
    });
  }

  test('unknown or unsupported grant types: unsupported_grant_type; none at all: invalid_request', async () => {
    for (const grantType of ['password', 'client_credentials', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:device_code', 'nonsense', 'x'.repeat(1000)]) {
      const answer = await post('/oauth/token', mtlsForm({ grant_type: grantType }));
      assertOAuthError(answer, ['unsupported_grant_type', 'unauthorized_client']);
    }
    for (const body of [mtlsForm({}), mtlsForm({ grant_type: '' })]) {
      assertOAuthError(await post('/oauth/token', body), ['invalid_request']);
    }
  });

  test('userinfo takes GET and POST only', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const answer = await send(mtlsUrl('/oauth/userinfo'), { method, headers: { authorization: `Bearer ${tokens.accessToken}` }, dispatcher: mtls.tpp.agent });
      assertMethodNotAllowed(answer, 'GET, HEAD, POST');
    }
  });

  test('discovery, the JWKS and the authorization endpoint take GET only', async () => {
    for (const path of ['/.well-known/openid-configuration', '/oauth/jwks', '/oauth/authorize']) {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const answer = await send(browserUrl(path), { method, headers: FORM, body: 'a=1', dispatcher: noCertificate });
        assertMethodNotAllowed(answer, 'GET, HEAD', `${method} ${path}`);
      }
    }
  });

  test('the authorization endpoint: no parameters, an unknown client, repeated parameters → an error page', async () => {
    for (const query of ['', '?client_id=nobody&request=a.b.c', `?client_id=${mtls.registered.clientId}&client_id=other&request=a.b.c`, '?client_id=%E0%A4%A&request=%zz', `?client_id=${'c'.repeat(5000)}`]) {
      await htmlAnswer(browserUrl(`/oauth/authorize${query}`), {}, noCertificate);
    }
  });

  test('malformed percent-encoding in a path gets a 4xx in the format of the area it aimed at', async () => {
    const token = await post('/oauth/token%E0%A4%A', mtlsForm({}));
    assert.equal(token.status, 404);
    const api = await send(mtlsUrl('/api/v1/accounts%E0%A4%A'), { headers: { authorization: `Bearer ${tokens.accessToken}` }, dispatcher: mtls.tpp.agent });
    assertApiError(api, 404, 'E40401');
    const resume = await htmlAnswer(browserUrl('/oauth/authorize/%E0%A4%A'), {}, noCertificate);
    assert.equal(resume.status, 400);
  });
});

describe('bank APIs', () => {
  const api = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    send(mtlsUrl(`/api/v1${path}`), { ...init, headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json', ...init.headers }, dispatcher: mtls.tpp.agent });
  const transactions = (query: string) => api(`/accounts/transactions?accountId=${SHARED_ACCOUNT}&${query}`);

  test('unknown account ids: one refusal, whoever they belong to', async () => {
    const refusals = [];
    for (const accountId of [accountIdOf(suzuki.accounts[0]!), accountIdOf(tanaka.accounts[1]!), '999999999999', '000000000000']) {
      for (const path of [`/accounts/balances?accountId=${accountId}`, `/accounts/transactions?accountId=${accountId}`]) {
        const answer = await api(path);
        assertApiError(answer, 403, 'E40302');
        refusals.push(answer.text);
      }
    }
    assert.equal(new Set(refusals).size, 1, 'identical bodies');
  });

  test('malformed account ids: 400 E40001', async () => {
    for (const accountId of ['abc', '12345', '1234567890123', '１２３４５６７８９０１２', '-12345678901', '%00', 'x'.repeat(10_000)]) {
      assertApiError(await api(`/accounts/balances?accountId=${encodeURIComponent(accountId)}`), 400, 'E40001');
      assertApiError(await api(`/accounts/transactions?accountId=${encodeURIComponent(accountId)}`), 400, 'E40001');
    }
    assertApiError(await api('/accounts/transactions'), 400, 'E40001');
  });

  test('bad and impossible dates: 400 E40001 naming the parameter', async () => {
    for (const name of ['dateFrom', 'dateTo']) {
      for (const date of ['2024-02-30', '2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '0000-01-01', '2024/01/01', '20240101', '2024-1-1', 'yesterday', ' 2024-01-01', '2024-01-01T00:00:00Z', 'x'.repeat(10_000)]) {
        const answer = await transactions(`${name}=${encodeURIComponent(date)}`);
        assertApiError(answer, 400, 'E40001');
        assert.ok(
          answer.json.errorDetails?.some((detail: { path?: string }) => detail.path === `/querystring/${name}`),
          `${name}=${date.slice(0, 20)}: ${answer.text.slice(0, 300)}`,
        );
      }
    }
  });

  test('an empty date is an absent one (GMO convention): today', async () => {
    const answer = await transactions('dateFrom=&dateTo=');
    assert.equal(answer.status, 200);
    assert.equal(answer.json.dateFrom, answer.json.dateTo);
  });

  test('dateFrom after dateTo: 400 E40001', async () => {
    const answer = await transactions('dateFrom=2024-05-02&dateTo=2024-05-01');
    assertApiError(answer, 400, 'E40001');
    assert.equal(answer.json.errorDetails[0].path, '/querystring/dateFrom');
  });

  test('a garbage nextItemKey: 400 E40001', async () => {
    for (const key of ['garbage', '0', '-1', '1.5', '99999999999999999999', '%00', 'x'.repeat(10_000), '1e3']) {
      const answer = await transactions(`nextItemKey=${encodeURIComponent(key)}`);
      assertApiError(answer, 400, 'E40001');
    }
  });

  test('repeated or array-style parameters: 400 E40001', async () => {
    assertApiError(await transactions(`accountId=${SHARED_ACCOUNT}`), 400, 'E40001');
    assertApiError(await transactions('dateFrom=2024-01-01&dateFrom=2024-01-02'), 400, 'E40001');
    assertApiError(await api(`/accounts/balances?accountId[]=${SHARED_ACCOUNT}`), 400, 'E40001');
  });

  test('unknown query parameters: 400 E40001 naming each', async () => {
    const misspelt = await transactions('datefrom=2024-01-01');
    assertApiError(misspelt, 400, 'E40001');
    assert.deepEqual(
      misspelt.json.errorDetails.map((detail: { path?: string }) => detail.path),
      ['/querystring/datefrom'],
    );
    assertApiError(await api('/accounts?foo=bar'), 400, 'E40001');
    assertApiError(await api('/accounts/balances?__proto__=1&constructor=2'), 400, 'E40001');
    assertApiError(await api(`/accounts/balances?${'k'.repeat(8000)}=1`), 400, 'E40001');
  });

  test('POST, PUT, PATCH and DELETE on the GET routes: 405 E40501 with Allow', async () => {
    for (const path of ['/accounts', '/accounts/balances', '/accounts/transactions']) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const answer = await api(path, { method, headers: { 'content-type': 'application/json' }, body: '{"accountId":"1"}' });
        assertApiError(answer, 405, 'E40501');
        assert.equal(answer.headers.get('allow'), 'GET, HEAD');
      }
    }
    // A body over the API's limit on the way is refused as such, or by method; never read whole.
    const large = await api('/accounts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'y'.repeat(100_000) }) });
    assert.ok(large.status === 405 || large.status === 413, `status ${large.status}`);
    assert.ok(['E40501', 'E41301'].includes(large.json.errorCode));
  });

  test('paths that do not exist: 404 E40401', async () => {
    for (const path of ['/nope', '/accounts/123', '/accounts/balances/extra', '/ACCOUNTS', '/', '/accounts/', '/transfer/nope', '/transfers/request', `/${'a'.repeat(5000)}`]) {
      assertApiError(await api(path), 404, 'E40401');
    }
  });

  test('a form body carrying the token is refused, as the token belongs in the header', async () => {
    const answer = await api('/accounts', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${tokens.accessToken}` });
    assertApiError(answer, 400, 'E40003');
  });

  test('garbage Authorization headers: 400/401 with a Bearer challenge', async () => {
    for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer ' + 'x'.repeat(5000), 'Bearer \u00e9\u00e9', 'Basic Zm9vOmJhcg==', 'Bearertoken', 'x'.repeat(3000)]) {
      const answer = await send(mtlsUrl('/api/v1/accounts'), { headers: { authorization }, dispatcher: mtls.tpp.agent });
      assert.ok(answer.status === 400 || answer.status === 401, `${authorization.slice(0, 20)}: ${answer.status}`);
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer /);
      assert.equal(typeof answer.json.errorCode, 'string');
    }
  });
});

describe('interaction pages', () => {
  const variant = { requestMethod: 'par', responseMode: 'jarm' } as const;

  /** Starts an authorization for the tls_client_auth TPP in a fresh customer browser and runs `body` on its login page. */
  async function onLoginPage(body: (browser: CustomerBrowser, login: Page, checks: Awaited<ReturnType<TestTpp['authorizationUrl']>>['checks']) => Promise<void>): Promise<void> {
    const browser = newBrowser(bank);
    try {
      const { url, checks } = await mtls.tpp.authorizationUrl(variant);
      const login = expectPage(await browser.open(url.href), 'login');
      await body(browser, login, checks);
    } finally {
      await browser.close();
    }
  }

  test('an unknown uid: an HTML error page, whatever the route', async () => {
    for (const [method, path] of [
      ['GET', '/interaction/unknown-uid'],
      ['POST', '/interaction/unknown-uid/login'],
      ['POST', '/interaction/unknown-uid/consent'],
      ['POST', '/interaction/unknown-uid/refuse'],
      ['GET', `/interaction/${'u'.repeat(1000)}`],
      ['POST', `/interaction/${'u'.repeat(1000)}/login`],
      ['GET', '/interaction/%E0%A4%A'],
      ['GET', '/interaction/..%2F..%2Foauth%2Ftoken'],
      ['GET', '/interaction/'],
    ] as const) {
      const answer = await htmlAnswer(browserUrl(path), { method, headers: FORM, body: method === 'POST' ? 'loginId=a&password=b' : undefined }, noCertificate);
      assert.equal(answer.status, 400, `${method} ${path.slice(0, 60)}`);
    }
  });

  test('paths and methods the interaction pages do not have: an HTML 404', async () => {
    for (const [method, path] of [
      ['GET', '/interaction/unknown-uid/login'],
      ['GET', '/interaction/unknown-uid/whatever'],
      ['PUT', '/interaction/unknown-uid'],
      ['DELETE', '/interaction/unknown-uid/consent'],
      ['GET', '/interaction'],
    ] as const) {
      const answer = await htmlAnswer(browserUrl(path), { method }, noCertificate);
      assert.equal(answer.status, 404, `${method} ${path}`);
    }
  });

  test('garbage form bodies on a live interaction: HTML 4xx pages, and the interaction still completes', async () => {
    await onLoginPage(async (browser, login, checks) => {
      assert.equal(login.status, 200);
      const loginUrl = new URL(browser.form(login, '/login').action, login.url).href;
      const consentUrl = loginUrl.replace(/\/login$/, '/consent');
      const multipart = new FormData();
      multipart.append('loginId', tanaka.loginId);
      multipart.append('password', tanaka.password);

      const garbage: { name: string; url: string; body: string | Buffer | FormData; headers?: Record<string, string> }[] = [
        { name: 'broken JSON', url: loginUrl, body: '{"loginId": ', headers: { 'content-type': 'application/json' } },
        { name: 'JSON with numbers and arrays', url: loginUrl, body: JSON.stringify({ loginId: 123, password: [tanaka.password] }), headers: { 'content-type': 'application/json' } },
        { name: 'JSON that is not an object', url: loginUrl, body: '[1,2,3]', headers: { 'content-type': 'application/json' } },
        { name: 'text/plain', url: loginUrl, body: `loginId=${tanaka.loginId}&password=${tanaka.password}`, headers: { 'content-type': 'text/plain' } },
        { name: 'multipart', url: loginUrl, body: multipart },
        { name: 'no content type', url: loginUrl, body: Buffer.from('loginId=a&password=b') },
        { name: 'over 64 KiB', url: loginUrl, body: `loginId=${'a'.repeat(70 * 1024)}&password=b`, headers: FORM },
        { name: 'repeated fields', url: loginUrl, body: `loginId=${tanaka.loginId}&loginId=x&password=${tanaka.password}&password=y`, headers: FORM },
        { name: '10 000-character credentials', url: loginUrl, body: `loginId=${'a'.repeat(10_000)}&password=${'b'.repeat(10_000)}`, headers: FORM },
        { name: 'broken percent-encoding', url: loginUrl, body: 'loginId=%zz%&password=%E0%A4%A', headers: FORM },
        { name: 'empty body', url: loginUrl, body: '', headers: FORM },
        { name: 'consent before login', url: consentUrl, body: 'accountId=100011234567', headers: FORM },
      ];
      for (const { name, url: target, body, headers } of garbage) {
        const result = await browser.send(target, { method: 'POST', body, ...(headers ? { headers } : {}) });
        assert.doesNotThrow(() => assertHtmlRefusal(result), name);
      }

      // The same interaction, asked properly, still logs in…
      const consent = expectPage(await logIn(browser, login, tanaka), 'consent');
      assert.equal(consent.status, 200);
      // …refuses garbage account choices on the consent page…
      for (const body of ['accountId=../../etc', `accountId=${accountIdOf(suzuki.accounts[0]!)}`, `accountId=${'9'.repeat(10_000)}`, '', '{"accountId":1}']) {
        const result = await browser.send(consentUrl, { method: 'POST', body, headers: FORM });
        assertHtmlRefusal(result, [400]);
      }
      // …and completes, for a token that works.
      const done = await browser.submit(consent, '/consent', { accountId: SHARED_ACCOUNT });
      assert.ok('tppUrl' in done, 'consent returns to the TPP');
      const linked = await mtls.tpp.redeem(done.tppUrl, checks, variant);
      assert.equal((await mtls.tpp.api('/accounts', linked.accessToken)).status, 200);
    });
  });

  test("another interaction's uid in the URL, with this browser's cookie: an HTML error page", async () => {
    await onLoginPage(async (browser, login) => {
      const other = new URL(login.url);
      other.pathname = other.pathname.replace(/[^/]+$/, 'someone-elses-uid');
      assertHtmlRefusal(await browser.open(other.href), [400]);
      assertHtmlRefusal(await browser.send(`${other.href}/login`, { method: 'POST', body: `loginId=${tanaka.loginId}&password=${tanaka.password}`, headers: FORM }), [400]);
      // The real one is untouched.
      expectPage(await logIn(browser, login, tanaka), 'consent');
    });
  });

  test('an expired interaction: an HTML error page, not the login', async () => {
    await onLoginPage(async (browser, login) => {
      const uid = new URL(login.url).pathname.split('/').pop()!;
      // Ten minutes pass: the stored interaction reaches its expiry.
      const expired = await bank.store.db
        .updateTable('oidc_models')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('model', '=', 'Interaction')
        .where('id', '=', uid)
        .executeTakeFirst();
      assert.equal(Number(expired.numUpdatedRows), 1);
      assertHtmlRefusal(await browser.open(login.url), [400]);
      assertHtmlRefusal(await logIn(browser, login, tanaka), [400]);
      assertHtmlRefusal(await browser.send(`${login.url}/refuse`, { method: 'POST', body: '', headers: FORM }), [400]);
    });
  });
});

describe('after all that', () => {
  test('the bank still serves: discovery, a full linking flow and the APIs', async () => {
    const discovery = await send(browserUrl('/.well-known/openid-configuration'), { dispatcher: noCertificate });
    assert.equal(discovery.status, 200);
    const linked = await pkjwt.tpp.link({ requestMethod: 'by_value', responseMode: 'code_id_token', loginId: suzuki.loginId, password: suzuki.password });
    const accounts = await pkjwt.tpp.api('/accounts', linked.accessToken);
    assert.equal(accounts.status, 200);
    assert.equal(accounts.body.accounts[0].accountId, accountIdOf(suzuki.accounts[0]!));
    assert.equal((await mtls.tpp.api('/accounts', tokens.accessToken)).status, 200, 'the first token still works');
  });
});
