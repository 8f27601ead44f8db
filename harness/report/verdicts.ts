// A comparison of two sets of results as a person reads it in one glance, or as Markdown for a CI
// job summary: per matched cell, each metric's ratio with its interval and test, and both
// failure rates with theirs.
import type { CellVerdict, MetricVerdict } from './compare-runs.js';
import type { Interval } from './stats.js';
import { fmt, pct } from './table.js';

const where = (v: CellVerdict) => Object.entries(v.params).map(([k, x]) => `${k}=${String(x)}`).join(' ') || '(the only cell)';
const interval = (i: Interval) => `${pct(i.rate)} [${pct(i.low)}, ${pct(i.high)}]`;

function metric(name: string, r: MetricVerdict): string {
  const n = `${r.n} ${r.test === 'Wilcoxon' ? 'pair' : 'trial'}${r.n === 1 ? '' : 's'}`;
  const p = r.pValue === undefined ? `no test (${n})` : `p = ${fmt(r.pValue)} (${r.test}, ${n})`;
  return `${name} ${fmt(r.ratio)}x [${fmt(r.low)}, ${fmt(r.high)}], ${p}`;
}

function failures(v: CellVerdict): string {
  return `failures ${interval(v.failures.a)} vs ${interval(v.failures.b)}, ${v.failures.test} p = ${fmt(v.failures.pValue)}`;
}

export function verdictText(a: string, b: string, verdicts: CellVerdict[]): string {
  const lines = [`B ${b} against A ${a} (ratios B/A over completed trials, 95% bootstrap intervals):`];
  for (const v of verdicts) {
    const differ = Object.entries(v.compared).map(([k, [x, y]]) => `${k} ${String(x)} -> ${String(y)}`).join(', ');
    lines.push(`${where(v)}${differ ? ` (${differ})` : ''}: ${v.paired ? `${v.pairs} seeds in both` : `${v.a.trials} and ${v.b.trials} trials, seeds not shared`}`);
    for (const [m, r] of Object.entries(v.metrics)) lines.push(`  ${metric(m, r)}`);
    if (Object.keys(v.metrics).length === 0) lines.push('  no completed trials on one side: no metric to compare');
    lines.push(`  ${failures(v)}`);
  }
  return lines.join('\n');
}

export function verdictMarkdown(a: string, b: string, verdicts: CellVerdict[]): string {
  const metrics = [...new Set(verdicts.flatMap((v) => Object.keys(v.metrics)))];
  const esc = (s: string) => s.replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`);
  const rows = verdicts.map((v) => [where(v), ...metrics.map((m) => (v.metrics[m] ? metric(m, v.metrics[m]).slice(m.length + 1) : '-')), failures(v).slice('failures '.length)]);
  const md = [['cell', ...metrics.map((m) => `${m} (B/A)`), 'failures A vs B'], ...rows].map((r) => `| ${r.map(esc).join(' | ')} |`);
  md.splice(1, 0, `|${' --- |'.repeat(metrics.length + 2)}`);
  return [`**${esc(b)}** against **${esc(a)}**`, '', ...md].join('\n');
}
