// XPMEM at scale: one alltoall trial of experiments/release-1024.yaml (the candidate build) at
// 1024 ranks - a million get/attach/detach/release cycles - and at 4096; and the XPMEM calls of
// such a trial alone, without the simulation, to tell the model's own cost from the rest.
import { registerBench } from '../../harness/bench/index.js';
import { registerTrialBench } from '../../harness/bench/trial.js';
import { Rng } from '../../harness/sim/rng.js';
import { Simulation } from '../../harness/sim/simulation.js';
import { type MaySleep, Task, Xpmem, XPMEM_MAXADDR_SIZE, XPMEM_PERMIT_MODE, XPMEM_RDWR } from './xpmem.js';

// The 4096-rank trial takes one to one and a half minutes here, so it is timed once, cold.
for (const [ranks, maxMs, maxBytes, iterations, warmups] of [[1024, 1500, 512 * 2 ** 20, 3, 1], [4096, 20_000, undefined, 1, 0]] as const) {
  registerTrialBench(`xpmem-alltoall-${ranks}`, {
    file: 'experiments/release-1024.yaml',
    sets: ['sweep={}', 'workload.pattern=alltoall', `workload.ranks=${ranks}`, 'workload.iterations=1'],
    unit: 'messages',
    units: ranks * (ranks - 1),
    maxMs,
    maxBytes,
    iterations,
    warmups,
  });
  callsBench(ranks, iterations, warmups);
}

/**
 * Every (rank, peer) pair's calls as the alltoall makes them - get, attach and a 1 MiB touch a
 * pair, then detach and release - in rounds, one pair of each rank a round, the ranks in one
 * seeded shuffled order as the simulation interleaves them; four partitions, so three pairs in
 * four are GRU-addressable and detach through a recall. No events, no workload: what the
 * model's own records cost at this scale.
 */
function callsBench(ranks: number, iterations: number, warmups: number): void {
  registerBench(`xpmem-calls-${ranks}`, () => {
    const order = Int32Array.from({ length: ranks }, (_, i) => i);
    const rng = new Rng(1, 'xpmem-calls');
    for (let i = ranks - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const perPartition = ranks / 4;
    return {
      name: `xpmem-calls-${ranks}`,
      unit: 'pairs',
      opsPerCall: ranks * (ranks - 1),
      iterations,
      warmups,
      fn: () => {
        const sim = new Simulation(1, { timeNs: Number.MAX_SAFE_INTEGER, events: Number.MAX_SAFE_INTEGER });
        const costs = { syscall: 1, xpcRoundTrip: 1, pteClear: 1, tlbFlush: 1, pageFault: 1 };
        const x = new Xpmem(sim, { driver: 'sgi', maxaddrClamp: true, costs, hungTaskTimeout: Number.MAX_SAFE_INTEGER });
        const part = (r: number) => Math.floor(r / perPartition);
        const tasks = Array.from({ length: ranks }, (_, r) => new Task(x.open(1000 + r, part(r)), `rank${r}`, r));
        const segids = tasks.map((t) => x.make(t, 0, XPMEM_MAXADDR_SIZE, XPMEM_PERMIT_MODE, 0o666));
        x.reserve(ranks * (ranks + 64), ranks * (ranks + 64));
        const apids = new BigInt64Array(ranks * ranks), atts = new Int32Array(ranks * ranks);
        for (let i = 1; i < ranks; i++) {
          for (const r of order) {
            const s = (r - i + ranks) % ranks, k = r * ranks + s;
            apids[k] = x.get(tasks[r], segids[s], XPMEM_RDWR, XPMEM_PERMIT_MODE, null);
            if (x.attach(tasks[r], apids[k], 0, 2 ** 23, 0, part(r) !== part(s)) < 0) throw new Error('xpmem-calls: attach failed');
            atts[k] = x.lastAttachment;
            x.touchAttachment(tasks[r], atts[k], 0, 2 ** 20);
          }
        }
        for (let i = 1; i < ranks; i++) {
          for (const r of order) {
            const s = (r - i + ranks) % ranks, k = r * ranks + s;
            drain(x.detach(tasks[r], x.vaddrOf(atts[k]), atts[k]));
            drain(x.release(tasks[r], apids[k]));
          }
        }
      },
    };
  });
}

/** Runs a call that may sleep to its end: with the clamp nothing makes a recall wait. */
function drain(r: MaySleep): void {
  if (typeof r === 'number') return;
  const it = r[Symbol.iterator]();
  while (!it.next().done);
}
