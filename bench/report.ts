// What a scenario hands the runner, and how the runner renders it: one markdown table for all
// scenarios, the JSON of every raw number, and the README section between its markers.
import { readFileSync, writeFileSync } from 'node:fs';

export type Status = 'met' | 'missed' | 'not measured' | '';

/** One line of the results table. */
export interface Row {
  scenario: string;
  metric: string;
  ginko: string;
  baseline: string;
  ratio: string;
  target: string;
  status: Status;
}

/** One panel of the chart: bars on their own scale, with an optional limit line (the target). */
export interface ChartGroup {
  title: string;
  unit: string;
  bars: { label: string; value: number; kind: 'ginko' | 'baseline' }[];
  limit?: { value: number; label: string };
}

export interface ScenarioResult {
  id: string;
  title: string;
  rows: Row[];
  charts: ChartGroup[];
  /** Every raw number, for the JSON file. */
  data: Record<string, unknown>;
  notes: string[];
}

export interface BenchContext {
  quick: boolean;
  log(message: string): void;
}

export const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : 'n/a');

export const ratioOf = (ginko: number, baseline: number): number => (baseline > 0 ? ginko / baseline : Number.NaN);

export const met = (ok: boolean): Status => (ok ? 'met' : 'missed');

export function markdownTable(results: readonly ScenarioResult[]): string {
  const header = '| Scenario | Metric | Ginko | Baseline | Ratio | Target | Status |\n| --- | --- | ---: | ---: | ---: | --- | --- |';
  const lines = results.flatMap((r) =>
    r.rows.map((row) => `| ${row.scenario} | ${row.metric} | ${row.ginko} | ${row.baseline} | ${row.ratio} | ${row.target} | ${row.status === 'missed' ? '**missed**' : row.status} |`),
  );
  return [header, ...lines].join('\n');
}

export function markdownReport(results: readonly ScenarioResult[], meta: Record<string, string>): string {
  const notes = results.flatMap((r) => r.notes.map((n) => `- ${r.id}: ${n}`));
  return [
    `Run ${meta.date} on ${meta.machine} (${meta.mode}); \`npm run bench\` took ${meta.elapsed}.`,
    '',
    markdownTable(results),
    '',
    ...(notes.length > 0 ? ['Notes from this run:', '', ...notes, ''] : []),
  ].join('\n');
}

export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

/** Replaces the README's results section (between its markers) with `section`. */
export function updateReadme(readmePath: string, section: string): boolean {
  const readme = readFileSync(readmePath, 'utf8');
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end === -1 || end < start) return false;
  writeFileSync(readmePath, `${readme.slice(0, start + README_START.length)}\n${section}\n${readme.slice(end)}`);
  return true;
}
