// Two nodes on one PostgreSQL database: an operator suspends a TPP through node A's admin API while the TPP is
// calling node B, whose access cache already holds its token; node B refuses the very next API call and token
// request. Reinstated through node B, node A serves it again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKeysFile } from '../../src/auth/keys.ts';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { noticeArrival, notices } from '../support/access-notices.ts';
import { TcpBalancer } from '../support/balancer.ts';
import { freePort, startTestBank, type TestBank } from '../support/bank.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { AdminApiClient } from '../support/admin-api.ts';
import { TestTpp } from '../support/tpp.ts';

const customer = DEMO_CUSTOMERS[0]!;

describe('operator actions on two nodes', () => {
  let database: ScratchDatabase;
  let workDir: string;
  let mtlsBalancer: TcpBalancer<'a' | 'b'>;
  const nodes: TestBank[] = [];
  const clients: { close(): Promise<void> }[] = [];

  before(async () => {
    database = await createScratchDatabase();
    workDir = mkdtempSync(join(tmpdir(), 'ginko-operator-nodes-'));
    const keysFile = join(workDir, 'keys.json');
    await createKeysFile(keysFile);
    const [aBrowser, aMtls, bBrowser, bMtls, publicMtls] = await Promise.all(Array.from({ length: 5 }, freePort));
    mtlsBalancer = await TcpBalancer.start<'a' | 'b'>(publicMtls!, { a: aMtls!, b: bMtls! }, 'a');
    // One issuer and one public mTLS address for both; the browser side of the linking goes to node A.
    const shared = { DATABASE_URL: database.url, GINKO_KEYS_FILE: keysFile, GINKO_DATA_DIR: join(workDir, 'shared'), GINKO_PUBLIC_URL: `https://localhost:${aBrowser}`, GINKO_MTLS_PUBLIC_URL: `https://localhost:${publicMtls}` };
    nodes.push(await startTestBank({ ...shared, GINKO_PORT: String(aBrowser), GINKO_MTLS_PORT: String(aMtls) }));
    nodes.push(await startTestBank({ ...shared, GINKO_PORT: String(bBrowser), GINKO_MTLS_PORT: String(bMtls), GINKO_SEED_DEMO_DATA: 'false' }));
  });

  after(async () => {
    for (const client of clients) await client.close();
    for (const node of nodes) await node.stop();
    await mtlsBalancer?.close();
    await database?.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** The TPP's next connections go to this node (its open ones are cut; its client notices before it calls again). */
  async function tppCallsNode(name: 'a' | 'b') {
    mtlsBalancer.sendTo(name);
    mtlsBalancer.dropConnections();
    await sleep(100);
  }

  test('suspended on node A, refused on node B as soon as the notice arrives; reinstated on node B, served on node A', async () => {
    const [nodeA, nodeB] = nodes as [TestBank, TestBank];
    const adminOnA = new AdminApiClient(nodeA, nodeA.config.browser.publicUrl);
    const adminOnB = new AdminApiClient(nodeB, `https://localhost:${nodeB.config.browser.port}`);
    const tpp = await TestTpp.create(nodeA, await nodeA.registerTpp('private_key_jwt'));
    clients.push(adminOnA, adminOnB, tpp);
    const { clientId } = tpp.registered;

    const tokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: customer.loginId, password: customer.password });
    await tppCallsNode('b');
    assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 200, 'node B serves, and now holds the token in its cache');

    const seen = await notices(nodeB);
    assert.equal((await adminOnA.call('POST', `/tpps/${clientId}/suspend`, { reason: 'incident on node A' })).status, 200);
    await noticeArrival(nodeB, seen);
    const refused = await tpp.api('/accounts', tokens.accessToken);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.errorCode, 'E40303');
    await assert.rejects(tpp.refresh(tokens.refreshToken!), (error: { cause?: { error?: string } }) => error.cause?.error === 'invalid_client');
    const servedByB = await nodeB.metrics.registry.getSingleMetric('ginko_http_requests_total')!.get();
    assert.ok(servedByB.values.some((value) => value.labels.route === '/api/v1/accounts' && Number(value.labels.status) === 403), 'node B refused it');

    const seenOnA = await notices(nodeA);
    assert.equal((await adminOnB.call('POST', `/tpps/${clientId}/reinstate`, { reason: 'closed' })).status, 200);
    await noticeArrival(nodeA, seenOnA);
    await tppCallsNode('a');
    assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 200);
    await tppCallsNode('b');
    assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 200);
  });
});
