// XPMEM at scale: one alltoall trial of experiments/release-1024.yaml (the candidate build) at
// 1024 ranks - a million get/attach/detach/release cycles - and at 4096.
import { registerTrialBench } from '../../harness/bench/trial.js';

// The 4096-rank trial takes about a minute and a half, so it is timed once, cold.
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
}
