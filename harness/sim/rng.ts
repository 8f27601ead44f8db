// Seeded random streams. Each model component draws from its own named stream, derived from
// (trial seed, stream name), so adding a fault never shifts the workload's random numbers.
import { createHash } from 'node:crypto';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

const TWO_POW_32 = 4294967296;

export class Rng {
  private gen;

  constructor(seed: number, readonly name: string) {
    const h = createHash('sha256').update(`${seed}\0${name}`).digest();
    this.gen = xoroshiro128plusFromState([h.readInt32LE(0), h.readInt32LE(4), h.readInt32LE(8), h.readInt32LE(12)]);
  }

  /** Uniform in [0, 1), 53 bits. */
  random(): number {
    const hi = (this.gen.next() >>> 5);
    const lo = (this.gen.next() >>> 6);
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [0, 1), 32 bits: cheaper where 2^-32 resolution is plenty. */
  random32(): number {
    return (this.gen.next() >>> 0) / TWO_POW_32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Exponential with the given mean, rounded to integer nanoseconds (at least 1). */
  exponentialNs(meanNs: number): number {
    const d = Math.round(-Math.log(1 - this.random32()) * meanNs);
    return d > 0 ? d : 1;
  }
}
