// Dynamic client registration (RFC 7591/7592): a TPP holding a software statement from a directory the
// bank trusts registers itself over mutual TLS, links a customer and reads balances; every statement or
// metadata the bank must refuse is refused with its RFC 7591 error and leaves no TPP behind; a
// registration the policy suspends cannot be used until activated; read, update, delete.
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type JWTPayload } from 'jose';
import { sql } from 'kysely';
import { fetch as undiciFetch } from 'undici';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { issueClientCertificate, selfSignedClientCertificate, type IssuedCertificate } from '../../src/pki/dev-pki.ts';
import { createOperator } from '../../src/operator/operators.ts';
import { providerClientCheck, TppAdmin } from '../../src/operator/tpp-admin.ts';
import { startTestBank, TPP_REDIRECT_URI, type TestBank } from '../support/bank.ts';
import {
  claimsFor,
  DIRECTORY,
  newDirectory,
  now,
  postJson,
  register,
  registrationBody,
  answerOf,
  sign,
  testTpp,
  tppMaterial,
  trustedDirectoriesFile,
  type Answer,
  type Directory,
  type TppMaterial,
} from '../support/directory.ts';
import { mtlsAgent } from '../support/tpp.ts';

const customer = DEMO_CUSTOMERS[0]!;

let trusted: Directory;
/** The same directory's second key, an ES256 one. */
let trustedEs256: Directory;
let rogue: Directory;
let bank: TestBank;
let suspendingBank: TestBank;

before(async () => {
  trusted = await newDirectory(DIRECTORY, 'PS256');
  trustedEs256 = { ...(await newDirectory(DIRECTORY, 'ES256')), kid: 'directory-2026-ec' };
  rogue = await newDirectory(DIRECTORY, 'PS256');
  const directoriesFile = await trustedDirectoriesFile([trusted, trustedEs256]);
  [bank, suspendingBank] = await Promise.all([
    startTestBank({ GINKO_TRUSTED_DIRECTORIES_FILE: directoriesFile, GINKO_REGISTRATION_STATUS: 'active' }),
    startTestBank({ GINKO_TRUSTED_DIRECTORIES_FILE: directoriesFile }),
  ]);
});

after(async () => {
  await Promise.all([bank?.stop(), suspendingBank?.stop()]);
});

describe('a TPP with a statement from a trusted directory', () => {
  test('registers itself, links a customer and reads balances', async () => {
    const material = await tppMaterial(bank);
    // The request may repeat what the statement says, as long as it says the same.
    const repeated = { redirect_uris: [TPP_REDIRECT_URI], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'PS256', jwks: material.publicJwks };
    const registered = await register(bank, material, await statementFor(material), repeated);
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.match(registered.headers.get('cache-control') ?? '', /no-store/);
    const client = registered.body;
    assert.ok(client.registration_access_token);
    assert.equal(client.registration_client_uri, `${bank.config.mtls.publicUrl}/oauth/register/${client.client_id}`);
    assert.equal(client.client_name, 'Kakeibo Inc.', 'the name customers see is the one the directory vouches for');
    assert.equal(client.require_signed_request_object, true, 'FAPI 1.0 Advanced defaults fill what the request leaves out');

    const row = await tppRow(bank, client.client_id);
    assert.deepEqual(
      { name: row?.name, registrationNumber: row?.registration_number, status: row?.status },
      { name: 'Kakeibo Inc.', registrationNumber: '関東財務局長（電代）第99号', status: 'active' },
    );
    assert.deepEqual(await auditActions(bank, client.client_id), ['tpp.registered']);

    const tpp = await testTpp(bank, material, client);
    try {
      const tokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: customer.loginId, password: customer.password });
      const accounts = await tpp.api('/accounts', tokens.accessToken);
      assert.equal(accounts.status, 200);
      const balances = await tpp.api(`/accounts/balances?accountId=${accounts.body.accounts[0].accountId}`, tokens.accessToken);
      assert.equal(balances.status, 200);
      assert.match(balances.body.balances[0].balance, /^-?\d+$/);
    } finally {
      await tpp.close();
    }
  });

  test('with a statement signed ES256 by the directory\'s other key', async () => {
    const material = await tppMaterial(bank);
    const registered = await register(bank, material, await sign(trustedEs256, await claimsFor(material)));
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
  });

  test('with self_signed_tls_client_auth, registers the certificate its JWKS carries', async () => {
    const material = await tppMaterial(bank);
    const registered = await register(bank, material, await statementFor(material, selfSignedClaims(material, material.certificate)));
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
  });

  test('with tls_client_auth, registers the certificate it presents', async () => {
    const material = await tppMaterial(bank, 'ca-issued');
    const claims = { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: material.certificate.subjectDn };
    const registered = await register(bank, material, await statementFor(material, claims));
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.equal(registered.body.tls_client_auth_subject_dn, material.certificate.subjectDn);
  });
});

describe('refused registrations', () => {
  let material: TppMaterial;
  before(async () => {
    material = await tppMaterial(bank);
  });

  const refusals: { name: string; error: string; statement?: () => Promise<string | undefined>; request?: () => Record<string, unknown> }[] = [
    { name: 'no software statement', error: 'invalid_software_statement', statement: async () => undefined },
    { name: 'an unsigned statement (alg none)', error: 'invalid_software_statement', statement: async () => unsigned(await claimsFor(material)) },
    { name: 'a statement signed with a key the directory does not have', error: 'invalid_software_statement', statement: async () => sign(rogue, await claimsFor(material)) },
    { name: 'a statement signed with RS256', error: 'invalid_software_statement', statement: async () => sign(trusted, await claimsFor(material), 'RS256') },
    {
      name: 'a tampered statement',
      error: 'invalid_software_statement',
      statement: async () => {
        const [header, , signature] = (await statementFor(material)).split('.');
        const claims = { ...(await claimsFor(material)), redirect_uris: ['https://attacker.example/callback'] };
        return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      },
    },
    { name: 'an expired statement', error: 'invalid_software_statement', statement: async () => statementFor(material, { iat: now() - 7200, exp: now() - 60 }) },
    { name: 'a statement issued in the future', error: 'invalid_software_statement', statement: async () => statementFor(material, { iat: now() + 3600 }) },
    {
      name: 'a statement from an untrusted directory',
      error: 'unapproved_software_statement',
      statement: async () => sign(await newDirectory('https://other-directory.example', 'ES256'), { ...(await claimsFor(material)), iss: 'https://other-directory.example' }),
    },
    { name: 'a statement without software_id', error: 'invalid_software_statement', statement: async () => statementFor(material, { software_id: undefined }) },
    { name: 'redirect URIs other than the statement\'s', error: 'invalid_software_statement', request: () => ({ redirect_uris: ['https://attacker.example/callback'] }) },
    {
      name: 'keys other than the statement\'s',
      error: 'invalid_software_statement',
      request: () => ({ jwks: { keys: [{ ...material.publicJwks.keys[0], kid: 'swapped' }] } }),
    },
    { name: 'an auth method other than the statement\'s', error: 'invalid_software_statement', request: () => ({ token_endpoint_auth_method: 'self_signed_tls_client_auth' }) },
    { name: 'a name other than the statement\'s', error: 'invalid_software_statement', request: () => ({ client_name: 'Totally The Bank' }) },
    { name: 'a plain-http redirect URI, even vouched for', error: 'invalid_redirect_uri', statement: async () => statementFor(material, { redirect_uris: ['http://tpp.example/callback'] }) },
    { name: 'FAPI 1.0 without signed request objects', error: 'invalid_client_metadata', request: () => ({ require_signed_request_object: false }) },
    { name: 'FAPI 1.0 without certificate-bound tokens', error: 'invalid_client_metadata', request: () => ({ tls_client_certificate_bound_access_tokens: false }) },
    { name: 'the implicit grant', error: 'invalid_client_metadata', request: () => ({ grant_types: ['implicit', 'authorization_code'] }) },
    { name: 'an RS256 ID token', error: 'invalid_client_metadata', request: () => ({ id_token_signed_response_alg: 'RS256' }) },
    {
      name: 'FAPI 2.0 without pushed authorization requests',
      error: 'invalid_client_metadata',
      request: () => ({ ginko_fapi_profile: '2.0', response_types: ['code'], require_signed_request_object: false, require_pushed_authorization_requests: false }),
    },
    {
      name: 'FAPI 2.0 with both token bindings',
      error: 'invalid_client_metadata',
      request: () => ({ ginko_fapi_profile: '2.0', response_types: ['code'], require_pushed_authorization_requests: true, dpop_bound_access_tokens: true }),
    },
  ];

  for (const refusal of refusals) {
    test(`${refusal.name}: ${refusal.error}`, async () => {
      const before = await tppCount(bank);
      const statement = refusal.statement ? await refusal.statement() : await statementFor(material);
      const answer = await register(bank, material, statement, refusal.request?.());
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.error, refusal.error, answer.body.error_description);
      assert.equal(typeof answer.body.error_description, 'string');
      assert.equal(await tppCount(bank), before, 'no TPP is registered');
    });
  }

  test('tls_client_auth with a certificate other than the registered one: invalid_client_metadata', async () => {
    const registrant = await tppMaterial(bank, 'ca-issued');
    const other = await issueClientCertificate(bank.pki, { commonName: 'someone-else' });
    const answer = await register(bank, registrant, await statementFor(registrant, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: other.subjectDn }));
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_client_metadata');
  });

  test('self_signed_tls_client_auth with a certificate other than the one in its JWKS: invalid_client_metadata', async () => {
    const other = await selfSignedClientCertificate({ commonName: 'someone-else' });
    const answer = await register(bank, material, await statementFor(material, selfSignedClaims(material, other)));
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_client_metadata');
  });

  test('without a client certificate: invalid_request', async () => {
    const answer = await postJson(`${bank.config.mtls.publicUrl}/oauth/register`, mtlsAgent(bank, undefined), registrationBody(await statementFor(material)));
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_request');
  });

  test('on the browser listener: pointed at the mTLS one', async () => {
    const answer = await postJson(`${bank.config.browser.publicUrl}/oauth/register`, mtlsAgent(bank, undefined), registrationBody(await statementFor(material)));
    assert.equal(answer.status, 400);
    assert.match(answer.body.error_description, new RegExp(`${bank.config.mtls.publicUrl}/oauth/register`));
  });

  test('discovery names the registration endpoint on the mTLS listener', async () => {
    const discovery = await (await undiciFetch(`${bank.config.browser.publicUrl}/.well-known/openid-configuration`, { dispatcher: mtlsAgent(bank, undefined) })).json() as Record<string, unknown>;
    assert.equal(discovery.registration_endpoint, `${bank.config.mtls.publicUrl}/oauth/register`);
  });
});

describe('a registration the policy suspends', () => {
  test('cannot link or be managed until the bank activates it', async () => {
    const material = await tppMaterial(suspendingBank);
    const registered = await register(suspendingBank, material, await statementFor(material));
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const client = registered.body;
    assert.equal((await tppRow(suspendingBank, client.client_id))?.status, 'suspended');

    const tpp = await testTpp(suspendingBank, material, client);
    try {
      await assert.rejects(
        tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: customer.loginId, password: customer.password }),
        (error: { error?: string }) => error.error === 'invalid_client',
      );
      const read = await manage(suspendingBank, material, client, 'GET');
      assert.equal(read.status, 401);
      assert.equal(read.body.error, 'invalid_token');
      assert.match(read.body.error_description, /awaits activation/);

      // An operator reinstates it, as the console and the admin API do.
      const { operator } = await createOperator(suspendingBank.store.db, { name: 'onboarding', role: 'admin' });
      const admin = new TppAdmin(suspendingBank.store.db, providerClientCheck(suspendingBank.provider));
      await admin.setStatus({ operator, via: 'api', requestId: 'registration-test' }, client.client_id, 'active', 'directory membership checked');

      assert.equal((await manage(suspendingBank, material, client, 'GET')).status, 200, 'the registration access token survived the wait');
      const tokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: customer.loginId, password: customer.password });
      assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 200);
    } finally {
      await tpp.close();
    }
  });
});

describe('managing a registration (RFC 7592)', () => {
  let material: TppMaterial;
  let client: any;
  before(async () => {
    material = await tppMaterial(bank);
    client = (await register(bank, material, await statementFor(material))).body;
  });

  test('reads it with the registration access token, and only with it', async () => {
    const read = await manage(bank, material, client, 'GET');
    assert.equal(read.status, 200);
    assert.equal(read.body.client_id, client.client_id);
    assert.deepEqual(read.body.redirect_uris, client.redirect_uris);
    assert.equal(read.body.software_statement, client.software_statement, 'the statement is returned as presented');

    const forged = await manage(bank, material, { ...client, registration_access_token: 'not-a-token' }, 'GET');
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error, 'invalid_token');
  });

  test('updates it with a new statement; the token is replaced', async () => {
    const redirectUris = [TPP_REDIRECT_URI, 'https://tpp.example/callback/v2'];
    const statement = await statementFor(material, { redirect_uris: redirectUris });
    const updated = await manage(bank, material, client, 'PUT', registrationBody(statement, { client_id: client.client_id }));
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.deepEqual(updated.body.redirect_uris, redirectUris);
    assert.notEqual(updated.body.registration_access_token, client.registration_access_token);
    assert.deepEqual((await tppRow(bank, client.client_id))?.metadata.redirect_uris, redirectUris);
    assert.deepEqual(await auditActions(bank, client.client_id), ['tpp.registered', 'tpp.registration_updated']);

    assert.equal((await manage(bank, material, client, 'GET')).status, 401, 'the replaced token is refused');
    client = { ...client, registration_access_token: updated.body.registration_access_token };
  });

  test('refuses an update with another software\'s statement', async () => {
    const statement = await statementFor(material, { software_id: 'other-software' });
    const answer = await manage(bank, material, client, 'PUT', registrationBody(statement, { client_id: client.client_id }));
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_software_statement');
  });

  test('deletes it: the TPP is deregistered and its tokens stop working', async () => {
    const tpp = await testTpp(bank, material, client);
    try {
      const tokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: customer.loginId, password: customer.password });
      assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 200);

      const deleted = await manage(bank, material, client, 'DELETE');
      assert.equal(deleted.status, 204);
      assert.equal((await tppRow(bank, client.client_id))?.status, 'deregistered');
      // The consent's own entry comes from its table's trigger, in the same transaction (order not asserted).
      const actions = (await auditActions(bank, client.client_id)).filter((action) => action.startsWith('tpp.') || action === 'consent.revoked');
      assert.deepEqual(actions.slice(0, 2), ['tpp.registered', 'tpp.registration_updated']);
      assert.deepEqual(actions.slice(2).sort(), ['consent.revoked', 'tpp.deregistered']);
      assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 401, 'the access token is gone');
      await assert.rejects(tpp.refresh(tokens.refreshToken!), (error: { error?: string }) => error.error === 'invalid_client');
      assert.equal((await manage(bank, material, client, 'GET')).status, 401);
    } finally {
      await tpp.close();
    }
  });
});

/** RFC 8705 §2.2: a self-signed certificate is registered as the x5c of a key in the client's JWKS. */
function selfSignedClaims(material: TppMaterial, certificate: IssuedCertificate): JWTPayload {
  const der = new X509Certificate(certificate.certificatePem).raw.toString('base64');
  const certificateKey = createPublicKey(certificate.privateKeyPem).export({ format: 'jwk' });
  return {
    token_endpoint_auth_method: 'self_signed_tls_client_auth',
    jwks: { keys: [...material.publicJwks.keys, { ...certificateKey, kid: 'mtls', use: 'sig', x5c: [der] }] },
  };
}

async function statementFor(material: TppMaterial, overrides: JWTPayload = {}): Promise<string> {
  return sign(trusted, await claimsFor(material, overrides));
}

function unsigned(claims: JWTPayload): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none' })}.${encode(claims)}.`;
}

async function manage(target: TestBank, material: TppMaterial, client: { client_id: string; registration_access_token: string }, method: 'GET' | 'PUT' | 'DELETE', body?: object): Promise<Answer> {
  const response = await undiciFetch(`${target.config.mtls.publicUrl}/oauth/register/${client.client_id}`, {
    method,
    headers: { authorization: `Bearer ${client.registration_access_token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    dispatcher: material.agent,
  });
  return answerOf(response);
}

function tppRow(target: TestBank, clientId: string) {
  return target.store.db.selectFrom('tpps').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

/** The audit log's actions that name the TPP, in order. */
async function auditActions(target: TestBank, clientId: string): Promise<string[]> {
  const rows = await sql<{ action: string }>`SELECT body::jsonb ->> 'action' AS action FROM audit_log WHERE body::jsonb ->> 'clientId' = ${clientId} ORDER BY seq`.execute(target.store.db);
  return rows.rows.map((row) => row.action).filter((action) => !['token.issued', 'consent.given', 'api.access'].includes(action));
}

async function tppCount(target: TestBank): Promise<number> {
  const { count } = await target.store.db.selectFrom('tpps').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
  return Number(count);
}
