// The morning message: one night of a suite against the nights before it, short enough to read
// over coffee. Regressions first (cell, metric or failure rate, the change and its interval), then
// new failure signatures with the command that replays them, then what was fixed, what is flaky
// and the steps found over the whole series. Text, Markdown and JSON carry the same facts.
import { detectChanges, series, type Change, type ChangeOptions, type Series } from './changes.js';
import type { History, Night } from './history.js';
import { triage, type Signature } from './triage.js';
import { entryCellLabel, fmt, pct } from './table.js';

export interface NightReport {
  suite: string;
  night: Night;
  /** Its place in the suite's series: 1 for the first night. */
  ordinal: number;
  previous?: Night;
  counts: { experiments: number; cells: number; trials: number; failures: number };
  /** What differs from the previous night's build: the model, the experiment files, the label. */
  changed: string[];
  tests: number;
  changes: Change[];
  signatures: Signature[];
  series: Series[];
  /** Steps E-Divisive found within the last few nights. */
  recentSteps: (Series['steps'][number] & Pick<Series, 'experiment' | 'key' | 'params' | 'what' | 'unit'>)[];
}

/** Steps this recent (in nights) are news; older ones are on the trend page. */
const RECENT = 7;

export function nightReport(h: History, suite: string, nightId: number, o?: ChangeOptions): NightReport {
  const nights = h.nights(suite);
  const index = nights.findIndex((n) => n.id === nightId);
  if (index < 0) throw new Error(`no night ${nightId} of suite ${suite}`);
  const night = nights[index];
  const previous = nights.slice(0, index).at(-1);
  const cells = h.cells(suite).filter((c) => c.night <= nightId);
  const { changes, tests } = detectChanges(cells, nightId, o);
  const all = series(cells);
  const recent = new Set(nights.slice(Math.max(0, index - RECENT + 1), index + 1).map((n) => n.id));
  const changed = previous
    ? [
        ...(previous.code !== night.code ? [`the model (faultsweep ${previous.faultsweep} code ${previous.code} -> ${night.faultsweep} code ${night.code})`] : []),
        ...(previous.experimentsCommit !== night.experimentsCommit ? [`the experiment files (${previous.experimentsCommit ?? 'not in git'} -> ${night.experimentsCommit ?? 'not in git'})`] : []),
        ...(previous.label !== night.label ? [`the label (${previous.label ?? '-'} -> ${night.label ?? '-'})`] : []),
        ...overridesChanged(h, previous.id, nightId),
      ]
    : [];
  return {
    suite,
    night,
    ordinal: index + 1,
    previous,
    counts: h.counts(nightId),
    changed,
    tests,
    changes,
    signatures: triage(nights, cells, nightId),
    series: all,
    recentSteps: all.flatMap((s) => s.steps.filter((st) => recent.has(st.night)).map((st) => ({ ...st, experiment: s.experiment, key: s.key, params: s.params, what: s.what, unit: s.unit }))),
  };
}

/** Entries whose file or --set overrides differ from the night before: a change in what is
 *  modeled, made in the suite rather than in the code. */
function overridesChanged(h: History, before: number, after: number): string[] {
  const was = new Map(h.experiments(before).map((e) => [e.name, e]));
  const text = (sets: string[]) => (sets.length ? sets.join(' ') : 'none');
  return h.experiments(after).flatMap((e) => {
    const p = was.get(e.name);
    if (!p) return [];
    if (p.file !== e.file) return [`${e.name}'s file (${p.file} -> ${e.file})`];
    return text(p.sets) === text(e.sets) ? [] : [`${e.name}'s overrides (${text(p.sets)} -> ${text(e.sets)})`];
  });
}

export const regressions = (r: NightReport) => r.changes.filter((c) => c.direction === 'regression');

const where = (c: { experiment: string; params: Record<string, unknown> }) => entryCellLabel(c.experiment, c.params);

const interval = (i: { rate: number; low: number; high: number }) => `${pct(i.rate)} [${pct(i.low)}, ${pct(i.high)}]`;

/** One change in one line: what, by how much, with its interval and its test. */
export function changeText(c: Change): string {
  const q = `q = ${c.qValue.toPrecision(2)}`;
  if (c.kind === 'metric') {
    const unit = c.unit ? ` ${c.unit}` : '';
    return `${where(c)}: ${c.metric} ${fmt(c.baseline)} -> ${fmt(c.candidate)}${unit}, ${fmt(c.ratio)}x [${fmt(c.low)}, ${fmt(c.high)}] (${c.test}, ${q})`;
  }
  return `${where(c)}: ${c.class} rate ${interval(c.before)} -> ${interval(c.after)}, ${c.after.count} of ${c.after.trials} trials (${c.test}, ${q})`;
}

function header(r: NightReport): string[] {
  const n = r.night;
  const facts = [`faultsweep ${n.faultsweep} (code ${n.code})`, `experiments ${n.experimentsCommit ?? 'not in git'}`, ...(n.label ? [`label ${n.label}`] : [])];
  const vs = r.previous ? `against night ${r.previous.id}: ${r.changed.length ? `changed ${r.changed.join('; ')}` : 'same build'}` : 'the first night of this suite: nothing to compare with';
  return [
    `${r.suite}, night ${n.id} (${r.ordinal} of the suite), ${n.started.slice(0, 16).replace('T', ' ')} UTC: ${r.counts.experiments} experiments, ${r.counts.cells} cells, ${r.counts.trials} trials, ${r.counts.failures} failed`,
    `${facts.join(', ')}; ${vs}`,
  ];
}

const stepText = (s: NightReport['recentSteps'][number]) =>
  `${where(s)}: ${s.what} ${fmt(s.before)} -> ${fmt(s.after)}${s.unit ? ` ${s.unit}` : ''} from night ${s.night} (E-Divisive p = ${s.pValue.toPrecision(2)})`;

/** The digest as sections of lines: [title, lines][] with empty sections left out. */
function sections(r: NightReport): [string, string[]][] {
  const regs = regressions(r), better = r.changes.filter((c) => c.direction === 'improvement');
  const sig = (s: Signature) => `${s.outcome} ${s.signature} (${s.experiments.join(', ')}: ${s.latest.count} of ${s.latest.trials} trials; seen ${s.nightsSeen} of ${s.nightsRun} nights)`;
  const of = (st: string) => r.signatures.filter((s) => s.status === st);
  return (
    [
      [`REGRESSIONS (${regs.length})`, regs.map(changeText)],
      [`NEW FAILURES (${of('new').length})`, of('new').flatMap((s) => [sig(s), `  replay: ${s.latest.replay}`])],
      [`FLAKY (${of('flaky').length})`, of('flaky').flatMap((s) => [sig(s), `  replay: ${s.latest.replay}`])],
      [`FIXED (${of('fixed').length})`, of('fixed').map((s) => `${s.outcome} ${s.signature} (last seen night ${s.lastSeen}, absent ${s.absentFor} nights)`)],
      [`IMPROVEMENTS (${better.length})`, better.map(changeText)],
      [`STEPS in the last ${RECENT} nights (${r.recentSteps.length})`, r.recentSteps.map(stepText)],
    ] as [string, string[]][]
  ).filter(([, lines]) => lines.length > 0);
}

function verdict(r: NightReport): string {
  const regs = regressions(r).length, fresh = r.signatures.filter((s) => s.status === 'new').length;
  const known = r.signatures.filter((s) => s.status === 'recurring' || s.status === 'flaky').length;
  if (!r.previous) return `the first night: ${r.counts.cells} cells recorded as the baseline; ${fresh} failure signature${fresh === 1 ? '' : 's'}`;
  return `${regs ? `${regs} regression${regs === 1 ? '' : 's'}` : 'no regression'} in ${r.tests} tests (false discovery rate 5%); ${fresh} new failure signature${fresh === 1 ? '' : 's'}, ${known} known`;
}

export function digestText(r: NightReport, limit = 20): string {
  const lines = [...header(r), verdict(r)];
  for (const [title, body] of sections(r)) lines.push(title, ...body.map((l) => `  ${l}`));
  return (lines.length > limit ? [...lines.slice(0, limit - 1), `... ${lines.length - limit + 1} more lines in digest.md and digest.json`] : lines).join('\n');
}

export function digestMarkdown(r: NightReport): string {
  const [title, facts] = header(r);
  const out = [`# ${title}`, '', facts, '', `**${verdict(r)}**`];
  for (const [head, body] of sections(r)) out.push('', `## ${head}`, '', ...body.map((l) => (l.startsWith('  replay: ') ? `  \`${l.slice(10)}\`` : `- ${l}`)));
  return out.join('\n');
}

export function digestJson(r: NightReport): object {
  const { series: _omitted, ...rest } = r;
  return { ...rest, regressions: regressions(r).length };
}
