// The victim-cache double free of 30 August 2018 must come from the interleaving of CPUs in the
// pre-fix fill path, and never from the fixed one (experiments/victim-double-free.yaml).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultsweep } from './helpers.js';

interface CellSummary {
  params: Record<string, unknown>;
  trials: number;
  outcomes: Record<string, number>;
  failures: { signature: string; count: number }[];
}

test('victimNohitFix false crashes with the seed signature in a measurable fraction of 200 seeds; true never', async () => {
  const r = await faultsweep(['run', 'experiments/victim-double-free.yaml', '--seeds', '200', '--json', '--out', `${process.env.TMPDIR ?? '/tmp'}/faultsweep-vdf-${process.pid}`]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const cells = JSON.parse(String(r.stdout)).cells as CellSummary[];
  const buggy = cells.find((c) => c.params['kernel.victimNohitFix'] === false)!;
  const fixed = cells.find((c) => c.params['kernel.victimNohitFix'] === true)!;
  console.log(`victimNohitFix false: ${buggy.outcomes.crash} crashes in ${buggy.trials}; true: ${fixed.outcomes.crash} in ${fixed.trials}`);
  assert.equal(buggy.trials, 200);
  assert.ok(buggy.outcomes.crash >= 10, `expected a measurable crash rate, got ${buggy.outcomes.crash}/200`);
  for (const f of buggy.failures) assert.match(f.signature, /^PCACHE_BUG_ON_VICTIM\(/);
  assert.equal(fixed.trials, 200);
  assert.equal(fixed.outcomes.ok, 200, JSON.stringify(fixed.failures));
});
