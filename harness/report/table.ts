// Plain-text tables for the terminal: one row per cell, parameters first, then outcomes, the
// failure rate with its interval, and the workload's headline metrics.
import { workloads } from '../registry.js';
import type { Plan } from '../experiment/load.js';
import type { Summary } from './summary.js';

const num = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 });

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e7 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : num.format(v);
}

/** A count, exact, with thousands separators ("30,704", where fmt would round to 30,700). */
export const count = (n: number): string => n.toLocaleString('en-US');

export function pct(v: number): string {
  return v === 0 ? '0%' : v < 0.001 ? `${(v * 100).toPrecision(2)}%` : `${fmt(v * 100)}%`;
}

/** A cell's parameters in one label: "kernel.fit.polling=nowait, workload.threads=4". */
export function cellLabel(params: Record<string, unknown>, id: string, without?: string): string {
  const parts = Object.entries(params)
    .filter(([k]) => k !== without)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(', ') : id;
}

/** A cell of a suite across nights: its entry's name, then its parameters. */
export function entryCellLabel(experiment: string, params: Record<string, unknown>): string {
  return Object.keys(params).length ? `${experiment} ${cellLabel(params, '')}` : experiment;
}

/** A parameter's value in a table cell: a list or an object (a script) as JSON, cut short; the
 *  whole value is in summary.json and the CSV files. */
export function paramText(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

export function renderTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c)).join('  ').trimEnd();
  return [line(rows[0]), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

/** The summary as rows, header first: shared by the terminal table, report.md and report.html. */
export function summaryRows(plan: Plan, summary: Summary): string[][] {
  const axes = [...new Set(plan.cells.flatMap((c) => Object.keys(c.params)))];
  const headline = headlineMetrics(plan);
  const header = [...axes, 'trials', 'ok', 'error', 'hang', 'crash', 'fail rate [95% CI]', ...headline.map((m) => `${m} (${unitFor(plan, m)})`)];
  const rows = summary.cells.map((c) => [
    ...axes.map((a) => paramText(c.params[a] ?? '')),
    String(c.trials),
    ...(['ok', 'error', 'hang', 'crash'] as const).map((o) => String(c.outcomes[o])),
    `${pct(c.failureRate.rate)} [${pct(c.failureRate.low)}, ${pct(c.failureRate.high)}]`,
    ...headline.map((m) => (c.metrics[m] ? `${fmt(c.metrics[m].mean)} ± ${fmt(c.metrics[m].sd)}` : '-')),
  ]);
  return [header, ...rows];
}

export const SUMMARY_NOTE = "metrics: mean ± one standard deviation over the cell's trials; fail rate: Wilson score interval";

export function summaryTable(plan: Plan, summary: Summary): string {
  return renderTable(summaryRows(plan, summary)) + (headlineMetrics(plan).length ? `\n${SUMMARY_NOTE}` : '');
}

/** The metrics a workload puts first, in every table and chart. */
export function headlineMetrics(plan: Plan): string[] {
  return [...new Set(plan.cells.flatMap((c) => workloads.get(c.workload.kind)?.headline ?? []))];
}

export function unitFor(plan: Plan, metric: string): string {
  for (const c of plan.cells) {
    const u = workloads.get(c.workload.kind)?.units[metric];
    if (u) return u;
  }
  return '';
}

/** The in-run comparisons as rows, header first (empty without comparisons). */
export function comparisonRows(summary: Summary): string[][] {
  const cs = summary.comparisons ?? [];
  if (cs.length === 0) return [];
  const metrics = [...new Set(cs.flatMap((c) => Object.keys(c.metrics)))];
  const axes = [...new Set(cs.flatMap((c) => Object.keys(c.params)))];
  const header = [...axes, `${cs[0].axis} vs ${String(cs[0].baseline)}`, 'pairs', 'both ok', ...metrics.map((m) => `${m} ratio [95% CI], Wilcoxon p`), 'fail rate base / candidate', 'fails only in base / only in candidate', 'McNemar p'];
  const rows = cs.map((c) => [
    ...axes.map((a) => paramText(c.params[a] ?? '')),
    String(c.candidate),
    String(c.pairs),
    String(c.completed),
    ...metrics.map((m) => {
      const r = c.metrics[m];
      return r ? `${fmt(r.ratio)} [${fmt(r.low)}, ${fmt(r.high)}], p ${r.pValue === undefined ? '-' : fmt(r.pValue)}` : '-';
    }),
    `${pct(c.failures.baselineRate.rate)} / ${pct(c.failures.candidateRate.rate)}`,
    `${c.failures.baselineOnly} / ${c.failures.candidateOnly}`,
    fmt(c.failures.pValue),
  ]);
  return [header, ...rows];
}

export const COMPARISON_NOTE = "ratios: over the pairs in which both trials completed (a failed trial has no throughput); p: two-sided, '-' with fewer than two unequal pairs";

export function comparisonTable(summary: Summary): string {
  const rows = comparisonRows(summary);
  return rows.length ? `${renderTable(rows)}\n${COMPARISON_NOTE}` : '';
}
