// The benchmark's own machinery, quickly: loops stop by themselves, percentiles, the chart and the
// README section. (The scenarios themselves run with `npm run bench -- --quick`, about a minute.)
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { barChart } from '../bench/chart.ts';
import { closedLoop, mergeResults, percentile } from '../bench/measure.ts';
import { README_END, README_START, updateReadme } from '../bench/report.ts';

test('a closed loop stops at its count bound and at its time bound, counting errors', async () => {
  let calls = 0;
  const byCount = await closedLoop(async (i) => {
    calls++;
    if (i % 10 === 0) throw new Error('every tenth fails');
  }, { concurrency: 4, durationMs: 10_000, maxCount: 100 });
  assert.equal(calls, 100);
  assert.equal(byCount.count, 100);
  assert.equal(byCount.errors, 10);
  assert.match(byCount.firstError ?? '', /every tenth/);

  const started = performance.now();
  const byTime = await closedLoop(() => new Promise((resolve) => setTimeout(resolve, 5)), { concurrency: 2, durationMs: 100, maxCount: 1_000_000 });
  assert.ok(performance.now() - started < 1_000, 'stopped near its time bound');
  assert.ok(byTime.count > 0 && byTime.count < 1_000);
});

test('percentiles and merged rounds', async () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.ok(Number.isNaN(percentile([], 50)));
  const round = () => closedLoop(async () => undefined, { concurrency: 1, durationMs: 1_000, maxCount: 10, keepLatencies: true });
  const merged = mergeResults([await round(), await round()]);
  assert.equal(merged.count, 20);
});

test('the chart is SVG with escaped labels; the README section is replaced between its markers', () => {
  const svg = barChart('a <b> & c', [{ title: 'T', unit: 'ms', bars: [{ label: 'x<y', value: 3, kind: 'ginko' }, { label: 'base', value: Number.NaN, kind: 'baseline' }], limit: { value: 2, label: '2 ms' } }]);
  assert.match(svg, /^<svg /);
  assert.ok(svg.includes('a &lt;b&gt; &amp; c') && svg.includes('x&lt;y') && !svg.includes('x<y'));

  const dir = mkdtempSync(join(tmpdir(), 'bench-readme-'));
  try {
    const readme = join(dir, 'README.md');
    writeFileSync(readme, `before\n${README_START}\nold\n${README_END}\nafter\n`);
    assert.equal(updateReadme(readme, 'new table'), true);
    assert.equal(readFileSync(readme, 'utf8'), `before\n${README_START}\nnew table\n${README_END}\nafter\n`);
    writeFileSync(readme, 'no markers\n');
    assert.equal(updateReadme(readme, 'x'), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
