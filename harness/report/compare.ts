// Paired A/B comparison on the same seeds: every cell whose compare-axis value is not the
// baseline is set beside the baseline cell with the same other parameters. Throughput-like
// metrics get the ratio of means with a paired bootstrap interval; failures get McNemar's
// exact test on the discordant seeds (failed in one configuration, not in the other).
import type { Cell, Params } from '../experiment/load.js';
import type { Compare } from '../experiment/schema.js';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import { Rng } from '../sim/rng.js';
import type { TrialRecord } from '../run/trial.js';

export interface MetricRatio {
  baseline: number;
  candidate: number;
  ratio: number;
  low: number;
  high: number;
}

export interface Comparison {
  axis: string;
  baseline: unknown;
  candidate: unknown;
  params: Params;
  pairs: number;
  metrics: Record<string, MetricRatio>;
  failures: { baselineOnly: number; candidateOnly: number; pValue: number };
}

const RESAMPLES = 2000;

export function comparePaired(cmp: Compare, cells: Cell[], records: TrialRecord[], metrics: string[]): Comparison[] {
  const bySeed = new Map<string, Map<number, TrialRecord>>();
  for (const r of records) {
    if (!bySeed.has(r.cell)) bySeed.set(r.cell, new Map());
    bySeed.get(r.cell)!.set(r.seed, r);
  }
  const others = (p: Params) => JSON.stringify(Object.entries(p).filter(([k]) => k !== cmp.axis).sort());
  const out: Comparison[] = [];
  for (const cand of cells) {
    if (!(cmp.axis in cand.params) || cand.params[cmp.axis] === cmp.baseline) continue;
    const base = cells.find((c) => c.params[cmp.axis] === cmp.baseline && others(c.params) === others(cand.params));
    if (!base) continue;
    const b = bySeed.get(base.id) ?? new Map<number, TrialRecord>();
    const pairs = [...(bySeed.get(cand.id) ?? new Map<number, TrialRecord>()).values()]
      .filter((r) => b.has(r.seed))
      .sort((x, y) => x.seed - y.seed)
      .map((r) => [b.get(r.seed)!, r] as const);
    const fail = (r: TrialRecord) => r.outcome !== 'ok';
    const baselineOnly = pairs.filter(([x, y]) => fail(x) && !fail(y)).length;
    const candidateOnly = pairs.filter(([x, y]) => !fail(x) && fail(y)).length;
    const ratios: Record<string, MetricRatio> = {};
    for (const m of metrics) {
      const xs = pairs.filter(([x, y]) => x.metrics[m] !== undefined && y.metrics[m] !== undefined);
      if (xs.length) ratios[m] = ratioOfMeans(xs.map(([x]) => x.metrics[m]), xs.map(([, y]) => y.metrics[m]));
    }
    out.push({
      axis: cmp.axis,
      baseline: cmp.baseline,
      candidate: cand.params[cmp.axis],
      params: Object.fromEntries(Object.entries(cand.params).filter(([k]) => k !== cmp.axis)),
      pairs: pairs.length,
      metrics: ratios,
      failures: { baselineOnly, candidateOnly, pValue: mcnemarExact(baselineOnly, candidateOnly) },
    });
  }
  return out;
}

function ratioOfMeans(base: number[], cand: number[]): MetricRatio {
  const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
  const mb = mean(base), mc = mean(cand);
  const rng = new Rng(0, 'compare/bootstrap');
  const n = base.length;
  const boot: number[] = [];
  for (let i = 0; i < RESAMPLES; i++) {
    let sb = 0, sc = 0;
    for (let j = 0; j < n; j++) {
      const k = rng.int(n);
      sb += base[k];
      sc += cand[k];
    }
    if (sb !== 0) boot.push(sc / sb);
  }
  boot.sort((a, b) => a - b);
  const at = (q: number) => (boot.length ? boot[Math.min(boot.length - 1, Math.floor(q * boot.length))] : NaN);
  return { baseline: mb, candidate: mc, ratio: mb === 0 ? NaN : mc / mb, low: at(0.025), high: at(0.975) };
}

/** Two-sided exact McNemar test: the discordant pairs split as a fair coin would split them,
 *  P = 2 P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2). The binomial CDF is stdlib's (through
 *  the regularized incomplete beta), which holds for any n; 2^-n summed by hand underflowed to
 *  p = 0 beyond 1,074 pairs. */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  return n === 0 ? 1 : Math.min(1, 2 * binomialCdf(Math.min(b, c), n, 0.5));
}
