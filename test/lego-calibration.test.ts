// The LegoOS model against the testbed's measurements (legoos.md): remote-memory throughput of
// the paper's microbenchmark within 15%, and MNIST slowdown trends by pcache size and workers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultsweep, tempDir } from './helpers.js';

interface CellSummary {
  params: Record<string, unknown>;
  outcomes: Record<string, number>;
  metrics: Record<string, { mean: number }>;
}

async function run(args: string[]): Promise<CellSummary[]> {
  const r = await faultsweep(['run', ...args, '--json', '--out', `${tempDir('cal')}/run`]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  return JSON.parse(String(r.stdout)).cells as CellSummary[];
}

test('remote-access throughput matches the testbed within 15%', async () => {
  const cells = await run(['experiments/remote-access.yaml', '--seeds', '2', '--set', 'workload.accesses=6000']);
  const measured: Record<string, number> = { '1/1': 125, '4/1': 202, '4/2': 376, '4/4': 426 };
  for (const c of cells) {
    const key = `${c.params['workload.threads']}/${c.params['hardware.memory.workers']}`;
    const model = c.metrics.accessesPerSec.mean / 1000;
    const err = (model - measured[key]) / measured[key];
    console.log(`threads/workers ${key}: model ${model.toFixed(1)} K accesses/s, testbed ${measured[key]} K (${(err * 100).toFixed(1)}%)`);
    assert.ok(Math.abs(err) <= 0.15, `${key}: ${model.toFixed(1)} vs ${measured[key]}`);
  }
  assert.equal(cells.length, 4);
});

test('MNIST slowdown falls as the pcache grows, and more memory workers help 4 threads', async () => {
  const cells = await run(['experiments/mnist-pcache.yaml', '--seeds', '1', '--set', 'workload.steps=24']);
  const slowdown = (size: string, workers: number) => cells.find((c) => c.params['hardware.pcache.size'] === size && c.params['hardware.memory.workers'] === workers)!.metrics.slowdown.mean;
  for (const w of [1, 4]) console.log(`workers ${w}: slowdown 128 MiB ${slowdown('128 MiB', w).toFixed(2)}x, 256 MiB ${slowdown('256 MiB', w).toFixed(2)}x, 512 MiB ${slowdown('512 MiB', w).toFixed(2)}x`);
  for (const w of [1, 4]) {
    assert.ok(slowdown('128 MiB', w) > slowdown('256 MiB', w) && slowdown('256 MiB', w) > slowdown('512 MiB', w), `workers ${w}`);
  }
  assert.ok(slowdown('128 MiB', 4) < slowdown('128 MiB', 1));
  assert.ok(cells.every((c) => c.outcomes.ok === 1));
});

test('on linux-local the same MNIST run is its own baseline (slowdown 1)', async () => {
  const cells = await run(['experiments/mnist-pcache.yaml', '--seeds', '1', '--set', 'workload.steps=3', '--set', 'hardware={profile: linux-local}', '--set', 'sweep={}']);
  assert.equal(cells.length, 1);
  const s = cells[0].metrics.slowdown.mean;
  assert.ok(s >= 1 && s < 1.01, `slowdown ${s}`);
});
