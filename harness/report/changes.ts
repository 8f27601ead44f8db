// What changed tonight. Each cell is set beside the same cell on the night before it: its headline
// metrics with Wilcoxon's signed-rank test when both nights ran the same seeds and Mann-Whitney's
// U otherwise (a bootstrap interval of the ratio of means, and a minimum effect size below which
// a significant change is not worth a morning's attention), and its failure rate per outcome class
// with Fisher's exact test and Wilson intervals. All of a night's tests share one false discovery
// rate (Benjamini-Hochberg). E-Divisive means over each whole series of nights finds the steps
// and drifts a comparison of two nights cannot see.
import type { Params } from '../experiment/load.js';
import type { HistoryTrial, NightCell } from './history.js';
import { benjaminiHochberg, bootstrapRatio, eDivisive, fisherExact, mannWhitneyU, summarize, wilcoxonSignedRank, wilson, type Interval, type Ratio } from './stats.js';

export const CLASSES = ['error', 'hang', 'crash'] as const;

export interface ChangeOptions {
  /** False discovery rate over the night's tests. */
  alpha: number;
  /** A metric change smaller than this fraction is not reported, however significant. */
  minEffect: number;
}

export const DEFAULT_CHANGE: ChangeOptions = { alpha: 0.05, minEffect: 0.05 };

interface Base {
  experiment: string;
  key: string;
  params: Params;
  /** The night compared with. */
  since: number;
  pValue: number;
  /** Benjamini-Hochberg adjusted. */
  qValue: number;
  direction: 'regression' | 'improvement';
}

export interface MetricChange extends Base, Ratio {
  kind: 'metric';
  metric: string;
  unit: string;
  test: 'Wilcoxon' | 'Mann-Whitney';
  n: [number, number];
}

export interface RateChange extends Base {
  kind: 'rate';
  class: (typeof CLASSES)[number];
  test: 'Fisher';
  before: Interval & { count: number; trials: number };
  after: Interval & { count: number; trials: number };
}

export type Change = MetricChange | RateChange;

export interface SeriesPoint {
  night: number;
  value: number;
  low: number;
  high: number;
  n: number;
}

/** One metric or failure rate of one cell over the nights, with its change points. */
export interface Series {
  experiment: string;
  key: string;
  params: Params;
  what: string;
  unit: string;
  points: SeriesPoint[];
  /** Nights at which a new level begins, worse or better than the one before. */
  steps: { night: number; pValue: number; before: number; after: number; direction: 'regression' | 'improvement' }[];
}

export const higherIsBetter = (unit: string) => unit.endsWith('/s');

const values = (ts: HistoryTrial[], m: string) => ts.filter((t) => t.outcome === 'ok' && t.metrics[m] !== undefined);

/** Tonight's changes against the night before, significant at the false discovery rate and at
 *  least the minimum effect; every test that could be made is counted in the correction. */
export function detectChanges(cells: NightCell[], night: number, o: ChangeOptions = DEFAULT_CHANGE): { changes: Change[]; tests: number } {
  const tonight = cells.filter((c) => c.night === night);
  const candidates: (Omit<MetricChange, 'qValue'> | Omit<RateChange, 'qValue'>)[] = [];
  for (const cur of tonight) {
    const prev = cells.filter((c) => c.key === cur.key && c.night < night).at(-1);
    if (!prev) continue;
    const base = { experiment: cur.experiment, key: cur.key, params: cur.params, since: prev.night };
    for (const metric of cur.headline) {
      const unit = cur.units[metric] ?? '';
      const a = values(prev.trials, metric), b = values(cur.trials, metric);
      const bySeed = new Map(a.map((t) => [t.seed, t]));
      const pairs = b.filter((t) => bySeed.has(t.seed)).map((t) => [bySeed.get(t.seed)!.metrics[metric], t.metrics[metric]] as const);
      // Paired only when the nights ran the same seeds: a few shared seeds of two fresh nights are not a pairing.
      const paired = pairs.length >= 2 && pairs.length === a.length && pairs.length === b.length;
      const [xa, xb] = paired ? [pairs.map((p) => p[0]), pairs.map((p) => p[1])] : [a.map((t) => t.metrics[metric]), b.map((t) => t.metrics[metric])];
      if (xa.length < 2 || xb.length < 2) continue;
      const test = paired ? wilcoxonSignedRank(xa, xb) : mannWhitneyU(xa, xb);
      const ratio = bootstrapRatio(xa, xb, paired);
      if (!test || !ratio) continue;
      const worse = higherIsBetter(unit) ? ratio.ratio < 1 : ratio.ratio > 1;
      candidates.push({ ...base, ...ratio, kind: 'metric', metric, unit, test: paired ? 'Wilcoxon' : 'Mann-Whitney', n: [xa.length, xb.length], pValue: test.pValue, direction: worse ? 'regression' : 'improvement' });
    }
    for (const cls of CLASSES) {
      const k1 = prev.trials.filter((t) => t.outcome === cls).length, n1 = prev.trials.length;
      const k2 = cur.trials.filter((t) => t.outcome === cls).length, n2 = cur.trials.length;
      if (k1 + k2 === 0) continue;
      const before = { ...wilson(k1, n1), count: k1, trials: n1 }, after = { ...wilson(k2, n2), count: k2, trials: n2 };
      candidates.push({ ...base, kind: 'rate', class: cls, test: 'Fisher', before, after, pValue: fisherExact(k1, n1, k2, n2), direction: after.rate > before.rate ? 'regression' : 'improvement' });
    }
  }
  const q = benjaminiHochberg(candidates.map((c) => c.pValue));
  const changes = candidates
    .map((c, i) => ({ ...c, qValue: q[i] }) as Change)
    .filter((c) => c.qValue < o.alpha && (c.kind === 'rate' || Math.abs(c.ratio - 1) >= o.minEffect))
    .sort((x, y) => (x.direction === y.direction ? x.qValue - y.qValue : x.direction === 'regression' ? -1 : 1));
  return { changes, tests: candidates.length };
}

/** Every cell's headline metrics and failure rates night by night, with E-Divisive's steps. */
export function series(cells: NightCell[]): Series[] {
  const byKey = new Map<string, NightCell[]>();
  for (const c of cells) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
  const out: Series[] = [];
  for (const [key, nights] of byKey) {
    const last = nights.at(-1)!;
    const one = (what: string, unit: string, point: (c: NightCell) => SeriesPoint | undefined, lowerIsBetter: boolean) => {
      const points = nights.map(point).filter((p): p is SeriesPoint => p !== undefined);
      const steps = eDivisive(points.map((p) => p.value), { stream: `${key}/${what}` }).map((cp) => {
        const before = points[cp.at - 1].value, after = points[cp.at].value;
        return { night: points[cp.at].night, pValue: cp.pValue, before, after, direction: (after > before) === lowerIsBetter ? ('regression' as const) : ('improvement' as const) };
      });
      out.push({ experiment: last.experiment, key, params: last.params, what, unit, points, steps });
    };
    for (const metric of last.headline) {
      const unit = last.units[metric] ?? '';
      one(metric, unit, (c) => meanPoint(c.night, values(c.trials, metric).map((t) => t.metrics[metric])), !higherIsBetter(unit));
    }
    for (const cls of CLASSES) {
      if (!nights.some((c) => c.trials.some((t) => t.outcome === cls))) continue;
      one(`${cls} rate`, '', (c) => {
        const w = wilson(c.trials.filter((t) => t.outcome === cls).length, c.trials.length);
        return { night: c.night, value: w.rate, low: w.low, high: w.high, n: c.trials.length };
      }, true);
    }
  }
  return out;
}

/** A night's mean with its 95% interval (normal, from the standard error). */
function meanPoint(night: number, xs: number[]): SeriesPoint | undefined {
  if (xs.length === 0) return undefined;
  const { mean, sd } = summarize(xs, '');
  const half = (1.959963984540054 * sd) / Math.sqrt(xs.length);
  return { night, value: mean, low: mean - half, high: mean + half, n: xs.length };
}
