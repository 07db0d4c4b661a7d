// A small SVG bar chart: one panel per group, each on its own scale, Ginko against its baseline and
// the target drawn as a dashed line. No dependencies; the text is escaped.
import type { ChartGroup } from './report.ts';

const WIDTH = 760;
const LABEL_WIDTH = 210;
const VALUE_WIDTH = 110;
const BAR_HEIGHT = 18;
const BAR_GAP = 6;
const TITLE_HEIGHT = 24;
const PANEL_GAP = 16;
const COLORS = { ginko: '#2b6cb0', baseline: '#a0aec0', limit: '#c53030' } as const;

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function number(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

export function barChart(title: string, groups: readonly ChartGroup[]): string {
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const parts: string[] = [];
  let y = 36;
  parts.push(`<text x="12" y="22" font-size="16" font-weight="bold">${escape(title)}</text>`);
  for (const group of groups) {
    const scaleMax = Math.max(...group.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), group.limit?.value ?? 0) * 1.05 || 1;
    const x = (value: number) => LABEL_WIDTH + (Math.max(0, value) / scaleMax) * plotWidth;
    parts.push(`<text x="12" y="${y + 16}" font-size="13" font-weight="bold">${escape(group.title)} (${escape(group.unit)})</text>`);
    y += TITLE_HEIGHT;
    const top = y;
    for (const bar of group.bars) {
      const width = Number.isFinite(bar.value) ? x(bar.value) - LABEL_WIDTH : 0;
      parts.push(`<text x="${LABEL_WIDTH - 8}" y="${y + 13}" font-size="12" text-anchor="end">${escape(bar.label)}</text>`);
      parts.push(`<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLORS[bar.kind]}"/>`);
      parts.push(`<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + 13}" font-size="12">${escape(number(bar.value))}</text>`);
      y += BAR_HEIGHT + BAR_GAP;
    }
    if (group.limit) {
      const lx = x(group.limit.value).toFixed(1);
      parts.push(`<line x1="${lx}" y1="${top - 4}" x2="${lx}" y2="${y - BAR_GAP + 4}" stroke="${COLORS.limit}" stroke-dasharray="4 3" stroke-width="1.5"/>`);
      parts.push(`<text x="${lx}" y="${top - 6}" font-size="11" fill="${COLORS.limit}" text-anchor="middle">${escape(group.limit.label)}</text>`);
    }
    y += PANEL_GAP;
  }
  const legend = `<rect x="12" y="${y}" width="12" height="12" fill="${COLORS.ginko}"/><text x="30" y="${y + 10}" font-size="12">Ginko</text>` +
    `<rect x="90" y="${y}" width="12" height="12" fill="${COLORS.baseline}"/><text x="108" y="${y + 10}" font-size="12">baseline</text>` +
    `<line x1="190" y1="${y + 6}" x2="214" y2="${y + 6}" stroke="${COLORS.limit}" stroke-dasharray="4 3" stroke-width="1.5"/><text x="220" y="${y + 10}" font-size="12">target</text>`;
  y += 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    legend,
    '</svg>',
    '',
  ].join('\n');
}
