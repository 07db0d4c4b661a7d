// `npm install` runs this (package.json `postinstall`): it opens a throwaway embedded store once, so that
// initdb and the migrations run now and leave their cluster as the template every fresh store starts from
// (pglite-template.ts); `npm start` on a fresh clone then skips them. On disk rather than in memory: a new
// data folder is what leaves the template unpacked for copying, too. It never fails an install: without a
// template the first start just does the work itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dataDir = mkdtempSync(join(tmpdir(), 'ginko-template-'));
try {
  const { openStore } = await import('./db.ts');
  const store = await openStore({ dataDir });
  await store.close();
} catch (error) {
  console.warn(`ginko: could not prepare the embedded database template (${error instanceof Error ? error.message : String(error)}); the first start will make it`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
