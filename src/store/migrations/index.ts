// Versioned migrations, applied in name order by Kysely's migrator on both drivers.
// Add a new file per change; never edit one that has shipped.
import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import * as m0001 from './0001_initial.ts';
import * as m0002 from './0002_transfers.ts';
import * as m0003 from './0003_security.ts';
import * as m0005 from './0005_customer_sessions.ts';
import * as m0007 from './0007_operators.ts';
import * as m0011 from './0011_tpp_deregistration.ts';
import * as m0012 from './0012_access_notices.ts';
import * as m0013 from './0013_deferred_audit_triggers.ts';
import * as m0014 from './0014_audit_batch_append.ts';
import * as m0016 from './0016_reserved_holds_by_account.ts';
import * as m0015 from './0015_post_journal_entry.ts';
import * as m0006 from './0006_passkeys.ts';
import * as m0009 from './0009_backchannel_approvals.ts';

const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_transfers': m0002,
  '0003_security': m0003,
  '0005_customer_sessions': m0005,
  '0007_operators': m0007,
  '0011_tpp_deregistration': m0011,
  '0012_access_notices': m0012,
  '0013_deferred_audit_triggers': m0013,
  '0014_audit_batch_append': m0014,
  '0016_reserved_holds_by_account': m0016,
  '0015_post_journal_entry': m0015,
  '0006_passkeys': m0006,
  '0009_backchannel_approvals': m0009,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

function migratorFor(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider, migrationTableName: 'ginko_migrations', migrationLockTableName: 'ginko_migrations_lock' });
}

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = migratorFor(db);
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * For nodes that do not migrate at start (GINKO_MIGRATE_ON_START=false): running this build on a
 * schema it does not know would fail later, in the middle of some request; refuse now instead.
 */
export async function assertMigrated(db: Kysely<any>): Promise<void> {
  const pending = (await migratorFor(db).getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
  if (pending.length > 0) {
    throw new Error(`the database lacks migration${pending.length > 1 ? 's' : ''} ${pending.join(', ')}: run \`npx ginko migrate\` with the same DATABASE_URL, or set GINKO_MIGRATE_ON_START=true`);
  }
}
