// Latency samples kept in an HDR histogram (three significant digits), so a trial of 16 million
// messages reports its mean and p99 in constant memory.
import * as hdr from 'hdr-histogram-js';

const HOUR_NS = 3.6e12;

export class Latencies {
  private h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HOUR_NS, numberOfSignificantValueDigits: 3 });

  /** A run of equal samples not yet in the histogram: simulated latencies repeat, and one
   *  recordValueWithCount per run is cheaper than one recordValue per sample. */
  private last = 0;
  private run = 0;

  record(ns: number): void {
    const v = Math.min(HOUR_NS, Math.max(1, Math.round(ns)));
    if (v === this.last) {
      this.run++;
      return;
    }
    this.flush();
    this.last = v;
    this.run = 1;
  }

  get count(): number {
    this.flush();
    return this.h.totalCount;
  }

  /** `${name}MeanUs` and `${name}P99Us`, or nothing without samples. */
  metrics(name: string): Record<string, number> {
    this.flush();
    if (this.h.totalCount === 0) return {};
    return { [`${name}MeanUs`]: this.h.mean / 1000, [`${name}P99Us`]: this.h.getValueAtPercentile(99) / 1000 };
  }

  private flush(): void {
    if (this.run > 0) this.h.recordValueWithCount(this.last, this.run);
    this.run = 0;
  }
}
