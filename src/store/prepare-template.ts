// `npm install` runs this (package.json `postinstall`): it opens a throwaway embedded store once, so that
// initdb and the migrations run now and leave their cluster as the template every fresh store starts from
// (pglite-template.ts); `npm start` on a fresh clone then skips them. It never fails an install: without a
// template the first start just does the work itself.
try {
  const { openStore } = await import('./db.ts');
  const store = await openStore({ inMemory: true });
  await store.close();
} catch (error) {
  console.warn(`ginko: could not prepare the embedded database template (${error instanceof Error ? error.message : String(error)}); the first start will make it`);
}
