// The audit log's hash chain, on both drivers: appends from many concurrent writers form one line, and
// `ginko audit verify` finds an entry edited, deleted or moved directly in SQL.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { appendAudit } from '../src/security/audit-log.ts';
import { AuditGroupCommit } from '../src/security/audit-group-commit.ts';
import { verifyAuditChain } from '../src/security/audit-verify.ts';
import { openStore, type Store } from '../src/store/db.ts';
import { createScratchDatabase, type ScratchDatabase } from './support/postgres.ts';

const run = promisify(execFile);
const ENTRIES = 12;

/** `npx ginko audit verify` against the given settings: its exit code and output. */
async function cliVerify(env: Record<string, string>): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run('node', ['--import', 'tsx', 'src/cli/ginko.ts', 'audit', 'verify'], { env: { ...process.env, GINKO_LOG_LEVEL: 'silent', ...env } });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, output: failed.stderr };
  }
}

for (const driver of ['pglite', 'postgres'] as const) {
  describe(`audit chain on ${driver}`, () => {
    let store: Store;
    let scratch: ScratchDatabase | undefined;
    let dataDir: string;
    let env: Record<string, string>;

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'ginko-audit-'));
      scratch = driver === 'postgres' ? await createScratchDatabase() : undefined;
      env = { GINKO_DATA_DIR: dataDir, ...(scratch ? { DATABASE_URL: scratch.url } : {}) };
    });

    after(async () => {
      await store?.close();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    /** A fresh chain of ENTRIES entries written concurrently (each append waits for the head lock). */
    async function freshChain(): Promise<void> {
      await store?.close();
      store = await openStore({ databaseUrl: scratch?.url, dataDir });
      await sql`TRUNCATE audit_log`.execute(store.db);
      await sql`UPDATE audit_chain_head SET seq = 0, hash = repeat('0', 64)`.execute(store.db);
      await Promise.all(Array.from({ length: ENTRIES }, (_, i) => appendAudit(store.db, 'api.access', { clientId: `tpp-${i % 3}`, status: 200 })));
    }

    /** The CLI opens the store itself; the embedded one only when this process has let go of it. */
    async function verifyWithCli(): Promise<{ code: number; output: string }> {
      await store.close();
      const result = await cliVerify(env);
      store = await openStore({ databaseUrl: scratch?.url, dataDir });
      return result;
    }

    test('concurrent appends form one intact chain, and the CLI says so', async () => {
      await freshChain();
      assert.deepEqual(await verifyAuditChain(store.db), { intact: true, entries: ENTRIES });
      const cli = await verifyWithCli();
      assert.equal(cli.code, 0, cli.output);
      assert.match(cli.output, new RegExp(`intact: ${ENTRIES} entries`));
    });

    test('group commit: entries from two batchers and single appends, all at once, form one intact chain; each settles only once committed', async () => {
      await freshChain();
      const nodes = [new AuditGroupCommit(store.db), new AuditGroupCommit(store.db)];
      const committedWhenSettled: Promise<boolean>[] = [];
      const singles: Promise<void>[] = [];
      for (let i = 0; i < 300; i += 1) {
        const interactionId = `group-${i}`;
        committedWhenSettled.push(
          nodes[i % 2]!.append('api.access', { interactionId, status: 200 }).then(async () => {
            const row = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE body::jsonb ->> 'interactionId' = ${interactionId}`.execute(store.db);
            return row.rows[0]!.n === 1;
          }),
        );
        if (i % 50 === 0) singles.push(appendAudit(store.db, 'login.succeeded', { customerId: `c-${i}` }));
      }
      assert.ok((await Promise.all(committedWhenSettled)).every(Boolean), 'every entry is in the log when its append resolves');
      await Promise.all(singles);
      assert.deepEqual(await verifyAuditChain(store.db), { intact: true, entries: ENTRIES + 300 + singles.length });
    });

    test('group commit: a batch is chained in the order of its appends, each body as audit_append writes it', async () => {
      await freshChain();
      const node = new AuditGroupCommit(store.db);
      // The first goes alone; the rest wait for it and go as one batch.
      const ids = Array.from({ length: 40 }, (_, i) => `order-${i}`);
      await Promise.all(ids.map((interactionId, i) => node.append('api.access', { interactionId, status: 200, accountId: i % 2 === 0 ? undefined : '100011234567' })));
      await appendAudit(store.db, 'api.access', { interactionId: 'single', status: 200, accountId: '100011234567' });
      const rows = await sql<{ seq: number; body: string }>`SELECT seq, body FROM audit_log WHERE seq > ${ENTRIES} ORDER BY seq`.execute(store.db);
      const bodies = rows.rows.map((row) => JSON.parse(row.body) as Record<string, unknown>);
      assert.deepEqual(bodies.map((body) => body.interactionId), [...ids, 'single']);
      const withoutTime = (body: string) => body.replace(/"at": "[^"]+", "seq": \d+, /, '');
      assert.equal(withoutTime(rows.rows[1]!.body).replace('order-1', 'single'), withoutTime(rows.rows.at(-1)!.body), 'same facts, same text either way');
      assert.deepEqual(await verifyAuditChain(store.db), { intact: true, entries: ENTRIES + ids.length + 1 });
    });

    test('an edited entry', async () => {
      await freshChain();
      await sql`UPDATE audit_log SET body = replace(body, '"status": 200', '"status": 403') WHERE seq = 5`.execute(store.db);
      const verdict = await verifyAuditChain(store.db);
      assert.equal(verdict.intact, false);
      assert.equal(!verdict.intact && verdict.seq, 5);
      const cli = await verifyWithCli();
      assert.equal(cli.code, 1);
      assert.match(cli.output, /entry 5 was edited/);
    });

    test('an edited entry whose hash was recomputed breaks the next link', async () => {
      await freshChain();
      await sql`UPDATE audit_log SET body = replace(body, '"status": 200', '"status": 403') WHERE seq = 5`.execute(store.db);
      await sql`UPDATE audit_log SET hash = encode(sha256(convert_to(prev_hash || body, 'UTF8')), 'hex') WHERE seq = 5`.execute(store.db);
      const verdict = await verifyAuditChain(store.db);
      assert.equal(!verdict.intact && verdict.seq, 6);
    });

    test('a deleted entry, and deleted newest entries', async () => {
      await freshChain();
      await sql`DELETE FROM audit_log WHERE seq = 7`.execute(store.db);
      const middle = await verifyAuditChain(store.db);
      assert.equal(!middle.intact && middle.seq, 7);
      assert.match(!middle.intact ? middle.problem : '', /missing/);
      await freshChain();
      await sql`DELETE FROM audit_log WHERE seq >= ${ENTRIES - 1}`.execute(store.db);
      const newest = await verifyAuditChain(store.db);
      assert.equal(newest.intact, false);
      assert.match(!newest.intact ? newest.problem : '', /newest entries were deleted/);
      const cli = await verifyWithCli();
      assert.equal(cli.code, 1);
    });

    test('two entries swapped', async () => {
      await freshChain();
      // Swap the contents of 3 and 4, each keeping its own hash: the row numbered 3 now holds entry 4.
      await sql`UPDATE audit_log a SET body = b.body, prev_hash = b.prev_hash, hash = b.hash
                FROM audit_log b WHERE (a.seq, b.seq) IN ((3, 4), (4, 3))`.execute(store.db);
      const verdict = await verifyAuditChain(store.db);
      assert.equal(!verdict.intact && verdict.seq, 3);
      const cli = await verifyWithCli();
      assert.equal(cli.code, 1);
      assert.match(cli.output, /entry 3/);
    });
  });
}
