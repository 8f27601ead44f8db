// The --dry-run estimate: only cells that ran before, with the same configuration, are timed.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadPlugins } from '../harness/registry.js';
import { loadExperiment } from '../harness/experiment/load.js';
import { estimateSeconds } from '../harness/run/estimate.js';
import { root, tempDir } from './helpers.js';

test('the estimate times only cells that ran before, and says how many never did', async () => {
  await loadPlugins();
  const plan = loadExperiment(join(root, 'experiments', 'remote-access.yaml'), { seeds: 3 });
  const results = tempDir('estimate');
  assert.equal(estimateSeconds(plan, 2, results).seconds, undefined);
  // An earlier run of the same experiment with other settings: its cells are not these.
  const run = join(results, plan.experiment, '2026-11-21T10-00-00Z');
  mkdirSync(run, { recursive: true });
  const record = (cell: string, seed: number, wallMs: number) => JSON.stringify({ cell, seed, outcome: 'ok', host: { wallMs, worker: 0 } });
  writeFileSync(join(run, 'trials.jsonl'), [record('cother', 1, 50_000), record(plan.cells[0].id, 1, 400), record(plan.cells[0].id, 2, 600), record(plan.cells[0].id, 2, 9_000)].join('\n') + '\n');
  // A damaged older run is skipped, not a reason to refuse the estimate.
  const damaged = join(results, plan.experiment, '2026-11-20T10-00-00Z');
  mkdirSync(damaged);
  writeFileSync(join(damaged, 'trials.jsonl'), 'not json\n');
  const est = estimateSeconds(plan, 2, results);
  // 500 ms a trial on average, 3 seeds, 2 worker threads: 0.75 s; the 50 s trial of another cell
  // does not count, nor does a second record of (cell, seed 2).
  assert.equal(est.seconds, 0.75);
  assert.match(est.text, /about 0\.75 s on 2 worker threads \(from 2 trials of earlier runs; 3 of 4 cells never ran and are not counted; 1 unreadable runs skipped\)/);
});
