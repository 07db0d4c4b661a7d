// The demo TPP app's monthly spending: the months it covers (across a year's end) and what counts as spending.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastMonths, monthlySpending, spendingChart } from '../src/demo-tpp/chart.ts';
import { toHtmlString } from '../src/web/html.ts';

test('the last six months run across a year’s end, oldest first', () => {
  assert.deepEqual(lastMonths('2026-02-15', 6), ['2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02']);
  assert.deepEqual(lastMonths('2026-12-31', 1), ['2026-12']);
});

test('spending is money out per month; money in and months outside the range do not count', () => {
  const line = (transactionDate: string, transactionType: '1' | '2', amount: string) => ({ transactionDate, transactionType, amount });
  const totals = monthlySpending(['2026-01', '2026-02'], [
    line('2025-12-31', '2', '999'),
    line('2026-01-05', '2', '1200'),
    line('2026-01-25', '1', '300000'),
    line('2026-01-31', '2', '800'),
  ]);
  assert.deepEqual(totals, [
    { month: '2026-01', spendingYen: 2000 },
    { month: '2026-02', spendingYen: 0 },
  ]);
});

test('the chart draws one bar per month, the tallest for the largest, with the numbers in a table too', () => {
  const markup = toHtmlString(spendingChart([{ month: '2026-01', spendingYen: 2000 }, { month: '2026-02', spendingYen: 0 }], { title: 'Spending', month: 'Month', spending: 'Spending' }));
  const heights = [...markup.matchAll(/<rect [^>]*height="(\d+)"/g)].map((m) => Number(m[1]));
  assert.equal(heights.length, 2);
  assert.ok(heights[0]! > 0 && heights[1] === 0);
  assert.match(markup, /<td class="amount">¥2,000<\/td>/);
  assert.match(markup, /aria-hidden="true"/, 'assistive technology reads the table, not the picture');
});
