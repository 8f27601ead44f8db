// The run-queue deadlock of August 2018: without piLockIrqsaveFix a timer interrupt that lands
// while its CPU holds rq->lock with interrupts on deadlocks it, more often the more interrupts
// there are; with the fix, never (experiments/rq-lock-deadlock.yaml).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultsweep, replayArgs, tempDir } from './helpers.js';

interface CellSummary {
  params: Record<string, unknown>;
  trials: number;
  outcomes: Record<string, number>;
  metrics: Record<string, { mean: number }>;
  failures: { signature: string; replay: string }[];
}

test('rq->lock deadlocks grow with the interrupt rate without the fix, and never happen with it', async () => {
  const r = await faultsweep(['run', 'experiments/rq-lock-deadlock.yaml', '--seeds', '20', '--json', '--out', `${tempDir('rq')}/run`]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const cells = JSON.parse(String(r.stdout)).cells as CellSummary[];
  const hangs = (fix: boolean) => ['0 Hz', '20 kHz', '100 kHz', '500 kHz'].map((storm) => cells.find((c) => c.params['kernel.piLockIrqsaveFix'] === fix && c.params.storm === storm)!.outcomes.hang);
  const buggy = hangs(false);
  console.log(`hangs in 20 seeds at 0 / 20k / 100k / 500k interrupts/s: without the fix ${buggy.join(' / ')}, with it ${hangs(true).join(' / ')}`);
  assert.deepEqual(hangs(true), [0, 0, 0, 0]);
  assert.ok(buggy[1] > 0 && buggy[1] <= buggy[2] && buggy[2] <= buggy[3] && buggy[3] > buggy[1], `hangs ${buggy}`);
  const storms = cells.filter((c) => c.params.storm === '500 kHz');
  for (const c of storms) assert.ok(c.metrics['fault.timer-irq.storm'].mean > 0, 'the storm fired');
  const failure = cells.find((c) => c.failures.length)!.failures[0];
  assert.match(failure.signature, /^Possible deadlock happend/);
  const replay = await faultsweep(replayArgs(failure.replay));
  assert.equal(replay.exitCode, 0);
  assert.match(String(replay.stdout), /Possible deadlock happend locker_cpu: \d+\n.*Current call stack:[\s\S]*scheduler_tick[\s\S]*apic_timer_interrupt[\s\S]*try_to_wake_up/);
});
