// Gates and compare.metrics are checked at load against the metrics a workload declares in its
// `units`; that holds only if every metric a trial reports is declared. One trial of each workload.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadExperiment } from '../harness/experiment/load.js';
import { loadPlugins, workloads } from '../harness/registry.js';
import { runTrial } from '../harness/run/trial.js';
import { root } from './helpers.js';

await loadPlugins();

const cases: [string, string[]][] = [
  ['experiments/remote-access.yaml', ['workload.accesses=500']],
  ['experiments/trace-replay.yaml', []],
  ['experiments/quickstart.yaml', ['workload.steps=1']],
  ['experiments/segment-destroy.yaml', ['workload.ranks=16']],
  ['test/fixtures/xpmem/errno.yaml', []],
  ['experiments/exec-example.yaml', ['workload.command=[node, -e, "console.log(JSON.stringify({perSec: 5}))"]']],
];

test('every metric a trial reports is declared by its workload, or is a firing of one of its faults', () => {
  const kinds = new Set<string>();
  for (const [file, sets] of cases) {
    const cell = loadExperiment(join(root, file), { sets }).cells.at(-1)!;
    kinds.add(cell.workload.kind);
    const r = runTrial({ cell, seed: 1, replayBase: '' });
    const units = workloads.get(cell.workload.kind)!.units;
    const undeclared = Object.keys(r.metrics).filter((m) => !Object.hasOwn(units, m) && m !== 'simSeconds' && m !== 'events' && !cell.faults.some((f) => m.startsWith(`fault.${f.kind}.`)));
    assert.deepEqual(undeclared, [], `${file}: ${cell.workload.kind}`);
  }
  assert.deepEqual([...kinds].sort(), workloads.kinds());
});
