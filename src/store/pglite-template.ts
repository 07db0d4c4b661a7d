// A fresh embedded store starts from a copy of an empty PostgreSQL cluster instead of running initdb:
// initdb in WASM took 11 s of the sandbox's 11.5 s cold start (bench/profiles.md, scenario 6), and the
// copy takes about one. The first fresh store on a machine runs initdb and keeps its result, per PGlite
// version, under node_modules/.cache; every later one (a new data folder, an in-memory test store) is
// unpacked from it. The copy is taken before any migration, so it never holds an old schema.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';

/** node_modules/@electric-sql/pglite (its entry point is dist/index.js). */
const PGLITE_FOLDER = join(dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite'))), '..');
const PGLITE_VERSION = (JSON.parse(readFileSync(join(PGLITE_FOLDER, 'package.json'), 'utf8')) as { version: string }).version;
/** node_modules/.cache, beside the PGlite that wrote it: a reinstall or upgrade starts again. */
const TEMPLATE_FILE = join(PGLITE_FOLDER, '..', '..', '.cache', 'ginko', `pglite-${PGLITE_VERSION}-empty-cluster.tar.gz`);

/** The empty cluster to start from, if one was kept. */
export function emptyClusterTemplate(): Blob | undefined {
  try {
    return new Blob([readFileSync(TEMPLATE_FILE)]);
  } catch {
    return undefined;
  }
}

/** Keeps a just-initialised, still empty cluster for the next fresh store. Best effort: a read-only install just keeps running initdb. */
export async function keepEmptyClusterTemplate(pglite: PGlite): Promise<void> {
  try {
    const archive = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
    mkdirSync(dirname(TEMPLATE_FILE), { recursive: true });
    // Written aside and renamed: another process starting at the same time never reads half a file.
    const partial = `${TEMPLATE_FILE}.${process.pid}.partial`;
    writeFileSync(partial, archive);
    renameSync(partial, TEMPLATE_FILE);
  } catch {
    // Nothing lost but time on the next fresh start.
  }
}
