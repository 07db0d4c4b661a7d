// Runs work in the caller's transaction when there is one (so an idempotency record and the operation
// it guards commit together), otherwise in a new one. Kysely cannot nest transactions.
import type { Db } from './db.ts';

export function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}
