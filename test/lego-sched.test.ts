// The run-queue deadlock of August 2018: without piLockIrqsaveFix a timer interrupt that lands
// while its CPU holds rq->lock with interrupts on deadlocks it, more often the more interrupts
// there are; with the fix, never (experiments/rq-lock-deadlock.yaml).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { faultsweep, replayArgs, root } from './helpers.js';

// The deadlock's rates (0 / 3 / 15 / 20 hangs in 20 seeds at 0 / 20k / 100k / 500k interrupts/s
// without the fix, none with it) are the README's rq-lock-deadlock example, which
// test/readme.test.ts runs and checks line by line. Here: its replay prints the console the
// developer saw.
test('an rq->lock deadlock replays with DEBUG_SPINLOCK\'s report and the interrupted wake-up on the stack', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const replay = /replay: (faultsweep replay experiments\/rq-lock-deadlock\.yaml [^\n]+)/.exec(readme);
  assert.ok(replay, 'the README shows no rq-lock-deadlock replay');
  const r = await faultsweep(replayArgs(replay[1]));
  assert.equal(r.exitCode, 0, String(r.stderr));
  assert.match(String(r.stdout), /: hang \(rq-lock-deadlock: Possible deadlock happend/);
  assert.match(String(r.stdout), /Possible deadlock happend locker_cpu: \d+\n.*Current call stack:[\s\S]*scheduler_tick[\s\S]*apic_timer_interrupt[\s\S]*try_to_wake_up/);
});
