// The statistics a seeded sweep needs: Wilson intervals for failure rates (binomial proportions)
// and location/spread summaries for metrics.
import { mathjs } from '../mathjs.js';

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

export interface MetricSummary {
  mean: number;
  median: number;
  sd: number;
  p5: number;
  p95: number;
  unit: string;
}

export function summarize(values: number[], unit: string): MetricSummary {
  const { mean, median, quantileSeq, std } = mathjs();
  const q = (p: number) => Number(quantileSeq(values, p));
  const m = Number(mean(values));
  const sd = values.length > 1 ? Number(std(values)) : 0;
  return {
    mean: m,
    median: Number(median(values)),
    // Identical samples give rounding noise (1e-14) instead of 0; it is no spread.
    sd: sd <= 1e-12 * Math.abs(m) ? 0 : sd,
    p5: q(0.05),
    p95: q(0.95),
    unit,
  };
}
