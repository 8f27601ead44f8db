// Metric helpers shared by workloads.

/** Mean and p99 of latency samples in nanoseconds, reported in microseconds. */
export function latencyMetrics(name: string, samplesNs: number[]): Record<string, number> {
  if (samplesNs.length === 0) return {};
  const sorted = Float64Array.from(samplesNs).sort();
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
  return { [`${name}MeanUs`]: mean / 1000, [`${name}P99Us`]: p99 / 1000 };
}
