// Two bank nodes behind a layer-4 balancer, as a bank runs them: one PostgreSQL database, one keys
// file (GINKO_KEYS_FILE), one PKI folder, and the same public URLs (the balancer's), since a TPP
// and a browser know one issuer. Flows hop between the nodes step by step; which node served each
// step is checked on the nodes' own request counters, not assumed. Anything a node kept to itself
// (a key, a cookie secret, a code, a revocation) would break a hop.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import { fetch, type Agent } from 'undici';
import { sql } from 'kysely';
import { createKeysFile } from '../../src/auth/keys.ts';
import { LISTENER_APPLICATION_NAME } from '../../src/store/db.ts';
import { nextTotpCode } from '../support/authenticator.ts';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import type { RegisteredTpp } from '../../src/tpp/registry.ts';
import { metric, noticeArrival, notices } from '../support/access-notices.ts';
import { TcpBalancer } from '../support/balancer.ts';
import { freePort, startTestBank, type TestBank } from '../support/bank.ts';
import { CustomerBrowser } from '../support/browser.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { expectPage, loginAndConsent, mtlsAgent, TestTpp, type BankEndpoints, type Tokens } from '../support/tpp.ts';

type NodeName = 'a' | 'b';

const GINKO = join(import.meta.dirname, '../../bin/ginko.js');
const customer = DEMO_CUSTOMERS[1]!;
const variant = { requestMethod: 'par', responseMode: 'jarm' } as const;
/** Each TPP's PAR quota, counted by both nodes in one Redis (127.0.0.1:6379, a key prefix of this run's own). */
const PAR_PER_TPP = 6;
/** How long a node may take to count a request it has answered. */
const COUNTER_SETTLE_MS = 1_000;

let database: ScratchDatabase;
let workDir: string;
let env: Record<string, string>;
const nodes = {} as Record<NodeName, TestBank>;
const nodePorts = {} as Record<NodeName, { browser: number; mtls: number }>;
let browserBalancer: TcpBalancer<NodeName>;
let mtlsBalancer: TcpBalancer<NodeName>;
let endpoints: BankEndpoints;
let registered: RegisteredTpp;

before(async () => {
  database = await createScratchDatabase();
  workDir = mkdtempSync(join(tmpdir(), 'ginko-nodes-'));
  const keysFile = join(workDir, 'secrets', 'authorization-server-keys.json');
  await createKeysFile(keysFile);
  const [publicBrowser, publicMtls, aBrowser, aMtls, bBrowser, bMtls] = await Promise.all(Array.from({ length: 6 }, freePort));
  nodePorts.a = { browser: aBrowser!, mtls: aMtls! };
  nodePorts.b = { browser: bBrowser!, mtls: bMtls! };
  env = {
    DATABASE_URL: database.url,
    GINKO_KEYS_FILE: keysFile,
    GINKO_DATA_DIR: join(workDir, 'shared'),
    GINKO_PUBLIC_URL: `https://localhost:${publicBrowser}`,
    GINKO_MTLS_PUBLIC_URL: `https://localhost:${publicMtls}`,
    // Production shape: `ginko migrate` runs once, the nodes only check the schema.
    GINKO_MIGRATE_ON_START: 'false',
    GINKO_REDIS_URL: process.env.GINKO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    GINKO_REDIS_KEY_PREFIX: `ginko-test:${randomUUID()}:`,
    GINKO_QUOTA_PAR_PER_TPP: String(PAR_PER_TPP),
    GINKO_QUOTA_WINDOW_SECONDS: '300',
  };
  browserBalancer = await TcpBalancer.start<NodeName>(publicBrowser!, { a: aBrowser!, b: bBrowser! }, 'a');
  mtlsBalancer = await TcpBalancer.start<NodeName>(publicMtls!, { a: aMtls!, b: bMtls! }, 'a');
});

after(async () => {
  await browserBalancer?.close();
  await mtlsBalancer?.close();
  for (const node of Object.values(nodes)) await node.stop();
  await database?.drop();
  rmSync(workDir, { recursive: true, force: true });
});

function startNode(name: NodeName, extra: Record<string, string> = {}): Promise<TestBank> {
  return startTestBank({ ...env, GINKO_PORT: String(nodePorts[name].browser), GINKO_MTLS_PORT: String(nodePorts[name].mtls), ...extra });
}

/** New connections through the balancer go to `name`. */
function routeTo(name: NodeName): void {
  browserBalancer.sendTo(name);
  mtlsBalancer.sendTo(name);
}

async function served(node: TestBank, route: string): Promise<number> {
  const metric = await node.metrics.registry.getSingleMetric('ginko_http_requests_total')!.get();
  return metric.values.filter((value) => value.labels.route === route).reduce((sum, value) => sum + value.value, 0);
}

/** Runs `step` with the balancer sending to `name`, and checks that `name`, and only it, served each of `routes`. */
async function on<T>(name: NodeName, routes: string[], step: () => Promise<T>): Promise<T> {
  routeTo(name);
  const other: NodeName = name === 'a' ? 'b' : 'a';
  const before = await Promise.all(routes.map(async (route) => [await served(nodes[name], route), await served(nodes[other], route)]));
  const result = await step();
  for (const [i, route] of routes.entries()) {
    // A node counts a request when its response has closed, which may be just after the client read it.
    const deadline = Date.now() + COUNTER_SETTLE_MS;
    while ((await served(nodes[name], route)) <= before[i]![0]! && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok((await served(nodes[name], route)) > before[i]![0]!, `node ${name} served ${route}`);
    assert.equal(await served(nodes[other], route), before[i]![1], `node ${other} did not serve ${route}`);
  }
  return result;
}

describe('two nodes on one database', () => {
  let tppA: TestTpp;
  let tppB: TestTpp;
  let tokens: Tokens;
  let refreshed: Tokens;

  after(async () => {
    await tppA?.close();
    await tppB?.close();
  });

  test('a node that does not migrate refuses a database that lacks migrations, and says how to fix it', async () => {
    await assert.rejects(startNode('a'), /the database lacks migrations 0001_initial.*: run `npx ginko migrate` with the same DATABASE_URL/);
  });

  test('`ginko migrate` prepares the database; both nodes start on it with the shared keys file', async () => {
    const migrated = await runGinko(['migrate'], { DATABASE_URL: database.url });
    assert.equal(migrated.code, 0, migrated.output);
    nodes.a = await startNode('a');
    nodes.b = await startNode('b', { GINKO_SEED_DEMO_DATA: 'false' });
    assert.ok(!existsSync(join(env.GINKO_DATA_DIR!, 'keys')), 'no node made keys of its own');
    registered = await nodes.a.registerTpp('private_key_jwt');
    endpoints = { issuer: env.GINKO_PUBLIC_URL!, mtlsUrl: env.GINKO_MTLS_PUBLIC_URL!, caCertificatePem: nodes.a.pki.caCertificatePem };
    assert.equal(nodes.b.pki.caCertificatePem, nodes.a.pki.caCertificatePem, 'one PKI folder, one CA');
  });

  test('each node, asked directly, publishes the same discovery and keys: the shared public URLs', async () => {
    const agent = mtlsAgent(endpoints, undefined);
    try {
      const [a, b] = await Promise.all(
        (['a', 'b'] as const).map(async (name) => {
          const origin = `https://localhost:${nodePorts[name].browser}`;
          const discovery = (await (await fetch(`${origin}/.well-known/openid-configuration`, { dispatcher: agent })).json()) as Record<string, unknown>;
          const jwks = await (await fetch(`${origin}/oauth/jwks`, { dispatcher: agent })).json();
          return { discovery, jwks };
        }),
      );
      assert.deepEqual(a, b);
      assert.equal(a!.discovery.issuer, env.GINKO_PUBLIC_URL);
      assert.equal(a!.discovery.token_endpoint, `${env.GINKO_MTLS_PUBLIC_URL}/oauth/token`);
    } finally {
      await agent.close();
    }
  });

  test('PAR and token on A, authorization, login and consent on B, the APIs on both, a refresh on B', async () => {
    const { url, checks } = await on('a', ['/oauth/par'], async () => {
      tppA = await TestTpp.create(endpoints, registered);
      return tppA.authorizationUrl(variant);
    });
    const tppUrl = await on('b', ['/oauth/authorize', '/interaction/:uid/passkey', '/interaction/:uid/consent'], async () => {
      const browser = new CustomerBrowser(endpoints.caCertificatePem, tppA.redirectUri);
      try {
        return await loginAndConsent(browser, url.href, customer);
      } finally {
        await browser.close();
      }
    });
    tokens = await on('a', ['/oauth/token'], () => tppA.redeem(tppUrl, checks, variant));
    const onA = await on('a', ['/api/v1/accounts'], () => tppA.api('/accounts', tokens.accessToken));
    assert.equal(onA.status, 200);
    const onB = await on('b', ['/api/v1/accounts'], async () => {
      tppB = await TestTpp.create(endpoints, registered);
      return tppB.api('/accounts', tokens.accessToken);
    });
    assert.equal(onB.status, 200);
    assert.deepEqual(onB.body.accounts, onA.body.accounts);

    refreshed = await on('b', ['/oauth/token'], () => tppB.refresh(tokens.refreshToken!));
    assert.notEqual(refreshed.accessToken, tokens.accessToken);
    const balances = await on('a', ['/api/v1/accounts/balances'], () => tppA.api('/accounts/balances', refreshed.accessToken));
    assert.equal(balances.status, 200, 'a token issued by B works on A');
  });

  test('revoked on A (RFC 7009), refused on B at once', async () => {
    const seen = await notices(nodes.b);
    await on('a', ['/oauth/revoke'], () => tppA.revoke(tokens.accessToken));
    await noticeArrival(nodes.b, seen);
    const revoked = await on('b', ['/api/v1/accounts'], () => tppB.api('/accounts', tokens.accessToken));
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.errorCode, 'E40101');
    // oidc-provider ends the whole grant with any of its tokens: the refreshed token and the refresh token go too.
    assert.equal((await on('b', ['/api/v1/accounts'], () => tppB.api('/accounts', refreshed.accessToken))).status, 401);
    await on('b', ['/oauth/token'], () => assert.rejects(tppB.refresh(tokens.refreshToken!), invalidGrant));
  });

  test('a login begun on A is finished on B (shared cookie secrets); a code redeemed on A and replayed on B is refused and its tokens end', async () => {
    const { url, checks } = await on('b', ['/oauth/par'], () => tppB.authorizationUrl(variant));
    const browser = new CustomerBrowser(endpoints.caCertificatePem, tppA.redirectUri);
    try {
      const login = await on('a', ['/oauth/authorize'], async () => expectPage(await browser.open(url.href), 'login'));
      // The balancer moves the browser: its next connection, with A's interaction cookie, lands on B.
      routeTo('b');
      browserBalancer.dropConnections();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const tppUrl = await on('b', ['/interaction/:uid', '/interaction/:uid/passkey', '/interaction/:uid/consent', '/oauth/authorize'], () => loginAndConsent(browser, login.url, customer));

      const second = await on('a', ['/oauth/token'], () => tppA.redeem(tppUrl, checks, variant));
      assert.equal((await on('a', ['/api/v1/accounts'], () => tppA.api('/accounts', second.accessToken))).status, 200);
      await on('b', ['/oauth/token'], () => assert.rejects(tppB.redeem(tppUrl, checks, variant), invalidGrant));
      const afterReplay = await on('a', ['/api/v1/accounts'], () => tppA.api('/accounts', second.accessToken));
      assert.equal(afterReplay.status, 401, 'the replay on B revoked what the code gave on A');
    } finally {
      await browser.close();
    }
  });
});

describe('revocation reaches the other node\'s cache at once (api/access-cache.ts)', () => {
  // One TPP, two clients: each keeps its connection to the node it first reached through the balancer.
  let onA: TestTpp;
  let onB: TestTpp;

  before(async () => {
    onA = await TestTpp.create(endpoints, registered);
    onB = await TestTpp.create(endpoints, registered);
  });
  after(async () => {
    await onA?.close();
    await onB?.close();
  });

  /** A fresh token, linked on A and read on B until B answers it from its cache. */
  async function cachedOnB(): Promise<Tokens> {
    const tokens = await on('a', ['/oauth/token'], () => onA.link({ ...variant, ...customer }));
    // The login's own notices (its session, its grant) may still reach B after its first read and empty
    // the entry once; a few reads later B answers from its cache.
    const hits = await cacheHits(nodes.b);
    for (let read = 0; read < 3 && (await cacheHits(nodes.b)) === hits; read += 1) {
      assert.equal((await on('b', ['/api/v1/accounts'], () => onB.api('/accounts', tokens.accessToken))).status, 200);
    }
    assert.ok((await cacheHits(nodes.b)) > hits, 'B answered from its cache');
    return tokens;
  }

  test('the customer disconnects the TPP on A: the next call on B is refused', async () => {
    const tokens = await cachedOnB();
    const seen = await notices(nodes.b);
    routeTo('a');
    const browser = new CustomerBrowser(endpoints.caCertificatePem, onA.redirectUri);
    try {
      const login = expectPage(await browser.open(`${endpoints.issuer}/my/login`), 'login');
      const apps = expectPage(await browser.submit(login, '/my/login', { loginId: customer.loginId, password: customer.password, totp: await nextTotpCode(customer.loginId) }), 'connected apps');
      assert.match(expectPage(await browser.submit(apps, '/my/connected-apps/revoke', {}), 'connected apps').html, /連携を解除しました/);
    } finally {
      await browser.close();
    }
    await noticeArrival(nodes.b, seen);
    assert.equal((await on('b', ['/api/v1/accounts'], () => onB.api('/accounts', tokens.accessToken))).status, 401);
  });

  test('an operator suspends the TPP (here in SQL, as any path would): the next call on B is refused, and allowed again once it is reinstated', async () => {
    const tokens = await cachedOnB();
    const seen = await notices(nodes.b);
    await nodes.a.store.db.updateTable('tpps').set({ status: 'suspended' }).where('client_id', '=', registered.clientId).execute();
    try {
      await noticeArrival(nodes.b, seen);
      const refused = await on('b', ['/api/v1/accounts'], () => onB.api('/accounts', tokens.accessToken));
      assert.equal(refused.status, 403);
      assert.equal(refused.body.errorCode, 'E40303');
    } finally {
      await nodes.a.store.db.updateTable('tpps').set({ status: 'active' }).where('client_id', '=', registered.clientId).execute();
    }
    assert.equal((await on('b', ['/api/v1/accounts'], () => onB.api('/accounts', tokens.accessToken))).status, 200);
  });

  test('with the LISTEN connections killed, B stops trusting its cache: a token revoked on A meanwhile is refused on B; the cache comes back with the connection', async () => {
    const tokens = await cachedOnB();
    const lost = await metric(nodes.b, 'ginko_access_notices_lost');
    const killed = await sql<{ pid: number }>`SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity WHERE application_name = ${LISTENER_APPLICATION_NAME} AND datname = current_database()`.execute(nodes.a.store.db);
    assert.equal(killed.rows.length, 2, 'one LISTEN connection per node');
    await until(async () => (await metric(nodes.b, 'ginko_access_notices_lost')) > lost, 'B noticed its LISTEN connection is gone');
    // B may be listening again already: then the revocation's notice comes as usual; if not, its cache is off.
    const seen = await notices(nodes.b);
    await on('a', ['/oauth/revoke'], () => onA.revoke(tokens.accessToken));
    await noticeArrival(nodes.b, seen);
    assert.equal((await on('b', ['/api/v1/accounts'], () => onB.api('/accounts', tokens.accessToken))).status, 401);

    await until(async () => (await metric(nodes.b, 'ginko_access_notices_listening')) === 1, 'B listens again');
    await cachedOnB();
  });
});

async function cacheHits(node: TestBank): Promise<number> {
  const metric = await node.metrics.registry.getSingleMetric('ginko_access_cache_lookups')!.get();
  return metric.values.find((value) => value.labels.result === 'hit')?.value ?? 0;
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(await condition(), what);
}

describe('two nodes, one Redis: quotas', () => {
  test("a TPP's PAR quota is the bank's, not each node's: what it spent on A counts on B", async () => {
    const quotaTpp = await TestTpp.create(endpoints, await nodes.a.registerTpp('private_key_jwt', { name: 'Busy TPP' }));
    /** PARs with the balancer sending new connections, and only those, to `name`. */
    const pars = async (name: NodeName, count: number) => {
      routeTo(name);
      mtlsBalancer.dropConnections();
      const statuses: number[] = [];
      await on(name, ['/oauth/par'], async () => {
        for (let i = 0; i < count; i++) {
          statuses.push(
            await quotaTpp.authorizationUrl(variant).then(
              () => 201,
              (error: unknown) => (error instanceof client.ResponseBodyError ? error.status : Promise.reject(error)),
            ),
          );
        }
      });
      return statuses;
    };
    try {
      // Each node learns whose certificate it is from a successful PAR of its own; those two are not counted.
      assert.deepEqual([...(await pars('a', 1)), ...(await pars('b', 1))], [201, 201]);
      assert.deepEqual(await pars('a', PAR_PER_TPP - 2), Array(PAR_PER_TPP - 2).fill(201));
      assert.deepEqual(await pars('b', 3), [201, 201, 429], 'B refuses the seventh counted PAR though it counted only two itself');
      const throttled = await nodes.b.metrics.registry.getSingleMetric('ginko_quota_throttled_total')!.get();
      assert.ok(throttled.values.some((v) => v.labels.client_id === quotaTpp.registered.clientId && v.labels.quota === 'tpp'));
    } finally {
      await quotaTpp.close();
    }
  });
});

/** openid-client's error for an OAuth `invalid_grant` answer. */
function invalidGrant(error: unknown): boolean {
  return (error as { cause?: { error?: string } }).cause?.error === 'invalid_grant';
}

function runGinko(args: string[], extraEnv: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [GINKO, ...args], { env: { ...process.env, ...extraEnv, GINKO_DATA_DIR: join(workDir, 'cli') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}
