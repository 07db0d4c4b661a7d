// The store: one SQL dialect (PostgreSQL) on two drivers. Without DATABASE_URL the sandbox runs
// embedded PGlite in its data folder; with it, a pg pool. Every query goes through Kysely, so the
// code above this file never knows which driver it runs on.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { assertMigrated, migrateToLatest } from './migrations/index.ts';

export type Db = Kysely<Database>;

export interface Store {
  readonly db: Db;
  readonly driver: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export interface StoreOptions {
  /** PostgreSQL connection string; when absent the embedded store in `dataDir` is used. */
  databaseUrl?: string | undefined;
  /** Folder of the embedded store (PGlite keeps its files under `<dataDir>/pgdata`). */
  dataDir?: string | undefined;
  /** An in-memory embedded store, for tests that want a throwaway bank. */
  inMemory?: boolean;
  /** Upper bound on pooled PostgreSQL connections per node. */
  poolSize?: number;
  /** Apply pending migrations (default); when false, refuse to open a schema that lacks some. */
  migrate?: boolean;
  /**
   * Told when PostgreSQL drops a pooled connection (a restart, a failover, an administrator). The pool
   * replaces it on the next query; without a listener the error would end the process.
   */
  onConnectionLost?: (error: Error) => void;
}

/** Shared buffers of the embedded PostgreSQL (see openPGlite). */
const PGLITE_SHARED_BUFFERS = '16MB';
const PG_TYPE_INT8 = 20;
const PG_TYPE_DATE = 1082;

/** int8 columns hold yen amounts and serial ids; both stay far below 2^53, and we assert it. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} exceeds the safe integer range`);
  return value;
}

/** Calendar dates stay 'YYYY-MM-DD' strings: a JS Date would shift them by the process time zone. */
const parseDate = (text: string): string => text;

export async function openStore(options: StoreOptions): Promise<Store> {
  const store = options.databaseUrl ? openPostgres(options.databaseUrl, options.poolSize ?? 10, options.onConnectionLost ?? (() => {})) : await openPGlite(options);
  try {
    await (options.migrate === false ? assertMigrated(store.db) : migrateToLatest(store.db));
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

async function openPGlite(options: StoreOptions): Promise<Store> {
  let dataDir: string | undefined;
  if (!options.inMemory) {
    if (!options.dataDir) throw new Error('the embedded store needs a data folder (GINKO_DATA_DIR)');
    mkdirSync(options.dataDir, { recursive: true });
    dataDir = join(options.dataDir, 'pgdata');
  }
  const pglite = await PGlite.create(dataDir, {
    parsers: { [PG_TYPE_INT8]: parseInt8, [PG_TYPE_DATE]: parseDate },
    // PostgreSQL's default 128 MB of shared buffers live in PGlite's WASM memory and stay resident:
    // the idle sandbox took ~640 MiB (bench scenario 6). The sandbox's data is small, and the files
    // it reads stay in the OS page cache anyway.
    postgresqlconf: `shared_buffers = ${PGLITE_SHARED_BUFFERS}`,
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    driver: 'pglite',
    async close() {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

function openPostgres(connectionString: string, poolSize: number, onConnectionLost: (error: Error) => void): Store {
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === PG_TYPE_INT8) return parseInt8;
      if (oid === PG_TYPE_DATE) return parseDate;
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({ connectionString, max: poolSize, types: types as pg.CustomTypesConfig });
  // Idle clients report through the pool. A client lent out (say, idle inside a transaction) emits the
  // error on itself as well, where nobody listens: its next query fails and reports it, so here it is
  // only kept from ending the process.
  pool.on('error', onConnectionLost);
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    driver: 'postgres',
    async close() {
      await db.destroy();
    },
  };
}
