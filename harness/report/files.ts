// The report files of a results folder, written with every run and by `faultsweep report DIR`:
// trials.csv (one row per trial) and cells.csv (one row per cell), RFC 4180 by csv-stringify, for
// spreadsheets and pandas; report.md, the summary as Markdown, fit for a CI job summary;
// report.html, the page with charts; junit.xml when there are gates.
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Plan } from '../experiment/load.js';
import type { TrialRecord } from '../run/trial.js';
import { writeAtomic } from '../run/store.js';
import { gateVerdict, type GateResult } from './gates.js';
import type { Summary } from './summary.js';
import { reportHtml } from './html.js';
import { junitXml, type JunitOptions } from './junit.js';
import { SUMMARY_NOTE, summaryRows } from './table.js';

export const JUNIT = 'junit.xml';
export const REPORTS = ['trials.csv', 'cells.csv', 'report.md', 'report.html'];

/** The report files a plan's folder gets: junit.xml only where there are gates to report. */
export function reportFiles(plan: Pick<Plan, 'gates'>): string[] {
  return plan.gates.length ? [...REPORTS, JUNIT] : REPORTS;
}

const csv = (rows: unknown[][]) => stringify(rows, { record_delimiter: 'windows', cast: { boolean: String } });

function axesOf(plan: Plan): string[] {
  return [...new Set(plan.cells.flatMap((c) => Object.keys(c.params)))];
}

export function trialsCsv(plan: Plan, records: TrialRecord[]): string {
  const axes = axesOf(plan);
  const metrics = [...new Set(records.flatMap((r) => Object.keys(r.metrics)))].sort();
  const sorted = [...records].sort((a, b) => a.cell.localeCompare(b.cell) || a.seed - b.seed);
  return csv([
    ['cell', 'seed', ...axes, 'outcome', 'class', 'signature', 'atNs', ...metrics, 'digest', 'replay'],
    ...sorted.map((r) => [r.cell, r.seed, ...axes.map((a) => r.params[a] ?? ''), r.outcome, r.failure?.class ?? '', r.failure?.signature ?? '', r.failure?.atNs ?? '', ...metrics.map((m) => r.metrics[m] ?? ''), r.digest, r.replay]),
  ]);
}

export function cellsCsv(plan: Plan, summary: Summary): string {
  const axes = axesOf(plan);
  const metrics = [...new Set(summary.cells.flatMap((c) => Object.keys(c.metrics)))].sort();
  const classes = ['error', 'hang', 'crash', 'failure'] as const;
  return csv([
    ['cell', ...axes, 'trials', 'ok', ...classes.flatMap((k) => [`${k}.count`, `${k}.rate`, `${k}.low`, `${k}.high`]), ...metrics.flatMap((m) => [`${m}.mean`, `${m}.sd`, `${m}.median`, `${m}.unit`])],
    ...summary.cells.map((c) => [
      c.id,
      ...axes.map((a) => c.params[a] ?? ''),
      c.trials,
      c.outcomes.ok,
      ...classes.flatMap((k) => [c.classes[k].count, c.classes[k].rate, c.classes[k].low, c.classes[k].high]),
      ...metrics.flatMap((m) => (c.metrics[m] ? [c.metrics[m].mean, c.metrics[m].sd, c.metrics[m].median, c.metrics[m].unit] : ['', '', '', ''])),
    ]),
  ]);
}

/** Text from a user (names, parameters, signatures) cannot break out of a Markdown table cell or
 *  become HTML in a job summary. */
export function mdEscape(s: string): string {
  return s.replace(/[\\`*_<>|#]/g, (c) => `\\${c}`).replace(/\]\(/g, ']\\(').replace(/\r?\n/g, ' ');
}

function mdTable(rows: string[][]): string[] {
  const line = (r: string[]) => `| ${r.map(mdEscape).join(' | ')} |`;
  return [line(rows[0]), `|${' --- |'.repeat(rows[0].length)}`, ...rows.slice(1).map(line)];
}

export function reportMarkdown(plan: Plan, summary: Summary, gates: GateResult[]): string {
  const trials = summary.cells.reduce((n, c) => n + c.trials, 0);
  const out = [`# ${mdEscape(plan.experiment)}`, ''];
  if (plan.description) out.push(mdEscape(plan.description.trim()), '');
  out.push(`${summary.cells.length} cells, ${trials} trials. ${SUMMARY_NOTE[0].toUpperCase()}${SUMMARY_NOTE.slice(1)}.`, '');
  out.push(...mdTable(summaryRows(plan, summary)));
  if (gates.length) {
    out.push('', '## Gates', '');
    out.push(...mdTable([['gate', 'cell', 'result', 'why'], ...gates.map((g) => [g.gate, g.cell, g.pass ? 'PASS' : 'FAIL', gateVerdict(g)])]));
  }
  const failures = summary.cells.flatMap((c) => c.failures.map((f) => ({ ...f, cell: c.id })));
  if (failures.length) {
    out.push('', '## Failures by signature', '');
    out.push(...mdTable([['cell', 'outcome', 'count', 'signature'], ...failures.map((f) => [f.cell, f.outcome, String(f.count), f.signature])]));
    out.push('', 'Replay one of each:', '', '```', ...failures.map((f) => f.replay), '```');
  }
  return out.join('\n') + '\n';
}

/** Writes the report files into a results folder, each whole by rename. */
export async function writeReports(dir: string, plan: Plan, summary: Summary, records: TrialRecord[], gates: GateResult[], decisions?: JunitOptions['decisions']): Promise<void> {
  writeAtomic(join(dir, 'trials.csv'), trialsCsv(plan, records));
  writeAtomic(join(dir, 'cells.csv'), cellsCsv(plan, summary));
  writeAtomic(join(dir, 'report.md'), reportMarkdown(plan, summary, gates));
  // The trials' own time: the same file whenever the reports are written again.
  const seconds = records.reduce((t, r) => t + (r.host?.wallMs ?? 0), 0) / 1000;
  if (gates.length) writeAtomic(join(dir, JUNIT), junitXml(plan, gates, { seconds, decisions }));
  writeAtomic(join(dir, 'report.html'), await reportHtml(plan, summary, gates, decisions));
}
