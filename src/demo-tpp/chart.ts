// The monthly spending chart: withdrawals summed per JST month, drawn as a server-side SVG bar chart (no
// script, no chart library) with the same numbers in a table beside it for screen readers.
import { html, type Markup } from '../web/html.ts';
import { yen } from './texts.ts';

export interface MonthTotal {
  /** 'YYYY-MM' */
  month: string;
  spendingYen: number;
}

/** The `count` months ending with the one `today` ('YYYY-MM-DD') is in, oldest first. */
export function lastMonths(today: string, count: number): string[] {
  const [year, month] = today.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const index = year * 12 + (month - 1) - (count - 1 - i);
    return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
  });
}

/** Money out ('2' 出金) per month; months without any are zero. */
export function monthlySpending(months: string[], transactions: readonly { transactionDate: string; transactionType: string; amount: string }[]): MonthTotal[] {
  const totals = new Map(months.map((month) => [month, 0]));
  for (const line of transactions) {
    const month = line.transactionDate.slice(0, 7);
    if (line.transactionType === '2' && totals.has(month)) totals.set(month, totals.get(month)! + Number(line.amount));
  }
  return months.map((month) => ({ month, spendingYen: totals.get(month)! }));
}

const WIDTH = 640;
const HEIGHT = 260;
const AXIS = { left: 8, bottom: 28, top: 24 };

export function spendingChart(totals: readonly MonthTotal[], labels: { title: string; month: string; spending: string }): Markup {
  const max = Math.max(1, ...totals.map((t) => t.spendingYen));
  const slot = (WIDTH - AXIS.left) / totals.length;
  const plotHeight = HEIGHT - AXIS.bottom - AXIS.top;
  const bars = totals.map((total, i) => {
    const height = Math.round((total.spendingYen / max) * plotHeight);
    const x = Math.round(AXIS.left + i * slot + slot * 0.15);
    const y = HEIGHT - AXIS.bottom - height;
    const centre = Math.round(AXIS.left + i * slot + slot / 2);
    return html`<rect x="${x}" y="${y}" width="${Math.round(slot * 0.7)}" height="${height}" fill="#2f7d4f"></rect>
<text x="${centre}" y="${y - 6}" text-anchor="middle" font-size="13" fill="#2b2a26">${yen(total.spendingYen)}</text>
<text x="${centre}" y="${HEIGHT - 8}" text-anchor="middle" font-size="13" fill="#6b675e">${total.month}</text>`;
  });
  // The table carries the numbers for assistive technology; the picture is decoration for them.
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">
<line x1="${AXIS.left}" y1="${HEIGHT - AXIS.bottom}" x2="${WIDTH}" y2="${HEIGHT - AXIS.bottom}" stroke="#ddd8cc"></line>
${bars}
</svg>
<div class="scroll"><table>
<caption class="muted">${labels.title}</caption>
<thead><tr><th scope="col">${labels.month}</th><th scope="col" class="amount">${labels.spending}</th></tr></thead>
<tbody>${totals.map((t) => html`<tr><td>${t.month}</td><td class="amount">${yen(t.spendingYen)}</td></tr>`)}</tbody>
</table></div>`;
}
