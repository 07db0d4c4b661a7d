// The store: one SQL dialect (PostgreSQL) on two drivers. Without DATABASE_URL the sandbox runs
// embedded PGlite in its data folder; with it, a pg pool. Every query goes through Kysely, so the
// code above this file never knows which driver it runs on.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { assertMigrated, migrateToLatest } from './migrations/index.ts';
import { clusterTemplate, keepClusterTemplate, copyClusterTemplate } from './pglite-template.ts';
import { PreparingClient } from './prepared-statements.ts';

export type Db = Kysely<Database>;

export interface Store {
  readonly db: Db;
  readonly driver: 'pglite' | 'postgres';
  /**
   * LISTENs on `channel` on a connection of its own (PostgreSQL) or in process (PGlite). `lost` is told
   * once if that connection fails; the caller listens again (store/notices.ts does, with back-off).
   */
  listen(channel: string, notified: (payload: string) => void, lost: (error: Error) => void): Promise<NoticeListener>;
  close(): Promise<void>;
}

export interface NoticeListener {
  /** Resolves when the connection answers a query; rejects when it cannot (a silently dead connection). */
  ping(): Promise<void>;
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
  const embedded = options.databaseUrl ? undefined : await openPGlite(options);
  const store = embedded?.store ?? openPostgres(options.databaseUrl!, options.poolSize ?? 10, options.onConnectionLost ?? (() => {}));
  try {
    await (options.migrate === false ? assertMigrated(store.db) : migrateToLatest(store.db));
    // Before anything else writes: the next fresh embedded store starts from this one (pglite-template.ts).
    if (embedded?.initialised) await keepClusterTemplate(embedded.pglite);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/** `initialised`: the cluster was made here by initdb, not unpacked from a template. */
async function openPGlite(options: StoreOptions): Promise<{ store: Store; pglite: PGlite; initialised: boolean }> {
  let dataDir: string | undefined;
  if (!options.inMemory) {
    if (!options.dataDir) throw new Error('the embedded store needs a data folder (GINKO_DATA_DIR)');
    mkdirSync(options.dataDir, { recursive: true });
    dataDir = join(options.dataDir, 'pgdata');
  }
  const fresh = dataDir === undefined || !existsSync(join(dataDir, 'PG_VERSION'));
  // A new folder on disk is filled with the template's files before PGlite opens it (pglite-template.ts).
  const copied = fresh && dataDir !== undefined && !existsSync(dataDir) && (await copyClusterTemplate(dataDir));
  const template = fresh && !copied ? clusterTemplate() : undefined;
  const pglite = await PGlite.create(dataDir, {
    ...(template ? { loadDataDir: template } : {}),
    parsers: { [PG_TYPE_INT8]: parseInt8, [PG_TYPE_DATE]: parseDate },
    // PostgreSQL's default 128 MB of shared buffers live in PGlite's WASM memory and stay resident:
    // the idle sandbox took ~640 MiB (bench scenario 6). The sandbox's data is small, and the files
    // it reads stay in the OS page cache anyway.
    postgresqlconf: `shared_buffers = ${PGLITE_SHARED_BUFFERS}`,
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  const store: Store = {
    db,
    driver: 'pglite',
    // In process: nothing to lose, and notices arrive as the committing query returns.
    async listen(channel, notified) {
      const unlisten = await pglite.listen(channel, notified);
      return { ping: async () => {}, close: async () => (pglite.closed ? undefined : unlisten()) };
    },
    async close() {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
  return { store, pglite, initialised: fresh && !copied && !template };
}

function openPostgres(connectionString: string, poolSize: number, onConnectionLost: (error: Error) => void): Store {
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === PG_TYPE_INT8) return parseInt8;
      if (oid === PG_TYPE_DATE) return parseDate;
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({ connectionString, max: poolSize, types: types as pg.CustomTypesConfig, Client: PreparingClient });
  // Idle clients report through the pool. A client lent out (say, idle inside a transaction) emits the
  // error on itself as well, where nobody listens: its next query fails and reports it, so here it is
  // only kept from ending the process.
  pool.on('error', onConnectionLost);
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    driver: 'postgres',
    listen: (channel, notified, lost) => listenOnOwnConnection(connectionString, channel, notified, lost),
    async close() {
      await db.destroy();
    },
  };
}

/** What a LISTEN connection calls itself in pg_stat_activity (operators, and the test that kills it, find it by this). */
export const LISTENER_APPLICATION_NAME = 'ginko-notices';

async function listenOnOwnConnection(connectionString: string, channel: string, notified: (payload: string) => void, lost: (error: Error) => void): Promise<NoticeListener> {
  // Not from the pool: a pooled connection is lent to queries and given back, and LISTEN belongs to a session.
  const client = new pg.Client({ connectionString, application_name: LISTENER_APPLICATION_NAME, keepAlive: true });
  let closing = false;
  const fail = (error: Error) => {
    if (closing) return;
    closing = true;
    client.removeAllListeners('notification');
    client.end().catch(() => {});
    lost(error);
  };
  client.on('error', fail);
  client.on('end', () => fail(new Error('the LISTEN connection ended')));
  client.on('notification', (message) => {
    if (message.channel === channel) notified(message.payload ?? '');
  });
  try {
    await client.connect();
    await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
  } catch (error) {
    closing = true;
    await client.end().catch(() => {});
    throw error;
  }
  return {
    ping: async () => {
      await client.query('SELECT 1');
    },
    async close() {
      if (closing) return;
      closing = true;
      await client.end();
    },
  };
}
