import type { BenchResult } from './case.js';
import { goalOf, meets } from './goals.js';

const ROW = 26;
const LABEL = 210;
const BAR = 420;
const RIGHT = 150;
const TOP = 44;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * An SVG bar chart of every result's ratio against its goal (see goals.ts): one row per result,
 * the bar green when the goal is met, red when not, grey without a goal; the goal is a dark tick
 * with `≥` or `≤`. Plain SVG text, no dependency.
 */
export function benchChart(results: readonly BenchResult[], title = 'npm run bench: ratio against the baseline'): string {
  const scale = Math.max(1.2, ...results.flatMap((r) => [r.ratio, goalOf(r.case)?.value ?? 0])) * 1.05;
  const x = (value: number) => LABEL + (Math.max(0, value) / scale) * BAR;
  const height = TOP + results.length * ROW + 36;
  const width = LABEL + BAR + RIGHT;
  const rows = results.map((result, i) => {
    const y = TOP + i * ROW;
    const goal = goalOf(result.case);
    const color = goal === null ? '#9ca3af' : meets(result.ratio, goal) ? '#16a34a' : '#dc2626';
    const goalMark =
      goal === null
        ? ''
        : `<line x1="${x(goal.value).toFixed(1)}" y1="${y + 2}" x2="${x(goal.value).toFixed(1)}" y2="${y + ROW - 4}" stroke="#111827" stroke-width="2"/>`;
    const goalText = goal === null ? 'no goal' : `goal ${goal.kind === 'min' ? '≥' : '≤'} ${goal.value}`;
    return [
      `<text x="${LABEL - 8}" y="${y + ROW / 2 + 4}" text-anchor="end">${escapeXml(result.case)}</text>`,
      `<rect x="${LABEL}" y="${y + 4}" width="${(x(result.ratio) - LABEL).toFixed(1)}" height="${ROW - 10}" fill="${color}"/>`,
      goalMark,
      `<text x="${LABEL + BAR + 8}" y="${y + ROW / 2 + 4}">${result.ratio}× (${goalText})</text>`,
    ].join('');
  });
  const one = x(1).toFixed(1);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="15" font-weight="600">${escapeXml(title)}</text>`,
    `<line x1="${one}" y1="${TOP - 4}" x2="${one}" y2="${height - 30}" stroke="#d1d5db" stroke-dasharray="4 3"/>`,
    `<text x="${one}" y="${height - 16}" text-anchor="middle" fill="#6b7280">1×</text>`,
    ...rows,
    `<text x="12" y="${height - 6}" fill="#6b7280" font-size="11">green: goal met · red: not met · tick: the goal · grey: no goal</text>`,
    '</svg>',
    '',
  ].join('\n');
}
