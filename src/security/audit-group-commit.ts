// Group commit for audit entries that are not part of a larger transaction (every bank API call is one).
// Appending one entry per call serialised every call on the chain-head row, one commit each. Here the
// entries that arrive while a batch is being written wait, and go together as the next batch: one
// statement, one commit, one read and one write of the head row. A caller's promise settles only when
// its entry is committed (or its batch failed), so a response waiting on it is never sent ahead of its
// audit entry.
// Alone, an entry is written at once; the batches grow only with the load.
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';
import { GroupBatches } from '../store/group-batches.ts';
import { preparedQuery } from '../store/prepared-statements.ts';
import { assertFactsFit, type AuditAction, type AuditFacts } from './audit-log.ts';

/** Entries per statement: keeps one statement's parameters and the head row's hold short. */
const BATCH_ENTRIES_MAX = 500;
/** Entries waiting at most; beyond it the store is not keeping up and callers are refused at once. */
const PENDING_ENTRIES_MAX = 20_000;

interface AuditEntry {
  action: AuditAction;
  facts: AuditFacts;
}

export class AuditGroupCommit {
  private readonly batches: GroupBatches<AuditEntry, void>;

  constructor(db: Db) {
    this.batches = new GroupBatches((entries) => writeBatch(db, entries), { batchMax: BATCH_ENTRIES_MAX, pendingMax: PENDING_ENTRIES_MAX, what: 'audit entries' });
  }

  /** Resolves once the entry is committed in the chain; rejects if it could not be. */
  append(action: AuditAction, facts: AuditFacts): Promise<void> {
    assertFactsFit(facts);
    return this.batches.submit({ action, facts });
  }

  /** Resolves once every entry appended so far is written (or failed): before the store closes. */
  settled(): Promise<void> {
    return this.batches.settled();
  }
}

async function writeBatch(db: Db, entries: readonly AuditEntry[]): Promise<void[]> {
  // One statement is one transaction; audit_append_batch (migration 0014) takes the chain head once
  // and chains the entries in array order. Prepared: at low load every entry is a batch of its own.
  await db.executeQuery(preparedQuery(sql`SELECT audit_append_batch(${JSON.stringify(entries)}::jsonb)`.compile(db)));
  return entries.map(() => undefined);
}
