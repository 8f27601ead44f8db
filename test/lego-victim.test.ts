// The victim-cache double free of 30 August 2018 must come from the interleaving of CPUs in the
// pre-fix fill path, and never from the fixed one (experiments/victim-double-free.yaml).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultsweep, replayArgs, tempDir } from './helpers.js';

// The double free itself (15 crashes in 100 seeds without the fix, none with it, the
// PCACHE_BUG_ON_VICTIM signature, the gate) is the README's first example, which test/readme.test.ts
// runs and checks line by line; it is not run a second time here.

test('a flush thread stuck on a lost CQE starves victim allocation: Abort victim alloc after 20 s, with the dump', async () => {
  const r = await faultsweep(['run', 'experiments/victim-starvation.yaml', '--json', '--out', `${tempDir('starve')}/run`]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const [cell] = JSON.parse(String(r.stdout)).cells as { failures: { signature: string; replay: string }[] }[];
  const starved = cell.failures.find((f) => f.signature === 'Abort victim alloc');
  assert.ok(starved, JSON.stringify(cell.failures));
  const replay = await faultsweep(replayArgs(starved.replay));
  assert.match(String(replay.stdout), /\[\s+20\.\d+\] CPU\d+ PID\d+ Abort victim alloc \(20000ms\) nr_usable_victims: 2\. From pset_idx:\d+ nr_lru:\d+ fault_uva: 0x[0-9a-f]+\n.*Start Dump Victim Cache \[0\] total: 2\n(?:.*\n)*?.*victim\[[01]\]:ffffffff810c2[0-9a-f]{3} refcount:\d+ nr_fill:\d+ max_fill:\d+ locked:0 flags:\(0x[0-9a-f]+\)\([a-z|]*waitflush/);
});
