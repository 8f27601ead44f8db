// The transport between LegoOS nodes (net/lego/fit_*.c), for now as latency only: a one-way
// delay by message size interpolated from the testbed's measured RPC round trips, plus an
// exponential queueing jitter in the NIC and switch, so that threads do not run in lockstep.
// The FIT NIC model (QPs, send CQs, polling modes) replaces this class behind the same send() seam.
import type { Rng } from '../../harness/sim/rng.js';
import type { Simulation } from '../../harness/sim/simulation.js';

export interface LatencyPoint {
  bytes: number;
  ns: number;
}

export class Fit {
  private table: LatencyPoint[];
  nrMessages = 0;
  nrBytes = 0;

  private rng: Rng;

  constructor(private readonly sim: Simulation, rpcLatency: LatencyPoint[], private readonly jitterNs: number) {
    this.table = [...rpcLatency].sort((a, b) => a.bytes - b.bytes);
    this.rng = sim.rng('fit');
  }

  /** The round trip of an RPC carrying `bytes` one way, interpolated (clamped at the ends). */
  rttNs(bytes: number): number {
    const t = this.table;
    if (bytes <= t[0].bytes) return t[0].ns;
    for (let i = 1; i < t.length; i++) {
      if (bytes <= t[i].bytes) {
        const f = (bytes - t[i - 1].bytes) / (t[i].bytes - t[i - 1].bytes);
        return Math.round(t[i - 1].ns + f * (t[i].ns - t[i - 1].ns));
      }
    }
    const [a, b] = t.slice(-2);
    return Math.round(b.ns + ((bytes - b.bytes) * (b.ns - a.ns)) / (b.bytes - a.bytes));
  }

  /** One way: the round trip of this size less the smallest message's way back. */
  oneWayNs(bytes: number): number {
    return this.rttNs(bytes) - Math.round(this.table[0].ns / 2);
  }

  send(bytes: number, deliver: () => void): void {
    this.nrMessages++;
    this.nrBytes += bytes;
    const jitter = this.jitterNs > 0 ? this.rng.exponentialNs(this.jitterNs) : 0;
    this.sim.after(this.oneWayNs(bytes) + jitter, deliver);
  }
}
