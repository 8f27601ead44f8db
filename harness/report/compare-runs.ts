// Two sets of results side by side after the fact: two result folders, or two filters over one.
// Cells are matched by their parameters, apart from the ones being compared (those whose values
// differ wholly between the sides). Where both sides ran the same seeds the comparison is paired
// (Wilcoxon, paired bootstrap, McNemar); otherwise it is not (Mann-Whitney, two-sample bootstrap,
// Fisher). Metrics are compared over completed trials only: a failed trial has no throughput.
import type { Cell, Params } from '../experiment/load.js';
import type { TrialRecord } from '../run/trial.js';
import { canonicalJson } from '../canonical-json.js';
import { comparePairs } from './compare.js';
import { bootstrapRatio, fisherExact, mannWhitneyU, wilson, type Interval, type Ratio } from './stats.js';

export interface Side {
  label: string;
  cells: Cell[];
  records: TrialRecord[];
}

export interface MetricVerdict extends Ratio {
  /** Trials (unpaired) or pairs (paired) the metric was compared over. */
  n: number;
  test: 'Wilcoxon' | 'Mann-Whitney';
  pValue?: number;
  /** Whether a higher value is better (a rate per second) or a lower one (a latency, a slowdown). */
  higherIsBetter: boolean;
}

export interface CellVerdict {
  /** The parameters both cells share; the compared ones are in `compared` as [A, B]. */
  params: Params;
  compared: Record<string, [unknown, unknown]>;
  a: { label: string; cell: string; trials: number };
  b: { label: string; cell: string; trials: number };
  paired: boolean;
  /** Seeds both sides ran, when paired. */
  pairs: number;
  metrics: Record<string, MetricVerdict>;
  failures: { a: Interval; b: Interval; test: 'McNemar' | 'Fisher'; pValue: number };
}

/** The parameters whose values do not overlap between the sides: what is being compared. */
export function comparedParams(a: Cell[], b: Cell[]): string[] {
  const values = (cells: Cell[], k: string) => new Set(cells.map((c) => canonicalJson(c.params[k])));
  const keys = [...new Set([...a, ...b].flatMap((c) => Object.keys(c.params)))];
  return keys.filter((k) => {
    const va = values(a, k), vb = values(b, k);
    return ![...va].some((v) => vb.has(v));
  });
}

export function compareRuns(a: Side, b: Side, metrics: string[], units: (metric: string) => string): CellVerdict[] {
  const compared = new Set(comparedParams(a.cells, b.cells));
  const key = (p: Params) => canonicalJson(Object.fromEntries(Object.entries(p).filter(([k]) => !compared.has(k))));
  const bySide = (s: Side) => {
    const m = new Map<string, TrialRecord[]>();
    for (const r of s.records) {
      const rs = m.get(r.cell);
      if (rs) rs.push(r);
      else m.set(r.cell, [r]);
    }
    return m;
  };
  const ra = bySide(a), rb = bySide(b);
  const out: CellVerdict[] = [];
  for (const ca of a.cells) {
    const cb = b.cells.find((c) => key(c.params) === key(ca.params));
    if (!cb) continue;
    const xa = (ra.get(ca.id) ?? []).sort((x, y) => x.seed - y.seed);
    const xb = (rb.get(cb.id) ?? []).sort((x, y) => x.seed - y.seed);
    if (xa.length === 0 || xb.length === 0) continue;
    const seedsB = new Map(xb.map((r) => [r.seed, r]));
    const pairs = xa.filter((r) => seedsB.has(r.seed)).map((r) => [r, seedsB.get(r.seed)!] as const);
    const paired = pairs.length >= 2;
    const ok = (r: TrialRecord) => r.outcome === 'ok';
    const higherIsBetter = (m: string) => units(m).endsWith('/s');
    const verdicts: Record<string, MetricVerdict> = {};
    let failures: CellVerdict['failures'];
    if (paired) {
      const c = comparePairs(pairs, metrics);
      for (const [m, r] of Object.entries(c.metrics)) {
        const { pairs: n, ...rest } = r;
        verdicts[m] = { ...rest, n, test: 'Wilcoxon', higherIsBetter: higherIsBetter(m) };
      }
      failures = { a: c.failures.baselineRate, b: c.failures.candidateRate, test: 'McNemar', pValue: c.failures.pValue };
    } else {
      for (const m of metrics) {
        const base = xa.filter((r) => ok(r) && r.metrics[m] !== undefined).map((r) => r.metrics[m]);
        const cand = xb.filter((r) => ok(r) && r.metrics[m] !== undefined).map((r) => r.metrics[m]);
        const ratio = bootstrapRatio(base, cand, false);
        if (!ratio) continue;
        const test = base.length >= 2 && cand.length >= 2 ? mannWhitneyU(base, cand) : undefined;
        verdicts[m] = { ...ratio, n: Math.min(base.length, cand.length), test: 'Mann-Whitney', ...(test ? { pValue: test.pValue } : {}), higherIsBetter: higherIsBetter(m) };
      }
      const fa = xa.filter((r) => !ok(r)).length, fb = xb.filter((r) => !ok(r)).length;
      failures = { a: wilson(fa, xa.length), b: wilson(fb, xb.length), test: 'Fisher', pValue: fisherExact(fa, xa.length, fb, xb.length) };
    }
    out.push({
      params: Object.fromEntries(Object.entries(ca.params).filter(([k]) => !compared.has(k))),
      compared: Object.fromEntries([...compared].map((k) => [k, [ca.params[k], cb.params[k]]])),
      a: { label: a.label, cell: ca.id, trials: xa.length },
      b: { label: b.label, cell: cb.id, trials: xb.length },
      paired,
      pairs: pairs.length,
      metrics: verdicts,
      failures,
    });
  }
  return out;
}

/** Regressions of B against A at 95%: a metric whose whole interval is worse than `threshold`
 *  (0.05: more than 5% worse), or a failure rate that rose with p < 0.05. */
export function regressions(verdicts: CellVerdict[], threshold: number): string[] {
  const found: string[] = [];
  for (const v of verdicts) {
    const where = Object.entries(v.params).map(([k, x]) => `${k}=${String(x)}`).join(' ') || 'the cell';
    for (const [m, r] of Object.entries(v.metrics)) {
      const worse = r.higherIsBetter ? r.high < 1 - threshold : r.low > 1 + threshold;
      if (worse) found.push(`${where}: ${m} ${r.ratio.toPrecision(4)}x [${r.low.toPrecision(4)}, ${r.high.toPrecision(4)}]`);
    }
    if (v.failures.b.rate > v.failures.a.rate && v.failures.pValue < 0.05) found.push(`${where}: failures ${v.failures.a.rate} -> ${v.failures.b.rate} (${v.failures.test} p = ${v.failures.pValue.toPrecision(3)})`);
  }
  return found;
}
