// Group commit for audit entries that are not part of a larger transaction (every bank API call is one).
// Appending one entry per call serialised every call on the chain-head row, one commit each. Here the
// entries that arrive while a batch is being written wait, and go together as the next batch: one
// statement, one commit, one read and one write of the head row. A caller's promise settles only when
// its entry is committed (or its batch failed), so a response waiting on it is never sent ahead of its
// audit entry.
// Alone, an entry is written at once; the batches grow only with the load.
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';
import { preparedQuery } from '../store/prepared-statements.ts';
import { assertFactsFit, type AuditAction, type AuditFacts } from './audit-log.ts';

/** Entries per statement: keeps one statement's parameters and the head row's hold short. */
const BATCH_ENTRIES_MAX = 500;
/** Entries waiting at most; beyond it the store is not keeping up and callers are refused at once. */
const PENDING_ENTRIES_MAX = 20_000;

interface Pending {
  action: AuditAction;
  facts: AuditFacts;
  settle: (error?: unknown) => void;
}

export class AuditBacklogError extends Error {
  constructor() {
    super(`more than ${PENDING_ENTRIES_MAX} audit entries wait to be written`);
  }
}

export class AuditGroupCommit {
  private pending: Pending[] = [];
  /** The batches being written, until the queue is empty. */
  private writing: Promise<void> | undefined;

  constructor(private readonly db: Db) {}

  /** Resolves once the entry is committed in the chain; rejects if it could not be. */
  append(action: AuditAction, facts: AuditFacts): Promise<void> {
    assertFactsFit(facts);
    if (this.pending.length >= PENDING_ENTRIES_MAX) return Promise.reject(new AuditBacklogError());
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ action, facts, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      this.writing ??= this.writeAll();
    });
  }

  /** Resolves once every entry appended so far is written (or failed): before the store closes. */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async writeAll(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, BATCH_ENTRIES_MAX);
      const entries = JSON.stringify(batch.map(({ action, facts }) => ({ action, facts })));
      try {
        // One statement is one transaction; audit_append_batch (migration 0014) takes the chain head once
        // and chains the entries in array order. Prepared: at low load every entry is a batch of its own.
        await this.db.executeQuery(preparedQuery(sql`SELECT audit_append_batch(${entries}::jsonb)`.compile(this.db)));
        for (const entry of batch) entry.settle();
      } catch (error) {
        for (const entry of batch) entry.settle(error);
      }
    }
    this.writing = undefined;
  }
}
