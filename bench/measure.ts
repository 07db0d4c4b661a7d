// The one measurement helper every scenario uses: closed-loop load with bounded count and time,
// latency percentiles, sequential timing, resident memory, and running a load job in a worker thread
// (so the load generator has its own core and does not steal the server's event loop).
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Client } from 'undici';

export interface LoadResult {
  /** Requests (or operations) completed in the timed phase, errors included. */
  count: number;
  errors: number;
  /** First error seen, for the report. */
  firstError?: string | undefined;
  durationMs: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Every latency, when the bounds asked to keep them (to merge rounds). */
  latenciesMs?: number[];
}

export interface LoopBounds {
  /** Operations in flight at once (connections, flows). */
  concurrency: number;
  /** Timed phase: stops after this long... */
  durationMs: number;
  /** ...or after this many operations, whichever comes first. */
  maxCount: number;
  /** Untimed warm-up before the timed phase (same bounds apply to it, scaled). */
  warmupMs?: number;
  /** Return every latency too (see mergeResults). */
  keepLatencies?: boolean;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(latenciesMs: number[], durationMs: number, errors: number, firstError?: string): LoadResult {
  const sorted = Float64Array.from(latenciesMs).sort();
  const arr = Array.from(sorted);
  return {
    count: latenciesMs.length,
    errors,
    firstError,
    durationMs,
    perSecond: durationMs > 0 ? (latenciesMs.length - errors) / (durationMs / 1000) : 0,
    p50Ms: percentile(arr, 50),
    p95Ms: percentile(arr, 95),
    p99Ms: percentile(arr, 99),
    maxMs: arr.at(-1) ?? Number.NaN,
  };
}

/**
 * Runs `operation` from `concurrency` loops until the time or count bound is reached; each loop starts
 * its next operation when the previous one ends (closed loop). `operation` gets a running index and
 * the loop number; a thrown error counts as an error, not a stop.
 */
export async function closedLoop(operation: (index: number, loop: number) => Promise<void>, bounds: LoopBounds): Promise<LoadResult> {
  if (bounds.warmupMs) await phase(operation, { ...bounds, durationMs: bounds.warmupMs, maxCount: Math.ceil(bounds.maxCount / 10) }, false);
  return phase(operation, bounds, true);
}

async function phase(operation: (index: number, loop: number) => Promise<void>, bounds: LoopBounds, record: boolean): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let started = 0;
  const start = performance.now();
  const deadline = start + bounds.durationMs;
  const loops = Array.from({ length: bounds.concurrency }, async (_, loop) => {
    while (started < bounds.maxCount && performance.now() < deadline) {
      const index = started++;
      const t0 = performance.now();
      try {
        await operation(index, loop);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      if (record) latencies.push(performance.now() - t0);
    }
  });
  await Promise.all(loops);
  const result = summarize(latencies, performance.now() - start, errors, firstError);
  return bounds.keepLatencies ? { ...result, latenciesMs: latencies } : result;
}

/** Rounds measured apart (each with kept latencies) as one: their time added, their latencies pooled. */
export function mergeResults(rounds: readonly LoadResult[]): LoadResult {
  const latencies = rounds.flatMap((r) => r.latenciesMs ?? []);
  const durationMs = rounds.reduce((sum, r) => sum + r.durationMs, 0);
  const errors = rounds.reduce((sum, r) => sum + r.errors, 0);
  return summarize(latencies, durationMs, errors, rounds.find((r) => r.firstError)?.firstError);
}

/** Times `operation` one call after another: `count` calls at most, `maxMs` in all at most, after an untimed warm-up. */
export async function sequential(operation: () => Promise<unknown>, count: number, maxMs: number, warmupMs = 0): Promise<LoadResult> {
  return closedLoop(async () => void (await operation()), { concurrency: 1, durationMs: maxMs, maxCount: count, warmupMs });
}

export interface HttpLoad extends LoopBounds {
  origin: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** POST bodies, each sent once (an authorization code works once); the count bound is their number. */
  bodies?: string[];
  /** With bodies: how many of them warm the connections up, untimed, before the timed phase. */
  warmupBodies?: number;
  expectStatus: number;
  tls: { ca: string; cert?: string; key?: string };
}

/**
 * HTTP/1.1 load over TLS with keep-alive: one undici Client (one connection) per concurrent loop, so
 * `concurrency` is the number of connections. Every response body is read in full.
 */
export async function httpLoad(load: HttpLoad): Promise<LoadResult> {
  const clients = Array.from(
    { length: load.concurrency },
    () => new Client(load.origin, { connect: { ...load.tls, rejectUnauthorized: true }, pipelining: 1, keepAliveTimeout: 30_000 }),
  );
  const bodies = load.bodies;
  let nextBody = 0;
  const maxCount = bodies ? Math.min(load.maxCount, bodies.length) : load.maxCount;
  const operation = async (_index: number, loop: number) => {
    const body = bodies ? bodies[nextBody++] : undefined;
    if (bodies && body === undefined) throw new Error('out of request bodies');
    const response = await clients[loop]!.request({ method: load.method, path: load.path, headers: load.headers, body });
    const text = await response.body.text();
    if (response.statusCode !== load.expectStatus) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
  };
  try {
    if (!bodies) return await closedLoop(operation, { ...load, maxCount });
    // Single-use bodies: the warm-up spends the first few, on the same connections.
    const warm = Math.min(load.warmupBodies ?? 0, maxCount);
    if (warm > 0) await closedLoop(operation, { concurrency: load.concurrency, durationMs: load.durationMs, maxCount: warm });
    return await closedLoop(operation, { ...load, maxCount: maxCount - warm, warmupMs: 0 });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/**
 * Calls `exportName(params)` of `module` in a worker thread and returns its result. The worker
 * inherits this process's loader (tsx), so the module may be TypeScript.
 */
export function inWorker<T>(module: URL, exportName: string, params: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { workerData: { module: module.href, exportName, params } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`worker ${exportName} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    worker.once('message', (message: { ok: true; result: T } | { ok: false; error: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (message.ok) resolve(message.result);
      else reject(new Error(`worker ${exportName}: ${message.error}`));
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Resident set size of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number = process.pid): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return kib / 1024;
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak. */
export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let peak = rssMiB(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      // the process ended; keep the peak seen
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export const round = (value: number, digits = 1): number => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);
