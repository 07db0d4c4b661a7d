// The rows of oidc-provider's models in `oidc_models`: how they are written and deleted, by the adapter
// directly or, several at once, by a request's buffered writes (request-writes.ts).
import assert from 'node:assert/strict';
import type { OnConflictBuilder, QueryCreator } from 'kysely';
import type { Db } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { preparedQuery } from '../store/prepared-statements.ts';

export interface ModelRow {
  model: string;
  id: string;
  /** The payload as JSON text, as it was when saved. */
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: Date | null;
}

export async function writeModelRow(db: Db, row: ModelRow): Promise<void> {
  await writeModelRows(db, [row], []);
}

/**
 * Upserts `rows` and deletes `deleted` in one statement (one round trip, one commit). The keys must be
 * distinct across both: a statement cannot touch one row twice.
 */
export async function writeModelRows(db: Db, rows: readonly ModelRow[], deleted: readonly { model: string; id: string }[]): Promise<void> {
  const keys = [...rows, ...deleted].map(({ model, id }) => `${model}\u0000${id}`);
  assert.equal(new Set(keys).size, keys.length, 'each row at most once per statement');
  const deleting = (qb: QueryCreator<Database>) => qb.deleteFrom('oidc_models').where((eb) => eb.or(deleted.map(({ model, id }) => eb.and([eb('model', '=', model), eb('id', '=', id)]))));
  if (rows.length === 0) {
    if (deleted.length > 0) await deleting(db).execute();
    return;
  }
  // One row alone is the common case (a request that saves one model): a text that never varies, prepared.
  if (deleted.length === 0 && rows.length === 1) await db.executeQuery(preparedQuery(db.insertInto('oidc_models').values(rows[0]!).onConflict(replaceRow).compile()));
  else if (deleted.length === 0) await db.insertInto('oidc_models').values([...rows]).onConflict(replaceRow).execute();
  else await db.with('deleted', deleting).insertInto('oidc_models').values([...rows]).onConflict(replaceRow).execute();
}

/** An upserted row takes the new version's every column (the payload from `excluded`, the proposed row). */
function replaceRow(oc: OnConflictBuilder<Database, 'oidc_models'>) {
  return oc.columns(['model', 'id']).doUpdateSet((eb) => ({
    payload: eb.ref('excluded.payload'),
    grant_id: eb.ref('excluded.grant_id'),
    uid: eb.ref('excluded.uid'),
    user_code: eb.ref('excluded.user_code'),
    expires_at: eb.ref('excluded.expires_at'),
  }));
}

export async function deleteModelRow(db: Db, model: string, id: string): Promise<void> {
  await writeModelRows(db, [], [{ model, id }]);
}
