// The bench runner: every benchmark's teardown runs, whether it measured or failed, so scratch
// files (cachesim-din writes a 22 MB trace) never pile up in the temporary directory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { missed, registerBench, runBenches } from '../harness/bench/index.js';
import { faultsweep } from './helpers.js';

test('a benchmark is torn down after it ran, and after it failed', async () => {
  const torn: string[] = [];
  registerBench('test-ok', () => ({ name: 'test-ok', unit: 'ops', opsPerCall: 1, iterations: 2, warmups: 0, fn: () => {}, teardown: () => torn.push('test-ok') }));
  registerBench('test-fails', () => ({
    name: 'test-fails', unit: 'ops', opsPerCall: 1, iterations: 2, warmups: 0,
    fn: () => {
      throw new Error('broken benchmark');
    },
    teardown: () => torn.push('test-fails'),
  }));
  const ok = await runBenches(['test-ok'], 10, () => {});
  assert.ok(ok['test-ok'].samples >= 2);
  assert.deepEqual(torn, ['test-ok']);
  await assert.rejects(runBenches(['test-fails'], 10, () => {}), /broken benchmark/);
  assert.deepEqual(torn, ['test-ok', 'test-fails']);
});

test('bench --check exits 1 when a benchmark misses its target, 0 when all meet theirs', async () => {
  registerBench('test-slow', () => ({ name: 'test-slow', unit: 'ops', opsPerCall: 1, iterations: 2, warmups: 0, target: 1e15, fn: () => {} }));
  registerBench('test-fast', () => ({ name: 'test-fast', unit: 'ops', opsPerCall: 1, iterations: 2, warmups: 0, target: 1, fn: () => {} }));
  assert.deepEqual(missed(await runBenches(['test-slow', 'test-fast'], 10, () => {})), ['test-slow']);
  // Whether start-up meets its target depends on the machine's load; that the exit code follows the
  // verdict does not.
  const r = await faultsweep(['bench', 'hold-10k', '--time', '10', '--check']);
  const verdict = /hold-10k .* (met|MISSED)/.exec(String(r.stdout));
  assert.ok(verdict, String(r.stdout));
  assert.equal(r.exitCode, verdict[1] === 'met' ? 0 : 1, String(r.stderr));
  if (r.exitCode === 1) assert.match(String(r.stderr), /1 of 1 benchmarks missed their targets: hold-10k/);
});
