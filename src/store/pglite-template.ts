// A fresh embedded store starts from a copy of a cluster that already holds the schema, instead of running
// initdb and every migration: initdb in WASM took 11 s of the sandbox's 11.5 s cold start (bench/profiles.md,
// scenario 6), and the migrations several more; the copy takes about one. The first fresh store on a machine
// (or `npm install`, through prepare-template.ts) does the work and keeps the result under node_modules/.cache,
// named after the PGlite version and a hash of the migration files, so any change to either makes a new one;
// every later fresh store (a new data folder, an in-memory test store) starts from it. The copy is taken right
// after the migrations, before anything else writes: it holds the schema and nothing of any bank.
// It is kept twice: as PGlite's archive, which an in-memory store loads (it has no folder to copy into), and
// unpacked, which a new data folder copies file by file before PGlite opens it as on a restart. PGlite's own
// loading inflates the 4.8 MB archive to 83 MB in the process and copies every file out of it: the sandbox
// stayed ~200 MiB larger after a cold start than after a restart (bench scenario 6).
import { createHash } from 'node:crypto';
import { constants, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { unpackTarGz } from './unpack-tar.ts';

/** node_modules/@electric-sql/pglite (its entry point is dist/index.js). */
const PGLITE_FOLDER = join(dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite'))), '..');
/** node_modules/.cache/ginko, beside the PGlite that writes it: a reinstall starts again. */
const CACHE_FOLDER = join(PGLITE_FOLDER, '..', '..', '.cache', 'ginko');
const MIGRATIONS_FOLDER = join(import.meta.dirname, 'migrations');
const ARCHIVE_EXTENSION = '.tar.gz';
/** A kept template: its archive (for in-memory stores) or the same cluster unpacked (copied into a new data folder). */
const TEMPLATE_PATTERN = /^pglite-.+-schema-[0-9a-f]+(\.tar\.gz)?$/;
/** Templates kept at most (the newest). */
const TEMPLATES_KEPT = 4;

let templateBase: string | undefined;

/** The template's name without extension: `<base>.tar.gz` is the archive, `<base>` the same cluster unpacked. */
function templateBaseName(): string {
  if (templateBase) return templateBase;
  const pgliteVersion = (JSON.parse(readFileSync(join(PGLITE_FOLDER, 'package.json'), 'utf8')) as { version: string }).version;
  const schema = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_FOLDER).sort()) schema.update(file).update(readFileSync(join(MIGRATIONS_FOLDER, file)));
  templateBase = join(CACHE_FOLDER, `pglite-${pgliteVersion}-schema-${schema.digest('hex').slice(0, 16)}`);
  return templateBase;
}

const archiveOf = (base: string) => `${base}${ARCHIVE_EXTENSION}`;

/** The migrated, empty cluster to start from, if one was kept for this PGlite and these migrations. */
export function clusterTemplate(): Blob | undefined {
  try {
    return new Blob([readFileSync(archiveOf(templateBaseName()))]);
  } catch {
    return undefined;
  }
}

/**
 * Fills `pgdata` (which must not exist yet) with a copy of the migrated, empty cluster, if one was kept for
 * this PGlite and these migrations; false when none was, or it could not be read (the caller then makes one).
 */
export async function copyClusterTemplate(pgdata: string): Promise<boolean> {
  const base = templateBaseName();
  // Copied aside and renamed: a start cut short leaves no half cluster where the next start looks.
  const partial = `${pgdata}.${process.pid}.partial`;
  try {
    if (!existsSync(base)) await unpackAside(archiveOf(base), base);
    // Synchronous: Node's native copy, about half the CPU of fs.promises.cp, and nothing else waits on this
    // thread meanwhile. A copy-on-write file system clones the files instead.
    cpSync(base, partial, { recursive: true, errorOnExist: true, force: false, mode: constants.COPYFILE_FICLONE });
    renameSync(partial, pgdata);
    return true;
  } catch {
    rmSync(partial, { recursive: true, force: true });
    return false;
  }
}

/** Unpacks `archive` into the folder `into`, whole or not at all. */
async function unpackAside(archive: string, into: string): Promise<void> {
  const partial = `${into}.${process.pid}.partial`;
  mkdirSync(partial, { recursive: true });
  try {
    await unpackTarGz(archive, partial);
    // Another process may have unpacked the same template meanwhile: theirs is as good.
    if (!existsSync(into)) renameSync(partial, into);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

/** Keeps a just-migrated, still empty cluster for the next fresh store. Best effort: a read-only install just does the work each time. */
export async function keepClusterTemplate(pglite: PGlite): Promise<void> {
  try {
    const base = templateBaseName();
    const file = archiveOf(base);
    const archive = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
    mkdirSync(CACHE_FOLDER, { recursive: true });
    // Written aside and renamed: another process starting at the same time never reads half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, archive);
    renameSync(partial, file);
    if (!existsSync(base)) await unpackAside(file, base);
    forgetOldTemplates();
  } catch {
    // Nothing lost but time on the next fresh start.
  }
}

/** Older schemas go, but not the last few: checkouts of other branches may share this node_modules. */
function forgetOldTemplates(): void {
  const newestFirst = readdirSync(CACHE_FOLDER)
    .filter((name) => TEMPLATE_PATTERN.test(name))
    .map((name) => join(CACHE_FOLDER, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const keptBases = new Set<string>();
  for (const path of newestFirst) {
    const base = path.endsWith(ARCHIVE_EXTENSION) ? path.slice(0, -ARCHIVE_EXTENSION.length) : path;
    if (keptBases.size < TEMPLATES_KEPT) keptBases.add(base);
    if (!keptBases.has(base)) rmSync(path, { recursive: true, force: true });
  }
}
