// Latency samples kept in an HDR histogram (three significant digits), so a trial of 16 million
// messages reports its mean and p99 in constant memory.
import * as hdr from 'hdr-histogram-js';

const HOUR_NS = 3.6e12;

export class Latencies {
  private h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HOUR_NS, numberOfSignificantValueDigits: 3 });

  record(ns: number): void {
    this.h.recordValue(Math.min(HOUR_NS, Math.max(1, Math.round(ns))));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** `${name}MeanUs` and `${name}P99Us`, or nothing without samples. */
  metrics(name: string): Record<string, number> {
    if (this.h.totalCount === 0) return {};
    return { [`${name}MeanUs`]: this.h.mean / 1000, [`${name}P99Us`]: this.h.getValueAtPercentile(99) / 1000 };
  }
}
