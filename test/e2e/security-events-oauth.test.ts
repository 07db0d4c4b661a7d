// End to end: the attacks oidc-provider refuses at the token endpoint are recorded as security events
// (and in the audit chain): a code redeemed twice, a refresh token without its certificate or from
// another client, a replayed client assertion, a suspended TPP's client id.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Agent } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SecurityEventKind } from '../../src/security/security-events.ts';
import { authorizationRequest, authorize, Client, conformanceSuite, redeem, tokenRequest, type AuthorizationRequest } from '../support/conformance.ts';

/** Events from oidc-provider's emitter are written after its response; how long to wait for one. */
const EVENT_WAIT_MS = 3000;

let noCertificate: Agent;

const { bank, clients } = conformanceSuite({
  methods: ['private_key_jwt'],
  variants: [{ request: 'par', response: 'jarm' }],
  setUp: ({ pki }) => {
    noCertificate = new Agent({ connect: { ca: pki.caCertificatePem } });
  },
  tearDown: () => noCertificate?.close(),
});

async function eventFor(kind: SecurityEventKind, clientId: string) {
  const deadline = Date.now() + EVENT_WAIT_MS;
  for (;;) {
    const event = await bank().store.db.selectFrom('security_events').selectAll().where('kind', '=', kind).where('client_id', '=', clientId).executeTakeFirst();
    if (event || Date.now() > deadline) return event;
    await sleep(50);
  }
}

async function linked(tpp: Client): Promise<{ request: AuthorizationRequest; code: string; refreshToken: string }> {
  const request = authorizationRequest(tpp, { request: 'par', response: 'jarm' }, { scope: 'openid accounts offline_access', prompt: 'consent' });
  const { code } = await authorize(tpp, { request: 'par', response: 'jarm' }, request);
  const tokens = await redeem(tpp, request, code);
  assert.ok(tokens.refresh_token);
  return { request, code, refreshToken: tokens.refresh_token };
}

test('a code redeemed twice: refused, recorded with its grant and customer', async () => {
  const [tpp] = clients('private_key_jwt');
  const { request, code } = await linked(tpp);
  const again = await tokenRequest(tpp, { grant_type: 'authorization_code', code, redirect_uri: request.redirectUri, code_verifier: request.codeVerifier });
  assert.equal(again.body.error, 'invalid_grant');
  const event = await eventFor('authorization_code_reused', tpp.clientId);
  assert.ok(event?.grant_id && event.customer_id && event.interaction_id && event.source_address, JSON.stringify(event));
  const consent = await bank().store.db.selectFrom('consents').select('revoked_at').where('grant_id', '=', event.grant_id).executeTakeFirstOrThrow();
  assert.ok(consent.revoked_at, 'the grant and its consent are over');
});

test('a refresh token without its certificate, and from another client', async () => {
  const [tpp, other] = clients('private_key_jwt');
  const { refreshToken } = await linked(tpp);
  const withoutCertificate = await tokenRequest(tpp, { grant_type: 'refresh_token', refresh_token: refreshToken }, { agent: noCertificate });
  assert.equal(withoutCertificate.body.error, "invalid_grant", JSON.stringify(withoutCertificate.body));
  assert.ok(await eventFor('refresh_token_wrong_certificate', tpp.clientId));
  const byOther = await tokenRequest(other, { grant_type: 'refresh_token', refresh_token: refreshToken });
  assert.equal(byOther.body.error, 'invalid_grant');
  assert.ok(await eventFor('grant_used_by_other_client', other.clientId));
});

test('a replayed client assertion jti', async () => {
  const [tpp] = clients('private_key_jwt');
  const jti = randomUUID();
  const form = { grant_type: 'refresh_token', refresh_token: 'not-a-token' };
  await tokenRequest(tpp, form, { assertion: { jti } });
  const replay = await tokenRequest(tpp, form, { assertion: { jti } });
  assert.equal(replay.body.error, "invalid_client", JSON.stringify(replay.body));
  assert.ok(await eventFor('client_assertion_replayed', tpp.clientId));
});

test('a suspended TPP at the token endpoint', async () => {
  const suspended = await Client.register(bank(), 'private_key_jwt');
  try {
    await bank().store.db.updateTable('tpps').set({ status: 'suspended' }).where('client_id', '=', suspended.clientId).execute();
    const refused = await tokenRequest(suspended, { grant_type: 'refresh_token', refresh_token: 'not-a-token' });
    assert.equal(refused.body.error, 'invalid_client');
    assert.ok(await eventFor('suspended_tpp', suspended.clientId));
  } finally {
    await suspended.close();
  }
});
