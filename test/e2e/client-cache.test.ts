// The node's copy of TPP metadata (src/auth/client-cache.ts): a TPP the authorization server has just
// served is refused on its very next request once it is suspended or its keys change, whichever path
// made the change (here plain SQL); while the LISTEN connection is down the copy is not used.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { sql } from 'kysely';
import * as client from 'openid-client';
import { LISTENER_APPLICATION_NAME } from '../../src/store/db.ts';
import { metric, noticeArrival, notices } from '../support/access-notices.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { TestTpp } from '../support/tpp.ts';

const variant = { requestMethod: 'par', responseMode: 'jarm' } as const;

function invalidClient(error: unknown): boolean {
  return error instanceof client.ResponseBodyError && error.error === 'invalid_client';
}

describe('TPP metadata kept per node', () => {
  let bank: TestBank;
  let tpp: TestTpp;

  before(async () => {
    bank = await startTestBank();
    tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt'));
  });
  after(async () => {
    await tpp?.close();
    await bank?.stop();
  });

  /** Changes the TPP's row as an operator's SQL would, and waits for the store's notice to reach the node. */
  async function changeTpp(change: (clientId: string) => Promise<unknown>): Promise<void> {
    const seen = await notices(bank);
    await change(tpp.registered.clientId);
    await noticeArrival(bank, seen);
  }

  test('suspended: the next pushed request is refused; reinstated: served again', async () => {
    await tpp.authorizationUrl(variant);
    await tpp.authorizationUrl(variant);
    await changeTpp((clientId) => bank.store.db.updateTable('tpps').set({ status: 'suspended' }).where('client_id', '=', clientId).execute());
    try {
      await assert.rejects(tpp.authorizationUrl(variant), invalidClient);
    } finally {
      await changeTpp((clientId) => bank.store.db.updateTable('tpps').set({ status: 'active' }).where('client_id', '=', clientId).execute());
    }
    await tpp.authorizationUrl(variant);
  });

  test("its signing key replaced: an assertion signed with the old key is refused at once", async () => {
    await tpp.authorizationUrl(variant);
    const { publicKey } = await generateKeyPair('PS256', { extractable: true });
    const replacement = { ...(await exportJWK(publicKey)), kid: 'replacement', alg: 'PS256', use: 'sig' };
    const { metadata } = await bank.store.db.selectFrom('tpps').select('metadata').where('client_id', '=', tpp.registered.clientId).executeTakeFirstOrThrow();
    try {
      await changeTpp((clientId) =>
        bank.store.db
          .updateTable('tpps')
          .set({ metadata: JSON.stringify({ ...metadata, jwks: { keys: [replacement] } }) })
          .where('client_id', '=', clientId)
          .execute(),
      );
      await assert.rejects(tpp.authorizationUrl(variant), invalidClient);
    } finally {
      await changeTpp((clientId) => bank.store.db.updateTable('tpps').set({ metadata: JSON.stringify(metadata) }).where('client_id', '=', clientId).execute());
    }
    await tpp.authorizationUrl(variant);
  });

  test('with the LISTEN connection gone, the node reads the store: a suspension made meanwhile is enforced', { skip: process.env.GINKO_TEST_STORE !== 'postgres' && 'the embedded store listens in process' }, async () => {
    await tpp.authorizationUrl(variant);
    const lost = await metric(bank, 'ginko_access_notices_lost');
    const killed = await sql<{ pid: number }>`SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity WHERE application_name = ${LISTENER_APPLICATION_NAME} AND datname = current_database()`.execute(bank.store.db);
    assert.equal(killed.rows.length, 1, 'one LISTEN connection for both caches');
    const deadline = Date.now() + 10_000;
    while ((await metric(bank, 'ginko_access_notices_lost')) === lost && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok((await metric(bank, 'ginko_access_notices_lost')) > lost, 'the node noticed');
    // Suspended in SQL now: if the node listens again its notice comes as usual; if not, nothing is cached.
    await changeTpp((clientId) => bank.store.db.updateTable('tpps').set({ status: 'suspended' }).where('client_id', '=', clientId).execute());
    try {
      await assert.rejects(tpp.authorizationUrl(variant), invalidClient);
    } finally {
      await changeTpp((clientId) => bank.store.db.updateTable('tpps').set({ status: 'active' }).where('client_id', '=', clientId).execute());
    }
  });
});
