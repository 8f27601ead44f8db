// The statistics a seeded sweep needs. Failure rates are binomial proportions: Wilson score
// intervals (and Clopper-Pearson on request, and the rule of three when nothing failed). Two
// configurations are compared with exact or rank tests: McNemar for failures on the same seeds,
// Fisher for failure rates on different ones, Wilcoxon signed-rank for a metric on the same
// seeds, Mann-Whitney U when the seeds differ, and bootstrap intervals of the ratio of means.
// The distributions come from stdlib; every function is checked against scipy in the tests.
import { createRequire } from 'node:module';
import { mathjs } from '../mathjs.js';
import { Rng } from '../sim/rng.js';

// stdlib is some 700 small modules: loaded when a test first needs it, not by every worker thread
// and command that only summarises (load.ts checks gates, and gates read Wilson intervals).
const require = createRequire(import.meta.url);
let dists:
  | {
      betaQuantile: typeof import('@stdlib/stats-base-dists-beta-quantile');
      binomialCdf: typeof import('@stdlib/stats-base-dists-binomial-cdf');
      hypergeometricPmf: typeof import('@stdlib/stats-base-dists-hypergeometric-pmf');
      normalCdf: typeof import('@stdlib/stats-base-dists-normal-cdf');
      wilcoxon: typeof import('@stdlib/stats-wilcoxon');
    }
  | undefined;

function stdlib(): NonNullable<typeof dists> {
  return (dists ??= {
    betaQuantile: require('@stdlib/stats-base-dists-beta-quantile'),
    binomialCdf: require('@stdlib/stats-base-dists-binomial-cdf'),
    hypergeometricPmf: require('@stdlib/stats-base-dists-hypergeometric-pmf'),
    normalCdf: require('@stdlib/stats-base-dists-normal-cdf'),
    wilcoxon: require('@stdlib/stats-wilcoxon'),
  });
}

export interface Interval {
  rate: number;
  low: number;
  high: number;
}

/** 95% Wilson score interval for k failures in n trials. */
export function wilson(k: number, n: number, z = 1.959963984540054): Interval {
  if (n === 0) return { rate: 0, low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { rate: p, low: k === 0 ? 0 : Math.max(0, centre - half), high: k === n ? 1 : Math.min(1, centre + half) };
}

/** 95% Clopper-Pearson ("exact") interval: never narrower than the coverage it promises. */
export function clopperPearson(k: number, n: number, alpha = 0.05): Interval {
  if (n === 0) return { rate: 0, low: 0, high: 1 };
  const { betaQuantile } = stdlib();
  return { rate: k / n, low: k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1), high: k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k) };
}

/** The 95% upper bound on a rate when none of n trials failed: 3/n. */
export function ruleOfThree(n: number): number {
  return n === 0 ? 1 : Math.min(1, 3 / n);
}

export interface ClassRate extends Interval {
  count: number;
  /** Only when count is 0: the rule-of-three upper bound. */
  ruleOfThree?: number;
}

/** Count, rate and Wilson interval of one outcome class among n trials. */
export function classRate(count: number, n: number): ClassRate {
  return { count, ...wilson(count, n), ...(count === 0 ? { ruleOfThree: ruleOfThree(n) } : {}) };
}

/** Two-sided exact McNemar test: the discordant pairs split as a fair coin would split them,
 *  P = 2 P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2); the binomial CDF holds for any n (2^-n
 *  summed by hand underflowed to p = 0 beyond 1,074 pairs). */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  return n === 0 ? 1 : Math.min(1, 2 * stdlib().binomialCdf(Math.min(b, c), n, 0.5));
}

/** Two-sided Fisher exact test of k1 failures in n1 trials against k2 in n2: the tables with the
 *  same margins no likelier than the one observed (scipy's rule, with its 1e-7 relative slack). */
export function fisherExact(k1: number, n1: number, k2: number, n2: number): number {
  const N = n1 + n2, K = k1 + k2;
  if (n1 === 0 || n2 === 0 || K === 0 || K === N) return 1;
  const { hypergeometricPmf } = stdlib();
  const observed = hypergeometricPmf(k1, N, K, n1);
  let p = 0;
  for (let x = Math.max(0, n1 - (N - K)); x <= Math.min(n1, K); x++) {
    const q = hypergeometricPmf(x, N, K, n1);
    if (q <= observed * (1 + 1e-7)) p += q;
  }
  return Math.min(1, p);
}

export interface TestResult {
  statistic: number;
  pValue: number;
}

/** Wilcoxon signed-rank test of paired samples: zero differences dropped (scipy's 'wilcox'), the
 *  exact distribution below 50 pairs without ties, else the normal approximation with continuity
 *  correction; the statistic is the smaller rank sum, as scipy reports it. Undefined with fewer
 *  than two non-zero differences: too little to rank. */
export function wilcoxonSignedRank(x: number[], y: number[]): TestResult | undefined {
  const kept = x.map((v, i) => [v, y[i]]).filter(([v, w]) => v !== w);
  const n = kept.length;
  if (n < 2) return undefined;
  const r = stdlib().wilcoxon(kept.map(([v]) => v), kept.map(([, w]) => w));
  // stdlib doubles the one-sided exact p without a cap: 1.25 for 3 pairs split 2 to 1.
  return { statistic: Math.min(r.statistic, (n * (n + 1)) / 2 - r.statistic), pValue: Math.min(1, r.pValue) };
}

/** Two-sided Mann-Whitney U test, normal approximation with tie and continuity corrections (as
 *  scipy.stats.mannwhitneyu(method='asymptotic')); U is that of the first sample. */
export function mannWhitneyU(x: number[], y: number[]): TestResult {
  const n1 = x.length, n2 = y.length, n = n1 + n2;
  const all = [...x.map((v) => ({ v, first: true })), ...y.map((v) => ({ v, first: false }))].sort((a, b) => a.v - b.v);
  let r1 = 0;
  let ties = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && all[j].v === all[i].v) j++;
    const rank = (i + 1 + j) / 2, t = j - i;
    ties += t * t * t - t;
    for (let k = i; k < j; k++) if (all[k].first) r1 += rank;
    i = j;
  }
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1))));
  if (sigma === 0) return { statistic: u1, pValue: 1 };
  const z = (Math.max(u1, n1 * n2 - u1) - mu - 0.5) / sigma;
  return { statistic: u1, pValue: Math.min(1, 2 * (1 - stdlib().normalCdf(z, 0, 1))) };
}

export interface Ratio {
  baseline: number;
  candidate: number;
  ratio: number;
  low: number;
  high: number;
}

const RESAMPLES = 2000;

/** The ratio of means candidate/baseline with a 95% percentile bootstrap interval: resampling
 *  pairs together when the samples are paired (same seeds), each sample alone when not. A
 *  deterministic stream, so the same records give the same interval. Undefined when a side is
 *  empty or the baseline mean is 0: there is no ratio to show. */
export function bootstrapRatio(base: number[], cand: number[], paired: boolean): Ratio | undefined {
  if (base.length === 0 || cand.length === 0) return undefined;
  const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
  const mb = mean(base), mc = mean(cand);
  if (mb === 0) return undefined;
  const rng = new Rng(0, 'compare/bootstrap');
  const boot: number[] = [];
  for (let i = 0; i < RESAMPLES; i++) {
    let sb = 0, sc = 0;
    for (let j = 0; j < base.length; j++) {
      const k = rng.int(base.length);
      sb += base[k];
      if (paired) sc += cand[k];
    }
    if (!paired) for (let j = 0; j < cand.length; j++) sc += cand[rng.int(cand.length)];
    if (sb !== 0) boot.push(sc / cand.length / (sb / base.length));
  }
  boot.sort((a, b) => a - b);
  const at = (q: number) => boot[Math.min(boot.length - 1, Math.floor(q * boot.length))];
  return { baseline: mb, candidate: mc, ratio: mc / mb, low: at(0.025), high: at(0.975) };
}

export interface MetricSummary {
  mean: number;
  median: number;
  sd: number;
  p5: number;
  p95: number;
  unit: string;
}

export function summarize(values: number[], unit: string): MetricSummary {
  const { mean, quantileSeq, std } = mathjs();
  // Sorted once and handed over as sorted: mathjs's own selection is quadratic on repeated values
  // (a metric equal in 100,000 trials took minutes).
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => Number(quantileSeq(sorted, p, true));
  const m = Number(mean(values));
  const sd = values.length > 1 ? Number(std(values)) : 0;
  return {
    mean: m,
    median: q(0.5),
    // Identical samples give rounding noise (1e-14) instead of 0; it is no spread.
    sd: sd <= 1e-12 * Math.abs(m) ? 0 : sd,
    p5: q(0.05),
    p95: q(0.95),
    unit,
  };
}

/** Benjamini-Hochberg adjusted p-values (q-values): rejecting every q < alpha keeps the expected
 *  share of false discoveries among the rejections at most alpha (as R's p.adjust(p, 'BH')). */
export function benjaminiHochberg(p: number[]): number[] {
  const m = p.length;
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a]);
  const q = new Array<number>(m);
  let min = 1;
  order.forEach((i, k) => {
    min = Math.min(min, (p[i] * m) / (m - k));
    q[i] = min;
  });
  return q;
}

export interface ChangePoint {
  /** Index of the first value after the change. */
  at: number;
  pValue: number;
}

/** E-Divisive with means (Matteson and James 2014, as R's ecp::e.divisive with alpha = 1): the
 *  split of a series whose two sides are furthest apart in energy distance, tested by permuting
 *  the segment (`permutations` times, p = (1 + as extreme) / (1 + permutations)); each significant
 *  split divides its segment and the halves are searched in turn. Deterministic for a given
 *  `stream` name. */
export function eDivisive(series: number[], { minSize = 2, permutations = 199, alpha = 0.05, stream = 'edivisive' } = {}): ChangePoint[] {
  const rng = new Rng(0, stream);
  const found: ChangePoint[] = [];
  const segments: [number, number][] = [[0, series.length]];
  while (segments.length) {
    const [from, to] = segments.pop()!;
    const seg = series.slice(from, to);
    const best = bestSplit(seg, minSize);
    if (!best) continue;
    let extreme = 0;
    const shuffled = [...seg];
    for (let r = 0; r < permutations; r++) {
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      if ((bestSplit(shuffled, minSize)?.q ?? 0) >= best.q) extreme++;
    }
    const pValue = (1 + extreme) / (1 + permutations);
    if (pValue >= alpha) continue;
    found.push({ at: from + best.at, pValue });
    segments.push([from, from + best.at], [from + best.at, to]);
  }
  return found.sort((a, b) => a.at - b.at);
}

/** The split maximising Q = (m n / (m + n)) (2 mean|x - y| - mean|x - x'| - mean|y - y'|) over
 *  splits leaving at least minSize values a side, in O(length^2) by updating the sums. */
function bestSplit(z: number[], minSize: number): { at: number; q: number } | undefined {
  const n = z.length;
  if (n < 2 * minSize) return undefined;
  const d = (i: number, j: number) => Math.abs(z[i] - z[j]);
  // Start with the split at 0: everything on the right.
  let left = 0, between = 0, right = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) right += d(i, j);
  let best: { at: number; q: number } | undefined;
  for (let t = 1; t < n; t++) {
    // Move z[t - 1] from the right side to the left.
    let toLeft = 0, toRight = 0;
    for (let i = 0; i < t - 1; i++) toLeft += d(i, t - 1);
    for (let j = t; j < n; j++) toRight += d(t - 1, j);
    left += toLeft;
    right -= toRight;
    between += toRight - toLeft;
    const m = t, k = n - t;
    if (m < minSize || k < minSize) continue;
    const within = (s: number, c: number) => (c > 1 ? s / ((c * (c - 1)) / 2) : 0);
    const q = ((m * k) / n) * ((2 * between) / (m * k) - within(left, m) - within(right, k));
    if (!best || q > best.q) best = { at: t, q };
  }
  return best;
}
