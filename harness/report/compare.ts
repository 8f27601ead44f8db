// Paired A/B comparison on the same seeds: every cell whose compare-axis value is not the
// baseline is set beside the baseline cell with the same other parameters. A metric is compared
// over the pairs in which both trials completed: the ratio of means with a paired bootstrap
// interval and Wilcoxon's signed-rank test. Failures get McNemar's exact test on the discordant
// seeds (failed in one configuration, not in the other).
import type { Cell, Params } from '../experiment/load.js';
import type { Compare } from '../experiment/schema.js';
import { bootstrapRatio, mcnemarExact, wilcoxonSignedRank, wilson, type Interval, type Ratio } from './stats.js';
import type { TrialRecord } from '../run/trial.js';

export interface MetricComparison extends Ratio {
  /** Pairs in which both trials completed (outcome ok): a failed trial's throughput is none. */
  pairs: number;
  /** Wilcoxon signed-rank p over those pairs; undefined when every pair is equal. */
  pValue?: number;
}

export interface Comparison {
  axis: string;
  baseline: unknown;
  candidate: unknown;
  params: Params;
  pairs: number;
  /** Pairs in which both trials completed: the ones metrics are compared over. */
  completed: number;
  metrics: Record<string, MetricComparison>;
  failures: { baselineOnly: number; candidateOnly: number; pValue: number; baselineRate: Interval; candidateRate: Interval };
}

export function comparePaired(cmp: Compare, cells: Cell[], records: TrialRecord[], metrics: string[]): Comparison[] {
  const bySeed = new Map<string, Map<number, TrialRecord>>();
  for (const r of records) {
    if (!bySeed.has(r.cell)) bySeed.set(r.cell, new Map());
    bySeed.get(r.cell)!.set(r.seed, r);
  }
  const out: Comparison[] = [];
  for (const cand of cells) {
    const base = baselineCell(cmp, cells, cand);
    if (!base) continue;
    const b = bySeed.get(base.id) ?? new Map<number, TrialRecord>();
    const pairs = [...(bySeed.get(cand.id) ?? new Map<number, TrialRecord>()).values()]
      .filter((r) => b.has(r.seed))
      .sort((x, y) => x.seed - y.seed)
      .map((r) => [b.get(r.seed)!, r] as const);
    const { completed, metrics: compared, failures } = comparePairs(pairs, metrics);
    out.push({
      axis: cmp.axis,
      baseline: cmp.baseline,
      candidate: cand.params[cmp.axis],
      params: Object.fromEntries(Object.entries(cand.params).filter(([k]) => k !== cmp.axis)),
      pairs: pairs.length,
      completed,
      metrics: compared,
      failures,
    });
  }
  return out;
}

/** The cell a candidate is set beside: the compare axis at its baseline value, every other
 *  parameter equal. None for a baseline cell itself. */
export function baselineCell(cmp: Compare, cells: Cell[], cand: Cell): Cell | undefined {
  if (!(cmp.axis in cand.params) || cand.params[cmp.axis] === cmp.baseline) return undefined;
  const others = (p: Params) => JSON.stringify(Object.entries(p).filter(([k]) => k !== cmp.axis).sort());
  return cells.find((c) => c.params[cmp.axis] === cmp.baseline && others(c.params) === others(cand.params));
}

export type Pair = readonly [TrialRecord, TrialRecord];

/** Baseline and candidate trials of the same seeds, compared: each metric over the pairs in which
 *  both completed (ratio of means, paired bootstrap, Wilcoxon), failures by McNemar. Shared by the
 *  in-run comparison and `faultsweep compare`. */
export function comparePairs(pairs: Pair[], metrics: string[]): { completed: number; metrics: Record<string, MetricComparison>; failures: Comparison['failures'] } {
  const fail = (r: TrialRecord) => r.outcome !== 'ok';
  const baselineOnly = pairs.filter(([x, y]) => fail(x) && !fail(y)).length;
  const candidateOnly = pairs.filter(([x, y]) => !fail(x) && fail(y)).length;
  const completed = pairs.filter(([x, y]) => !fail(x) && !fail(y));
  const compared: Record<string, MetricComparison> = {};
  for (const m of metrics) {
    const xs = completed.filter(([x, y]) => x.metrics[m] !== undefined && y.metrics[m] !== undefined);
    const ratio = bootstrapRatio(xs.map(([x]) => x.metrics[m]), xs.map(([, y]) => y.metrics[m]), true);
    if (!ratio) continue;
    const test = wilcoxonSignedRank(xs.map(([x]) => x.metrics[m]), xs.map(([, y]) => y.metrics[m]));
    compared[m] = { ...ratio, pairs: xs.length, ...(test ? { pValue: test.pValue } : {}) };
  }
  return {
    completed: completed.length,
    metrics: compared,
    failures: {
      baselineOnly,
      candidateOnly,
      pValue: mcnemarExact(baselineOnly, candidateOnly),
      baselineRate: wilson(pairs.filter(([x]) => fail(x)).length, pairs.length),
      candidateRate: wilson(pairs.filter(([, y]) => fail(y)).length, pairs.length),
    },
  };
}
