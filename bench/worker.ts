// Worker-thread entry of measure.ts inWorker(): imports a module, calls one export, posts the result.
import { parentPort, workerData } from 'node:worker_threads';

const { module, exportName, params } = workerData as { module: string; exportName: string; params: unknown };
try {
  const loaded = (await import(module)) as Record<string, (params: unknown) => Promise<unknown>>;
  const run = loaded[exportName];
  if (typeof run !== 'function') throw new Error(`${module} has no export ${exportName}`);
  parentPort!.postMessage({ ok: true, result: await run(params) });
} catch (error) {
  parentPort!.postMessage({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
