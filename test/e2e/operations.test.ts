// Running the bank day to day: health and readiness probes on every listener, Prometheus metrics on
// the operator's own listener (per TPP, per route, tokens and security events), JSON request logs that
// carry the x-fapi-interaction-id also on the OAuth endpoints, and a graceful shutdown that finishes
// the requests in flight (held inside the store) while refusing new ones.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { fetch, type Agent } from 'undici';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { freePort, startTestBank, type TestBank } from '../support/bank.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { mtlsAgent, TestTpp, type Tokens } from '../support/tpp.ts';

const customer = DEMO_CUSTOMERS[0]!;

describe('probes, metrics and logs', () => {
  const logLines: Record<string, unknown>[] = [];
  let bank: TestBank;
  let tpp: TestTpp;
  let anonymous: Agent;
  let tokens: Tokens;
  let metricsUrl: string;

  before(async () => {
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    bank = await startTestBank({ GINKO_METRICS_PORT: String(metricsPort) }, logger);
    tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt'));
    anonymous = mtlsAgent(bank, undefined);
    tokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: customer.loginId, password: customer.password });
    assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 200);
  });

  after(async () => {
    await tpp?.close();
    await anonymous?.close();
    await bank?.stop();
  });

  test('/healthz and /readyz answer on both public listeners (no certificate needed) and on the operations listener', async () => {
    for (const origin of [bank.config.browser.publicUrl, bank.config.mtls.publicUrl, metricsUrl]) {
      const health = await fetch(`${origin}/healthz`, { dispatcher: anonymous });
      assert.equal(health.status, 200, origin);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const ready = await fetch(`${origin}/readyz`, { dispatcher: anonymous });
      assert.equal(ready.status, 200, origin);
      assert.deepEqual(await ready.json(), { status: 'ready' });
      assert.equal(ready.headers.get('cache-control'), 'no-store');
    }
  });

  test('/metrics is served only on the operations listener', async () => {
    for (const origin of [bank.config.browser.publicUrl, bank.config.mtls.publicUrl]) {
      assert.equal((await fetch(`${origin}/metrics`, { dispatcher: anonymous })).status, 404, origin);
    }
    const response = await fetch(`${metricsUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  });

  test('metrics count requests per TPP and route, time them, and count tokens, refusals and revoked grants', async () => {
    const clientId = tpp.registered.clientId;
    await assert.rejects(tpp.refresh('not-a-refresh-token'), 'an unknown refresh token is refused');
    await tpp.revoke(tokens.refreshToken!);
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    const sample = (name: string, labels: string) => {
      const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
      assert.ok(line, `${name}{${labels}} in the exposition`);
      return Number(line.split(' ').at(-1));
    };
    assert.equal(sample('ginko_http_requests_total', `listener="mtls",route="/oauth/par",method="POST",status="201",client_id="${clientId}"`), 1);
    assert.equal(sample('ginko_http_requests_total', `listener="mtls",route="/oauth/token",method="POST",status="200",client_id="${clientId}"`), 1);
    assert.equal(sample('ginko_http_requests_total', `listener="mtls",route="/api/v1/accounts",method="GET",status="200",client_id="${clientId}"`), 1);
    assert.equal(sample('ginko_http_requests_total', `listener="browser",route="/interaction/:uid/passkey",method="POST",status="303",client_id="none"`), 1);
    assert.equal(sample('ginko_http_request_duration_seconds_count', 'listener="mtls",route="/api/v1/accounts",method="GET"'), 1);
    assert.ok(sample('ginko_http_request_duration_seconds_bucket', 'le="+Inf",listener="mtls",route="/api/v1/accounts",method="GET"') >= 1);
    for (const type of ['authorization_code', 'access_token', 'refresh_token']) {
      assert.equal(sample('ginko_oauth_tokens_issued_total', `type="${type}",client_id="${clientId}"`), 1, type);
    }
    assert.equal(sample('ginko_oauth_errors_total', `event="grant.error",error="invalid_grant",client_id="${clientId}"`), 1);
    assert.equal(sample('ginko_oauth_grants_revoked_total', ''), 1);
    assert.ok(!text.includes('/api/v1/accounts/ACC'), 'routes are patterns, never raw paths');
  });

  test('OAuth endpoints echo the x-fapi-interaction-id, and their JSON request logs carry it', async () => {
    const interactionId = randomUUID();
    const response = await fetch(`${bank.config.mtls.publicUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-fapi-interaction-id': interactionId },
      body: 'grant_type=authorization_code&code=nope',
      dispatcher: anonymous,
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('x-fapi-interaction-id'), interactionId);
    const lines = logLines.filter((line) => line.interactionId === interactionId);
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['incoming request', 'request completed'],
    );
    assert.equal((lines[0]!.req as { url: string }).url, '/oauth/token');
    assert.equal((lines[1]!.res as { statusCode: number }).statusCode, 400);

    const generated = await fetch(`${bank.config.browser.publicUrl}/.well-known/openid-configuration`, { dispatcher: anonymous });
    assert.match(generated.headers.get('x-fapi-interaction-id') ?? '', /^[0-9a-f-]{36}$/, 'one is made when the client sends none');
  });
});

describe('graceful shutdown', () => {
  const REQUESTS_IN_FLIGHT = 4;
  let database: ScratchDatabase;
  let bank: TestBank;
  let tpp: TestTpp;
  let blocker: pg.Client;

  before(async () => {
    database = await createScratchDatabase();
    bank = await startTestBank({ DATABASE_URL: database.url, GINKO_SHUTDOWN_DRAIN_SECONDS: '1' });
    tpp = await TestTpp.create(bank, await bank.registerTpp('tls_client_auth'));
    blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
  });

  after(async () => {
    await blocker?.end();
    await tpp?.close();
    await bank?.stop();
    await database?.drop();
  });

  test('requests in flight finish; readiness turns 503 at once; then new connections are refused', async () => {
    const tokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: customer.loginId, password: customer.password });
    // Hold the consents table: every API request below stops inside the store, mid-request.
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE consents IN ACCESS EXCLUSIVE MODE');
    const inFlight = Array.from({ length: REQUESTS_IN_FLIGHT }, () => tpp.api('/accounts/balances', tokens.accessToken));
    await waitFor(async () => (await lockWaiters(blocker)) === REQUESTS_IN_FLIGHT, 'the requests to reach the store');

    const closed = bank.close();
    const probe = mtlsAgent(bank, undefined);
    try {
      const ready = await fetch(`${bank.config.mtls.publicUrl}/readyz`, { dispatcher: probe });
      assert.equal(ready.status, 503, 'a balancer is told to stop sending work');
      assert.deepEqual(await ready.json(), { status: 'closing' });
    } finally {
      await probe.close();
    }
    await waitFor(async () => (await connectionRefused(bank.config.mtls.publicUrl, bank)) && (await connectionRefused(bank.config.browser.publicUrl, bank)), 'the listeners to stop accepting');

    await blocker.query('COMMIT');
    const responses = await Promise.all(inFlight);
    assert.deepEqual(
      responses.map((response) => response.status),
      Array(REQUESTS_IN_FLIGHT).fill(200),
      'no request in flight was lost',
    );
    assert.ok(responses.every((response) => response.body.balances.length === 1));
    await closed;
  });
});

describe('readiness follows the store', () => {
  let database: ScratchDatabase;
  let bank: TestBank;

  before(async () => {
    database = await createScratchDatabase();
    bank = await startTestBank({ DATABASE_URL: database.url, GINKO_SEED_DEMO_DATA: 'false' });
  });

  after(async () => {
    await bank?.stop();
    await database?.drop();
  });

  test('with its database gone the node is alive but not ready', async () => {
    const agent = mtlsAgent(bank, undefined);
    try {
      assert.equal((await fetch(`${bank.config.mtls.publicUrl}/readyz`, { dispatcher: agent })).status, 200);
      await database.drop();
      const ready = await fetch(`${bank.config.mtls.publicUrl}/readyz`, { dispatcher: agent });
      assert.equal(ready.status, 503);
      assert.deepEqual(await ready.json(), { status: 'store unreachable' });
      assert.equal((await fetch(`${bank.config.mtls.publicUrl}/healthz`, { dispatcher: agent })).status, 200, 'a restart would not help');
    } finally {
      await agent.close();
    }
  });
});

async function lockWaiters(client: pg.Client): Promise<number> {
  const result = await client.query("SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'consents' AND NOT l.granted");
  return result.rows[0].n as number;
}

async function connectionRefused(origin: string, bank: TestBank): Promise<boolean> {
  const agent = mtlsAgent(bank, undefined);
  try {
    await fetch(`${origin}/healthz`, { dispatcher: agent });
    return false;
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  } finally {
    await agent.close();
  }
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
