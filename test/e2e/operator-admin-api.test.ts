// The admin API as the bank's automation uses it, with operator API tokens: onboard a TPP that brings its own
// keys and certificate, which then links a customer and reads balances; rotate its certificate (the old one is
// refused at once); suspend it (its next API call and token request are refused) and reinstate it; revoke its
// grants; roles (an auditor only looks); no token, no access; bad input gets a 400 that says what is wrong.
// Every operator action is in the audit log with the operator's id, and the chain verifies.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { DEMO_OPERATOR } from '../../src/operator/demo-operator.ts';
import { createOperator } from '../../src/operator/operators.ts';
import { createApiToken } from '../../src/operator/api-tokens.ts';
import { verifyAuditChain } from '../../src/security/audit-verify.ts';
import { startTestBank, TPP_REDIRECT_URI, type TestBank } from '../support/bank.ts';
import { TestTpp, type Variant } from '../support/tpp.ts';
import { AdminApiClient, tppOwnCredentials } from '../support/admin-api.ts';

const PAR_JARM: Variant = { requestMethod: 'par', responseMode: 'jarm' };
const customer = DEMO_CUSTOMERS[0]!;
const REGISTRATION_NUMBER = '関東財務局長（電代）第99号';

describe('admin API', () => {
  let bank: TestBank;
  let client: AdminApiClient;
  let auditorToken: string;
  const admin = (...args: Parameters<AdminApiClient['call']>) => client.call(...args);

  before(async () => {
    bank = await startTestBank();
    client = new AdminApiClient(bank);
    // As `ginko operator create` and `ginko operator token` do.
    await createOperator(bank.store.db, { name: 'auditor1', role: 'auditor' });
    auditorToken = (await createApiToken(bank.store.db, { operatorName: 'auditor1', label: 'test', days: 1, now: new Date() })).token;
  });

  after(async () => {
    await client?.close();
    await bank?.stop();
  });

  test('without a valid operator token nothing is answered', async () => {
    for (const token of [null, 'ginko_op_not-a-token', DEMO_OPERATOR.apiToken.slice(0, -1)]) {
      const response = await admin('GET', '/tpps', undefined, token);
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'unauthorized');
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    const onboard = await admin('POST', '/tpps', { name: 'Nobody' }, null);
    assert.equal(onboard.status, 401, 'the token is checked before the body');
  });

  test('bad input is refused with a 400 that says what is wrong, and nothing is stored', async () => {
    const { publicJwk, signingKey, certificate } = await tppOwnCredentials(bank, 'bad-input');
    const valid = { name: 'Bad Input KK', redirectUris: [TPP_REDIRECT_URI], authMethod: 'tls_client_auth', tlsClientAuthSubjectDn: certificate.subjectDn, jwks: { keys: [publicJwk] } };
    const before = (await admin('GET', '/tpps')).body.tpps.length;
    const cases: [unknown, RegExp][] = [
      [{ ...valid, name: undefined }, /name/],
      [{ ...valid, redirectUris: ['http://tpp.example/callback'] }, /https/],
      [{ ...valid, authMethod: 'client_secret_basic' }, /authMethod/],
      [{ ...valid, tlsClientAuthSubjectDn: undefined }, /subject DN/],
      [{ ...valid, tlsClientAuthSubjectDn: 'not a DN' }, /RFC 4514/],
      [{ ...valid, jwks: { keys: [signingKey] } }, /public keys only/],
      [{ ...valid, jwks: undefined }, /jwks/],
      [{ ...valid, scopes: ['accounts'] }, /openid/],
      [{ ...valid, scopes: ['openid', 'everything'] }, /scopes/],
      [{ ...valid, logoUri: 'http://tpp.example/logo.png' }, /https/],
      [{ ...valid, logoUri: 'data:image/png;base64,PHN2Zz48L3N2Zz4=' }, /bytes are not/],
      [{ ...valid, logoUri: 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=' }, /data URL/],
      [{ ...valid, surprise: true }, /schema/],
    ];
    for (const [body, message] of cases) {
      const response = await admin('POST', '/tpps', body);
      assert.equal(response.status, 400, `${message}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error, 'invalid_request');
      assert.match(`${response.body.message} ${JSON.stringify(response.body.details ?? [])}`, message);
    }
    const notJson = await client.send('POST', '/tpps', '{');
    assert.equal(notJson.status, 400);
    assert.equal((await admin('GET', '/tpps')).body.tpps.length, before);
    assert.equal((await admin('GET', '/tpps/tpp-nonexistent')).status, 404);
    assert.equal((await admin('GET', '/audit?limit=1000')).status, 400);
  });

  test('onboard → link and read → rotate → suspend → reinstate → revoke, each at once; roles; audited', async () => {
    const first = await tppOwnCredentials(bank, 'kakeibo-2026');
    const onboarded = await admin('POST', '/tpps', {
      name: 'かんたん家計簿',
      registrationNumber: REGISTRATION_NUMBER,
      contact: 'security@kakeibo.example',
      redirectUris: [TPP_REDIRECT_URI],
      scopes: ['openid', 'accounts', 'offline_access'],
      authMethod: 'tls_client_auth',
      tlsClientAuthSubjectDn: first.certificate.subjectDn,
      jwks: { keys: [first.publicJwk] },
      logoUri: 'https://kakeibo.example/logo.png',
    });
    assert.equal(onboarded.status, 201, JSON.stringify(onboarded.body));
    const clientId: string = onboarded.body.clientId;
    assert.equal(onboarded.body.tpp.status, 'active');
    assert.equal(onboarded.body.tpp.registrationNumber, REGISTRATION_NUMBER);
    assert.equal(onboarded.body.tpp.tlsClientAuthSubjectDn, first.certificate.subjectDn);
    assert.deepEqual(onboarded.body.tpp.scopes, ['openid', 'accounts', 'offline_access']);

    // The TPP as it would run: its own key and certificate, the metadata the bank registered.
    const metadata = { redirect_uris: [TPP_REDIRECT_URI], token_endpoint_auth_method: 'tls_client_auth' };
    const registered = { clientId, metadata, signingKey: first.signingKey, ...first.certificate };
    const tpp = await TestTpp.create(bank, registered);
    const tokens = await tpp.link({ ...PAR_JARM, loginId: customer.loginId, password: customer.password });
    const [account] = (await tpp.api('/accounts', tokens.accessToken)).body.accounts;
    assert.equal((await tpp.api(`/accounts/balances?accountId=${account.accountId}`, tokens.accessToken)).status, 200);
    // A scope outside the allowed ones is refused at the authorization request.
    await assert.rejects(tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid transfers' }), (error: { cause?: { error?: string } }) => error.cause?.error === 'invalid_scope');

    // An auditor looks but does not change.
    assert.equal((await admin('GET', `/tpps/${clientId}`, undefined, auditorToken)).status, 200);
    assert.equal((await admin('GET', `/audit?clientId=${clientId}`, undefined, auditorToken)).status, 200);
    for (const [method, path, body] of [
      ['POST', `/tpps/${clientId}/suspend`, { reason: 'auditor tries' }],
      ['POST', `/tpps/${clientId}/grants/revoke`, { reason: 'auditor tries' }],
      ['PUT', `/tpps/${clientId}/credentials`, { tlsClientAuthSubjectDn: 'CN=x', jwks: { keys: [first.publicJwk] } }],
      ['POST', '/tpps', { name: 'x', redirectUris: [TPP_REDIRECT_URI], authMethod: 'private_key_jwt', jwks: { keys: [first.publicJwk] } }],
    ] as const) {
      const refused = await admin(method, path, body, auditorToken);
      assert.equal(refused.status, 403, `${method} ${path}`);
      assert.equal(refused.body.error, 'forbidden');
    }
    assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 200, 'nothing the auditor tried took effect');

    // Rotation: a new certificate with a new subject; the old one stops working at once, on both listeners' paths.
    const second = await tppOwnCredentials(bank, 'kakeibo-2027');
    const rotated = await admin('PUT', `/tpps/${clientId}/credentials`, { tlsClientAuthSubjectDn: second.certificate.subjectDn, jwks: { keys: [second.publicJwk] } });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.equal(rotated.body.tpp.tlsClientAuthSubjectDn, second.certificate.subjectDn);
    assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 401, 'the token bound to the old certificate ended');
    await assert.rejects(tpp.refresh(tokens.refreshToken!), (error: { cause?: { error?: string } }) => error.cause?.error === 'invalid_client', 'the old certificate no longer authenticates');
    const renewed = await TestTpp.create(bank, { clientId, metadata, signingKey: second.signingKey, ...second.certificate });
    const fresh = await renewed.refresh(tokens.refreshToken!);
    assert.equal((await renewed.api('/accounts', fresh.accessToken)).status, 200, 'the customer need not link again');

    // Suspension: the next API call and the next token request are refused.
    const suspended = await admin('POST', `/tpps/${clientId}/suspend`, { reason: 'incident 42' });
    assert.equal(suspended.status, 200);
    assert.equal(suspended.body.tpp.status, 'suspended');
    const refusedCall = await renewed.api('/accounts', fresh.accessToken);
    assert.equal(refusedCall.status, 403);
    assert.equal(refusedCall.body.errorCode, 'E40303');
    await assert.rejects(renewed.refresh(fresh.refreshToken!), (error: { cause?: { error?: string } }) => error.cause?.error === 'invalid_client');
    const events = await admin('GET', `/tpps/${clientId}/security-events`);
    assert.ok(events.body.securityEvents.some((event: { kind: string }) => event.kind === 'suspended_tpp'));

    // Reinstated, it works again with what it holds.
    assert.equal((await admin('POST', `/tpps/${clientId}/reinstate`, { reason: 'incident 42 closed' })).body.tpp.status, 'active');
    assert.equal((await renewed.api('/accounts', fresh.accessToken)).status, 200);
    const again = await renewed.refresh(fresh.refreshToken!);

    // Traffic: calls by route and status, and the refused ones among the errors.
    const traffic = (await admin('GET', `/tpps/${clientId}/traffic`)).body.traffic;
    assert.ok(traffic.lines.some((line: { route: string; statusClass: number }) => line.route === '/api/v1/accounts' && line.statusClass === 2));
    assert.ok(traffic.recentErrors.some((error: { status: number }) => error.status === 403));

    // Revoking one grant, then all: each takes effect on the next request.
    const grants = (await admin('GET', `/tpps/${clientId}/grants`)).body.grants;
    assert.equal(grants.length, 1);
    assert.equal((await admin('POST', `/tpps/${clientId}/grants/nonexistent/revoke`, { reason: 'typo' })).status, 404);
    assert.equal((await admin('POST', `/tpps/${clientId}/grants/${grants[0].grantId}/revoke`, { reason: 'customer called' })).body.revokedGrants, 1);
    assert.equal((await renewed.api('/accounts', again.accessToken)).status, 401);
    await assert.rejects(renewed.refresh(again.refreshToken!), (error: { cause?: { error?: string } }) => error.cause?.error === 'invalid_grant');
    const relinked = await renewed.link({ ...PAR_JARM, loginId: customer.loginId, password: customer.password });
    assert.equal((await admin('POST', `/tpps/${clientId}/grants/revoke`, { reason: 'breach at the TPP' })).body.revokedGrants, 1);
    assert.equal((await renewed.api('/accounts', relinked.accessToken)).status, 401);
    await tpp.close();
    await renewed.close();

    // The audit log holds each action with the operator who did it, and the chain verifies.
    const audit = await admin('GET', `/audit?clientId=${clientId}&action=operator.&limit=20`);
    assert.deepEqual(
      audit.body.entries.map((entry: { action: string }) => entry.action).reverse(),
      ['operator.tpp.onboarded', 'operator.tpp.credentials_rotated', 'operator.tpp.suspended', 'operator.tpp.reinstated', 'operator.grant.revoked', 'operator.tpp.grants_revoked'],
    );
    for (const entry of audit.body.entries) {
      assert.match(entry.facts.operatorId, /^op-/);
      assert.equal(entry.facts.via, 'api');
    }
    assert.equal(audit.body.entries.find((entry: { action: string }) => entry.action === 'operator.tpp.suspended').facts.reason, 'incident 42');
    const page = await admin('GET', `/audit?clientId=${clientId}&limit=2`);
    assert.equal(page.body.entries.length, 2);
    const older = await admin('GET', `/audit?clientId=${clientId}&limit=2&beforeSeq=${page.body.nextBeforeSeq}`);
    assert.ok(older.body.entries.every((entry: { seq: number }) => entry.seq < page.body.entries[1].seq));
    const onboardedAt = audit.body.entries.at(-1).at as string;
    const since = await admin('GET', `/audit?clientId=${clientId}&action=operator.&from=${encodeURIComponent(onboardedAt)}&limit=20`);
    assert.equal(since.body.entries.length, 6, 'from is inclusive');
    const until = await admin('GET', `/audit?clientId=${clientId}&action=operator.&to=${encodeURIComponent(onboardedAt)}`);
    assert.equal(until.body.entries.length, 0, 'to is exclusive');
    assert.equal((await admin('GET', '/audit?from=yesterday')).status, 400);
    assert.deepEqual((await admin('GET', '/audit/verification')).body.intact, true);
    assert.equal((await verifyAuditChain(bank.store.db)).intact, true);
  });
});
