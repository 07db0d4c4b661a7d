// Walks the audit chain from the first entry and reports the first one that was edited, deleted or
// moved. The chain head row is checked last, so deleting the newest entries is caught too. (Someone
// who rewrites every later entry and the head is caught only against a head hash kept elsewhere.)
import type { Transaction } from 'kysely';
import type { Db } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { chainHash, GENESIS_HASH } from './audit-log.ts';

export type AuditVerdict = { intact: true; entries: number } | { intact: false; entries: number; seq: number; problem: string };

/** Entries read per query: bounds memory whatever the log's length. */
const BATCH_ENTRIES = 1000;

export async function verifyAuditChain(db: Db): Promise<AuditVerdict> {
  // One snapshot for the entries and the head: on a live bank other connections keep appending, and a head
  // read after the last batch would be ahead of the entries seen, which reads as deleted entries.
  return db.transaction().setIsolationLevel('repeatable read').execute((snapshot) => verifySnapshot(snapshot));
}

async function verifySnapshot(db: Transaction<Database>): Promise<AuditVerdict> {
  let expectedSeq = 1;
  let previousHash = GENESIS_HASH;
  for (;;) {
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>=', expectedSeq).orderBy('seq').limit(BATCH_ENTRIES).execute();
    for (const row of rows) {
      const broken = (problem: string): AuditVerdict => ({ intact: false, entries: expectedSeq - 1, seq: expectedSeq, problem });
      if (row.seq !== expectedSeq) return broken(`entry ${expectedSeq} is missing (deleted); the next is ${row.seq}`);
      if (row.prev_hash !== previousHash) return broken(`entry ${row.seq} does not follow entry ${row.seq - 1} (reordered, or an earlier entry rewritten)`);
      if (chainHash(row.prev_hash, row.body) !== row.hash) return broken(`entry ${row.seq} was edited: its hash does not match its content`);
      if (seqInBody(row.body) !== row.seq) return broken(`entry ${row.seq} holds the body of entry ${seqInBody(row.body)} (moved)`);
      expectedSeq += 1;
      previousHash = row.hash;
    }
    if (rows.length < BATCH_ENTRIES) break;
  }
  const head = await db.selectFrom('audit_chain_head').select(['seq', 'hash']).executeTakeFirst();
  const last = expectedSeq - 1;
  if (!head || head.seq !== last || head.hash !== previousHash) {
    return { intact: false, entries: last, seq: last + 1, problem: `the chain head says ${head?.seq ?? 'nothing'} entries but ${last} remain: the newest entries were deleted` };
  }
  return { intact: true, entries: last };
}

function seqInBody(body: string): unknown {
  try {
    return (JSON.parse(body) as { seq?: unknown }).seq;
  } catch {
    return undefined;
  }
}
