// A fresh embedded store starts from a copy of a cluster that already holds the schema, instead of running
// initdb and every migration: initdb in WASM took 11 s of the sandbox's 11.5 s cold start (bench/profiles.md,
// scenario 6), and the migrations several more; the copy takes about one. The first fresh store on a machine
// (or `npm install`, through prepare-template.ts) does the work and keeps the result under node_modules/.cache, named after the PGlite version and a hash
// of the migration files, so any change to either makes a new one; every later fresh store (a new data
// folder, an in-memory test store) is unpacked from it. The copy is taken right after the migrations,
// before anything else writes: it holds the schema and nothing of any bank.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';

/** node_modules/@electric-sql/pglite (its entry point is dist/index.js). */
const PGLITE_FOLDER = join(dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite'))), '..');
/** node_modules/.cache/ginko, beside the PGlite that writes it: a reinstall starts again. */
const CACHE_FOLDER = join(PGLITE_FOLDER, '..', '..', '.cache', 'ginko');
const MIGRATIONS_FOLDER = join(import.meta.dirname, 'migrations');
const TEMPLATE_PATTERN = /^pglite-.+-schema-[0-9a-f]+\.tar\.gz$/;
/** Templates kept at most (the newest). */
const TEMPLATES_KEPT = 4;

let templateFile: string | undefined;

function templateFileName(): string {
  if (templateFile) return templateFile;
  const pgliteVersion = (JSON.parse(readFileSync(join(PGLITE_FOLDER, 'package.json'), 'utf8')) as { version: string }).version;
  const schema = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_FOLDER).sort()) schema.update(file).update(readFileSync(join(MIGRATIONS_FOLDER, file)));
  templateFile = join(CACHE_FOLDER, `pglite-${pgliteVersion}-schema-${schema.digest('hex').slice(0, 16)}.tar.gz`);
  return templateFile;
}

/** The migrated, empty cluster to start from, if one was kept for this PGlite and these migrations. */
export function clusterTemplate(): Blob | undefined {
  try {
    return new Blob([readFileSync(templateFileName())]);
  } catch {
    return undefined;
  }
}

/** Keeps a just-migrated, still empty cluster for the next fresh store. Best effort: a read-only install just does the work each time. */
export async function keepClusterTemplate(pglite: PGlite): Promise<void> {
  try {
    const file = templateFileName();
    const archive = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
    mkdirSync(CACHE_FOLDER, { recursive: true });
    // Written aside and renamed: another process starting at the same time never reads half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, archive);
    renameSync(partial, file);
    // Older schemas go, but not the last few: checkouts of other branches may share this node_modules.
    const kept = readdirSync(CACHE_FOLDER).filter((name) => TEMPLATE_PATTERN.test(name)).map((name) => join(CACHE_FOLDER, name));
    kept.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    for (const old of kept.slice(TEMPLATES_KEPT)) rmSync(old, { force: true });
  } catch {
    // Nothing lost but time on the next fresh start.
  }
}
