// `npm run bench` — every scenario measured side by side with its baseline in one run; writes
// bench/results/results.{md,json}, bench/results/chart.svg and the README's results section.
//   npm run bench -- --quick        a much shorter run (also GINKO_BENCH_QUICK=1)
//   npm run bench -- --only=1,4     only these scenarios (results are then not written to the README)
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { apiReadScenario } from './api-read.ts';
import { startBenchBank, type BenchBank } from './bank.ts';
import { barChart } from './chart.ts';
import { footprintScenario } from './footprint.ts';
import { historyScenario } from './history.ts';
import { linkingScenario } from './linking.ts';
import { markdownReport, updateReadme, type BenchContext, type ScenarioResult } from './report.ts';
import { tokenScenario } from './token.ts';
import { transfersScenario } from './transfers.ts';

const RESULTS_DIR = join(import.meta.dirname, 'results');
const README = join(import.meta.dirname, '..', 'README.md');
/** The whole run must end by itself: a scenario that hangs fails the run instead. */
const SCENARIO_TIMEOUT_MS = 5 * 60_000;

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = values.quick || process.env.GINKO_BENCH_QUICK === '1';
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
const started = performance.now();
const ctx: BenchContext = { quick, log: (message) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`) };

// Scenarios 1–3 share one bank on PostgreSQL; 4–6 make their own (1M postings; transfers; the sandbox CLI).
let shared: Promise<BenchBank> | undefined;
const sharedBank = () => (shared ??= startBenchBank());

const SCENARIOS: { id: string; title: string; run: () => Promise<ScenarioResult> }[] = [
  { id: '1', title: 'bank API read', run: async () => apiReadScenario(ctx, await sharedBank()) },
  { id: '2', title: 'token endpoint', run: async () => tokenScenario(ctx, await sharedBank()) },
  { id: '3', title: 'whole linking flow', run: async () => linkingScenario(ctx, await sharedBank()) },
  { id: '4', title: 'transaction history, 1M postings', run: () => historyScenario(ctx) },
  { id: '5', title: 'transfers', run: () => transfersScenario(ctx) },
  { id: '6', title: 'footprint', run: () => footprintScenario(ctx) },
];

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const results: ScenarioResult[] = [];
let failed = false;
try {
  for (const scenario of SCENARIOS) {
    if (only && !only.has(scenario.id)) continue;
    ctx.log(`scenario ${scenario.id}: ${scenario.title}`);
    try {
      results.push(await withTimeout(scenario.run(), SCENARIO_TIMEOUT_MS, `scenario ${scenario.id}`));
    } catch (error) {
      failed = true;
      console.error(`scenario ${scenario.id} failed:`, error);
      const name = `${scenario.id}. ${scenario.title}`;
      results.push({ id: scenario.id, title: name, rows: [{ scenario: name, metric: 'failed', ginko: String((error as Error).message).slice(0, 120), baseline: '', ratio: '', target: '', status: 'missed' }], charts: [], data: { error: String(error) }, notes: [] });
    }
  }
} finally {
  if (shared) await (await shared).stop();
}

const elapsedS = (performance.now() - started) / 1000;
const meta = {
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  machine: `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  mode: quick ? 'quick run' : 'full run',
  elapsed: `${Math.floor(elapsedS / 60)} min ${Math.round(elapsedS % 60)} s`,
};
const report = markdownReport(results, meta);
console.log(`\n${report}`);

mkdirSync(RESULTS_DIR, { recursive: true });
const suffix = quick || only ? '-quick' : '';
writeFileSync(join(RESULTS_DIR, `results${suffix}.md`), `# Ginko benchmarks\n\n${report}`);
writeFileSync(join(RESULTS_DIR, `results${suffix}.json`), `${JSON.stringify({ meta, results: results.map(({ id, title, data, rows, notes }) => ({ id, title, rows, notes, data })) }, null, 2)}\n`);
writeFileSync(join(RESULTS_DIR, `chart${suffix}.svg`), barChart(`Ginko vs baselines — ${meta.date}, ${meta.mode}`, results.flatMap((r) => r.charts)));
if (!quick && !only) {
  const section = `${report}\n![Ginko against its baselines](bench/results/chart.svg)\n`;
  if (!updateReadme(README, section)) console.warn('README.md has no bench markers; results section not updated');
}
ctx.log(`results written to ${RESULTS_DIR}`);
process.exitCode = failed ? 1 : 0;
