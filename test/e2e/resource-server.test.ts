// End to end: the resource server checks of the FAPI 1.0 Advanced conformance suite
// (research/fapi-conformance.md §1.6 and module #2's certificate binding), against real tokens that
// TPPs obtained by linking a demo customer's account: FAPI response headers, where the token may be
// presented, sender-constrained tokens (RFC 8705), revoked grants, account-level access control,
// userinfo and introspection over mTLS, and the mTLS-only endpoints on the browser listener.
import assert from 'node:assert/strict';
import { randomUUID, X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { Agent, fetch } from 'undici';
import { revokeConsent } from '../../src/auth/consents.ts';
import { MTLS_PATHS } from '../../src/auth/routes.ts';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { certificateThumbprint } from '../../src/http/client-certificate.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { readAnswer, type RawAnswer } from '../support/conformance.ts';
import { CustomerBrowser } from '../support/browser.ts';
import { expectPage, loginAndConsent, mtlsAgent, TestTpp, type Tokens } from '../support/tpp.ts';

const tanaka = DEMO_CUSTOMERS[0]!;
const suzuki = DEMO_CUSTOMERS[1]!;
const accountIdOf = (account: { branchCode: string; accountTypeCode: string; accountNumber: string }) =>
  `${account.branchCode}${account.accountTypeCode}${account.accountNumber}`;
/** The account tanaka shares on the consent page (the first), the one he keeps to himself, and suzuki's. */
const SHARED_ACCOUNT = accountIdOf(tanaka.accounts[0]!);
const UNSHARED_ACCOUNT = accountIdOf(tanaka.accounts[1]!);
const OTHER_CUSTOMERS_ACCOUNT = accountIdOf(suzuki.accounts[0]!);
const NONEXISTENT_ACCOUNT = '999999999999';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let bank: TestBank;
/** Client 1 (private_key_jwt) and client 2 (tls_client_auth), each with its own certificate. */
let tpp1: TestTpp;
let tpp2: TestTpp;
let tokens1: Tokens;
let tokens2: Tokens;
let noCertificate: Agent;

async function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; dispatcher: Agent }): Promise<RawAnswer> {
  return readAnswer(await fetch(url, init));
}

/** A bank API call with full control of the headers, over the given connection. */
function api(path: string, headers: Record<string, string>, dispatcher: Agent): Promise<RawAnswer> {
  return request(`${bank.config.mtls.publicUrl}/api/v1${path}`, { headers, dispatcher });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}`, accept: 'application/json' });

/** RFC 6750 §3.1: the token is refused with 401 and a Bearer invalid_token challenge. */
function assertInvalidToken(response: RawAnswer): void {
  assert.equal(response.status, 401);
  assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
}

function link(tpp: TestTpp): Promise<Tokens> {
  return tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: tanaka.loginId, password: tanaka.password, accountIndexes: [0] });
}

before(async () => {
  bank = await startTestBank();
  tpp1 = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt'));
  tpp2 = await TestTpp.create(bank, await bank.registerTpp('tls_client_auth'));
  noCertificate = mtlsAgent(bank, undefined);
  tokens1 = await link(tpp1);
  tokens2 = await link(tpp2);
});

after(async () => {
  await tpp1?.close();
  await tpp2?.close();
  await noCertificate?.close();
  await bank?.stop();
});

describe('FAPI response headers', () => {
  test('a successful call: 200, Date, JSON in UTF-8, x-fapi-interaction-id echoed', async () => {
    const interactionId = randomUUID();
    const response = await api(
      '/accounts',
      {
        ...bearer(tokens1.accessToken),
        'x-fapi-interaction-id': interactionId,
        'x-fapi-auth-date': new Date(Date.now() - 60_000).toUTCString(),
        'x-fapi-customer-ip-address': '198.51.100.7',
      },
      tpp1.agent,
    );
    assert.equal(response.status, 200);
    assert.ok(response.headers.get('date'), 'Date header');
    assert.ok(!Number.isNaN(Date.parse(response.headers.get('date')!)), 'Date is an HTTP date');
    assert.match(response.headers.get('content-type') ?? '', /^application\/json; *charset=utf-8$/i);
    assert.equal(response.headers.get('x-fapi-interaction-id'), interactionId);
    assert.deepEqual(
      response.json.accounts.map((a: { accountId: string }) => a.accountId),
      [SHARED_ACCOUNT],
    );
  });

  test('an IPv6 customer address is accepted too', async () => {
    const response = await api('/accounts', { ...bearer(tokens1.accessToken), 'x-fapi-customer-ip-address': '2001:db8::7' }, tpp1.agent);
    assert.equal(response.status, 200);
  });

  test('without x-fapi-interaction-id the bank generates a UUID, a fresh one per response', async () => {
    const first = await api('/accounts', bearer(tokens1.accessToken), tpp1.agent);
    const second = await api('/accounts', bearer(tokens1.accessToken), tpp1.agent);
    assert.equal(first.status, 200);
    assert.match(first.headers.get('x-fapi-interaction-id') ?? '', UUID);
    assert.match(second.headers.get('x-fapi-interaction-id') ?? '', UUID);
    assert.notEqual(first.headers.get('x-fapi-interaction-id'), second.headers.get('x-fapi-interaction-id'));
  });

  const errorCases: { name: string; status: number; call: (headers: Record<string, string>) => Promise<RawAnswer> }[] = [
    { name: '401 (no token)', status: 401, call: (headers) => api('/accounts', { accept: 'application/json', ...headers }, tpp1.agent) },
    { name: '403 (account not shared)', status: 403, call: (headers) => api(`/accounts/balances?accountId=${UNSHARED_ACCOUNT}`, { ...bearer(tokens1.accessToken), ...headers }, tpp1.agent) },
    { name: '404 (no such API)', status: 404, call: (headers) => api('/no-such-api', { ...bearer(tokens1.accessToken), ...headers }, tpp1.agent) },
  ];
  for (const { name, status, call } of errorCases) {
    test(`errors carry the headers too: ${name}`, async () => {
      const interactionId = randomUUID();
      const echoed = await call({ 'x-fapi-interaction-id': interactionId });
      assert.equal(echoed.status, status);
      assert.equal(echoed.headers.get('x-fapi-interaction-id'), interactionId);
      assert.ok(echoed.headers.get('date'));
      assert.match(echoed.headers.get('content-type') ?? '', /^application\/json; *charset=utf-8$/i);
      assert.equal(typeof echoed.json.errorCode, 'string');
      assert.equal(typeof echoed.json.errorMessage, 'string');

      const generated = await call({});
      assert.equal(generated.status, status);
      assert.match(generated.headers.get('x-fapi-interaction-id') ?? '', UUID);
    });
  }
});

describe('how the access token is presented', () => {
  test('a token in the query string is refused (FAPI1-BASE-6.2.1-4)', async () => {
    const response = await api(`/accounts?access_token=${tokens1.accessToken}`, { accept: 'application/json' }, tpp1.agent);
    assert.ok(response.status === 400 || response.status === 401, `status ${response.status}`);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.equal(response.json.accounts, undefined);
  });

  test('a token in the query string is refused even next to a valid Authorization header', async () => {
    const response = await api(`/accounts?access_token=${tokens1.accessToken}`, bearer(tokens1.accessToken), tpp1.agent);
    assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
  });

  for (const accept of ['application/json; charset=utf-8', 'application/json;charset=UTF-8', '*/*']) {
    test(`Accept: ${accept} gives 200`, async () => {
      const response = await api('/accounts', { authorization: `Bearer ${tokens1.accessToken}`, accept }, tpp1.agent);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    });
  }

  test('no Accept header gives 200', async () => {
    const response = await api('/accounts', { authorization: `Bearer ${tokens1.accessToken}` }, tpp1.agent);
    assert.equal(response.status, 200);
  });

  for (const scheme of ['bEARER', 'bearer', 'BEARER']) {
    test(`the ${scheme} scheme is accepted (RFC 9110 §11.1)`, async () => {
      const response = await api('/accounts', { authorization: `${scheme} ${tokens1.accessToken}`, accept: 'application/json' }, tpp1.agent);
      assert.equal(response.status, 200);
    });
  }

  test('another scheme is refused with a Bearer challenge', async () => {
    const response = await api('/accounts', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, tpp1.agent);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
  });
});

describe('certificate-bound access tokens (RFC 8705 §3)', () => {
  // A token shown with another certificate is taken as stolen: its grant ends (security/security-events.ts),
  // so these use tokens of their own.
  test("client 1's token with client 2's certificate: 401, and the grant is over", async () => {
    const stolen = await link(tpp1);
    const response = await api('/accounts', bearer(stolen.accessToken), tpp2.agent);
    assertInvalidToken(response);
    assert.equal(response.json.errorCode, 'E40101');
    assertInvalidToken(await api('/accounts', bearer(stolen.accessToken), tpp1.agent));
  });

  test("client 2's token with client 1's certificate: 401", async () => {
    const stolen = await link(tpp2);
    assert.equal((await api('/accounts', bearer(stolen.accessToken), tpp2.agent)).status, 200, "client 2's token works with its own certificate");
    const response = await api('/accounts', bearer(stolen.accessToken), tpp1.agent);
    assertInvalidToken(response);
  });

  test('no client certificate: 401', async () => {
    const response = await api('/accounts', bearer(tokens1.accessToken), noCertificate);
    assertInvalidToken(response);
  });
});

describe('ended grants', () => {
  test('a revoked access token: 401 with WWW-Authenticate', async () => {
    const tokens = await link(tpp1);
    assert.equal((await api('/accounts', bearer(tokens.accessToken), tpp1.agent)).status, 200);
    await tpp1.revoke(tokens.accessToken);
    const response = await api('/accounts', bearer(tokens.accessToken), tpp1.agent);
    assertInvalidToken(response);
  });

  test('an access token whose grant was revoked (refresh token revoked): 401 with WWW-Authenticate', async () => {
    const tokens = await link(tpp2);
    assert.ok(tokens.refreshToken);
    await tpp2.revoke(tokens.refreshToken);
    const response = await api('/accounts', bearer(tokens.accessToken), tpp2.agent);
    assertInvalidToken(response);
  });

  test('an access token whose consent the bank revoked: 401 with WWW-Authenticate', async () => {
    const tokens = await link(tpp1);
    const introspected = await client.tokenIntrospection(tpp1.config, tokens.accessToken);
    assert.equal(introspected.active, true);
    // As the bank's operator (or the customer's own consent management) would: the consent row ends.
    const grantId = (await bank.provider.AccessToken.find(tokens.accessToken))?.grantId;
    assert.ok(grantId);
    await revokeConsent(bank.store.db, grantId);
    const response = await api('/accounts', bearer(tokens.accessToken), tpp1.agent);
    assertInvalidToken(response);
    assert.equal((await api('/accounts', bearer(tokens1.accessToken), tpp1.agent)).status, 200, 'the earlier consent is untouched');
  });

  test('an unknown token: 401 with WWW-Authenticate', async () => {
    const response = await api('/accounts', bearer('A'.repeat(43)), tpp1.agent);
    assertInvalidToken(response);
  });
});

describe('what does not end access', () => {
  test("a token without offline_access lives by its consent, not the customer's bank session: linking the same TPP again in the same browser leaves it working", async () => {
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp1.redirectUri);
    const variant = { requestMethod: 'par', responseMode: 'jarm', scope: 'openid accounts' } as const;
    try {
      const first = await tpp1.authorizationUrl(variant);
      const firstTokens = await tpp1.redeem(await loginAndConsent(browser, first.url.href, { loginId: tanaka.loginId, password: tanaka.password }), first.checks, variant);
      assert.equal(firstTokens.refreshToken, undefined, 'no offline_access, no refresh token');

      // The same browser, still logged in at the bank: the second linking asks only for consent.
      const second = await tpp1.authorizationUrl(variant);
      const consent = expectPage(await browser.open(second.url.href), 'consent');
      const accountId = browser.form(consent, '/consent').fields.find((field) => field.name === 'accountId')!.value;
      const back = await browser.submit(consent, '/consent', { accountId: [accountId] });
      assert.ok('tppUrl' in back, 'the second consent returns to the TPP');
      const secondTokens = await tpp1.redeem(back.tppUrl, second.checks, variant);

      for (const tokens of [firstTokens, secondTokens]) assert.equal((await api('/accounts', bearer(tokens.accessToken), tpp1.agent)).status, 200);
    } finally {
      await browser.close();
    }
  });
});

describe('account-level access: one refusal for every account the token may not see', () => {
  for (const route of ['/accounts/balances?accountId=', '/accounts/transactions?accountId=']) {
    test(`${route}…`, async () => {
      const shared = await api(`${route}${SHARED_ACCOUNT}`, bearer(tokens1.accessToken), tpp1.agent);
      assert.equal(shared.status, 200, 'the shared account is readable');

      const refusals = await Promise.all(
        [OTHER_CUSTOMERS_ACCOUNT, UNSHARED_ACCOUNT, NONEXISTENT_ACCOUNT].map((accountId) => api(`${route}${accountId}`, bearer(tokens1.accessToken), tpp1.agent)),
      );
      const [first] = refusals;
      assert.ok(first && first.status >= 400 && first.status < 500, `refused with a 4xx, got ${first?.status}`);
      assert.equal(typeof first.json.errorCode, 'string');
      for (const refusal of refusals) {
        assert.equal(refusal.status, first.status);
        assert.equal(refusal.text, first.text, 'identical body');
        assert.equal(refusal.headers.get('www-authenticate'), first.headers.get('www-authenticate'));
        assert.equal(refusal.headers.get('content-type'), first.headers.get('content-type'));
      }
    });
  }
});

describe('userinfo and introspection over mTLS', () => {
  const userinfoUrl = () => `${bank.config.mtls.publicUrl}/oauth/userinfo`;

  test('userinfo answers with the access token and the bound certificate', async () => {
    const response = await request(userinfoUrl(), { headers: bearer(tokens1.accessToken), dispatcher: tpp1.agent });
    assert.equal(response.status, 200);
    assert.equal(response.json.sub, tanaka.customerId);
  });

  test('userinfo refuses the token without the certificate, and with another client\'s', async () => {
    for (const dispatcher of [noCertificate, tpp2.agent]) {
      const response = await request(userinfoUrl(), { headers: bearer(tokens1.accessToken), dispatcher });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
      assert.equal(response.json.sub, undefined);
    }
  });

  test("introspection returns cnf.x5t#S256, the client certificate's thumbprint", async () => {
    for (const [tpp, tokens] of [
      [tpp1, tokens1],
      [tpp2, tokens2],
    ] as const) {
      const introspected = await client.tokenIntrospection(tpp.config, tokens.accessToken);
      assert.equal(introspected.active, true);
      assert.equal(introspected.client_id, tpp.registered.clientId);
      const expected = certificateThumbprint(new X509Certificate(tpp.registered.certificatePem));
      assert.equal((introspected.cnf as Record<string, unknown> | undefined)?.['x5t#S256'], expected);
    }
  });
});

describe('the mTLS-only endpoints on the browser listener', () => {
  for (const path of MTLS_PATHS) {
    test(`${path}: 400 with a pointer to the mTLS URL`, async () => {
      const agent = new Agent({ connect: { ca: bank.pki.caCertificatePem } });
      try {
        for (const method of ['POST', 'GET']) {
          const response = await request(`${bank.config.browser.publicUrl}${path}`, {
            method,
            headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
            ...(method === 'POST' ? { body: 'grant_type=authorization_code' } : {}),
            dispatcher: agent,
          });
          assert.equal(response.status, 400, `${method} ${path}`);
          assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
          assert.equal(response.json.error, 'invalid_request');
          assert.ok(String(response.json.error_description).includes(`${bank.config.mtls.publicUrl}${path}`), response.json.error_description);
        }
      } finally {
        await agent.close();
      }
    });
  }
});
