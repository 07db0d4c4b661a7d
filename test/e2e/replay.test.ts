// Replayed JWTs a TPP signs: a request object (pushed or by value) and a client assertion, each used a
// second time, one after the other and at the same moment. Exactly one use is accepted; every other is
// refused with the OAuth error for it, recorded as a security event (TPP, interaction id, source
// address), and leaves nothing behind; a replayed assertion that came with a grant's refresh token ends
// that grant.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SecurityEventKind } from '../../src/security/security-events.ts';
import {
  authorizationRequest,
  authorize,
  clientAssertion,
  conformanceSuite,
  endpoints,
  newBrowser,
  open,
  postForm,
  push,
  redeem,
  sign,
  start,
  type Client,
  type Outcome,
} from '../support/conformance.ts';
import type { JWTPayload } from 'jose';

/** Events from oidc-provider's emitter are written after its response; how long to wait for one. */
const EVENT_WAIT_MS = 3000;
const CONCURRENT_USES = 6;
const PAR = { request: 'par', response: 'jarm' } as const;
const BY_VALUE = { request: 'by_value', response: 'jarm' } as const;

const { bank, clients } = conformanceSuite({ methods: ['private_key_jwt'], variants: [PAR, BY_VALUE] });

async function events(kind: SecurityEventKind, clientId: string, atLeast = 1) {
  const deadline = Date.now() + EVENT_WAIT_MS;
  for (;;) {
    const rows = await bank().store.db.selectFrom('security_events').selectAll().where('kind', '=', kind).where('client_id', '=', clientId).execute();
    if (rows.length >= atLeast || Date.now() > deadline) return rows;
    await sleep(50);
  }
}

async function rowsOf(model: string): Promise<number> {
  const row = await bank().store.db.selectFrom('oidc_models').select((eb) => eb.fn.countAll<number>().as('n')).where('model', '=', model).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function signedRequestObject(tpp: Client): Promise<string> {
  return sign(tpp, authorizationRequest(tpp, PAR).claims as JWTPayload);
}

test('a pushed request object pushed again: invalid_request_object, recorded, nothing stored', async () => {
  const [tpp] = clients('private_key_jwt');
  const requestObject = await signedRequestObject(tpp);
  const first = await push(tpp, { request: requestObject });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const pushedBefore = await rowsOf('PushedAuthorizationRequest');
  const again = await push(tpp, { request: requestObject });
  assert.equal(again.status, 400);
  assert.equal(again.body.error, 'invalid_request_object');
  assert.equal(await rowsOf('PushedAuthorizationRequest'), pushedBefore, 'the refused push stored no request_uri');
  const [event] = await events('request_object_replayed', tpp.clientId);
  assert.ok(event?.interaction_id && event.source_address, JSON.stringify(event));
  assert.match(event.detail, /pushed_authorization_request/);
});

/** A replayed authorization request ends on the bank's error page, naming the error. */
function refusedAsReplay(outcome: Outcome): boolean {
  return outcome.kind === 'error-page' && outcome.status === 400 && outcome.html.includes('invalid_request_object');
}

test('a request object used by value twice: the second authorization request ends on an error page, recorded', async () => {
  const [, tpp] = clients('private_key_jwt');
  const request = authorizationRequest(tpp, BY_VALUE);
  const started = await start(tpp, BY_VALUE, request);
  assert.equal((await open(tpp, started)).kind, 'login');
  const interactionsBefore = await rowsOf('Interaction');
  const replay = await open(tpp, started);
  assert.ok(refusedAsReplay(replay), JSON.stringify(replay).slice(0, 300));
  assert.equal(await rowsOf('Interaction'), interactionsBefore, 'the replay started no login');
  const [event] = await events('request_object_replayed', tpp.clientId);
  assert.ok(event?.source_address, JSON.stringify(event));
});

test('a pushed request object sent again by value is a replay too', async () => {
  const [tpp] = clients('private_key_jwt');
  const request = authorizationRequest(tpp, BY_VALUE);
  const requestObject = await sign(tpp, request.claims as JWTPayload);
  assert.equal((await push(tpp, { request: requestObject })).status, 201);
  const byValue = await open(tpp, await start(tpp, BY_VALUE, request, { requestObject }));
  assert.ok(refusedAsReplay(byValue), JSON.stringify(byValue).slice(0, 300));
});

test('one request object pushed at the same moment on several connections: exactly one request_uri', async () => {
  const [tpp] = clients('private_key_jwt');
  const requestObject = await signedRequestObject(tpp);
  const pushedBefore = await rowsOf('PushedAuthorizationRequest');
  const answers = await Promise.all(Array.from({ length: CONCURRENT_USES }, () => push(tpp, { request: requestObject })));
  assert.deepEqual(answers.map((a) => a.status).sort(), [201, ...Array(CONCURRENT_USES - 1).fill(400)]);
  for (const refused of answers.filter((a) => a.status === 400)) assert.equal(refused.body.error, 'invalid_request_object');
  assert.equal(await rowsOf('PushedAuthorizationRequest'), pushedBefore + 1, 'only the accepted push left a request_uri');
});

test('one authorization URL opened at the same moment in several browsers: exactly one login', async () => {
  const [, tpp] = clients('private_key_jwt');
  const started = await start(tpp, BY_VALUE, authorizationRequest(tpp, BY_VALUE));
  const browsers = Array.from({ length: CONCURRENT_USES }, () => newBrowser(bank()));
  try {
    const interactionsBefore = await rowsOf('Interaction');
    const outcomes = await Promise.all(browsers.map((browser) => open(tpp, started, browser)));
    assert.equal(outcomes.filter((o) => o.kind === 'login').length, 1, 'one login');
    assert.ok(outcomes.every((o) => o.kind === 'login' || refusedAsReplay(o)), JSON.stringify(outcomes.map((o) => o.kind)));
    assert.equal(await rowsOf('Interaction'), interactionsBefore + 1);
  } finally {
    await Promise.all(browsers.map((browser) => browser.close()));
  }
});

test('one client assertion at the same moment on several connections: exactly one authenticates, the others are invalid_client, recorded', async () => {
  const [tpp] = clients('private_key_jwt');
  const url = endpoints(bank()).token;
  const assertion = await clientAssertion(tpp, url, { jti: randomUUID() });
  const form = {
    grant_type: 'refresh_token',
    refresh_token: 'not-a-token',
    client_id: tpp.clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  };
  const before = (await events('client_assertion_replayed', tpp.clientId, 0)).length;
  const answers = await Promise.all(Array.from({ length: CONCURRENT_USES }, () => postForm(url, form, tpp.agent)));
  const errors = answers.map((a) => a.body.error).sort();
  assert.deepEqual(errors, [...Array(CONCURRENT_USES - 1).fill('invalid_client'), 'invalid_grant'], 'only one passed client authentication');
  assert.equal((await events('client_assertion_replayed', tpp.clientId, before + CONCURRENT_USES - 1)).length, before + CONCURRENT_USES - 1);
});

test('a client assertion replayed with a refresh token: refused, and by policy the grant ends', async () => {
  const [, tpp] = clients('private_key_jwt');
  const request = authorizationRequest(tpp, PAR, { scope: 'openid accounts offline_access', prompt: 'consent' });
  const { code } = await authorize(tpp, PAR, request);
  const tokens = await redeem(tpp, request, code);
  assert.ok(tokens.refresh_token);
  const url = endpoints(bank()).token;
  const form = {
    grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token,
    client_id: tpp.clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await clientAssertion(tpp, url),
  };
  assert.equal((await postForm(url, form, tpp.agent)).status, 200, 'the first use refreshes');
  const replay = await postForm(url, form, tpp.agent);
  assert.equal(replay.body.error, 'invalid_client');
  const [withGrant] = await events('client_assertion_replayed', tpp.clientId);
  assert.ok(withGrant?.grant_id && withGrant.customer_id && withGrant.interaction_id, JSON.stringify(withGrant));
  const consent = await bank().store.db.selectFrom('consents').select('revoked_at').where('grant_id', '=', withGrant.grant_id).executeTakeFirstOrThrow();
  assert.ok(consent.revoked_at, 'the consent is revoked');
  const afterwards = await postForm(url, { ...form, client_assertion: await clientAssertion(tpp, url) }, tpp.agent);
  assert.equal(afterwards.body.error, 'invalid_grant', 'the refresh token no longer works');
});
