// Shards and merge: three shards of a run, merged, are the run that was never split; so are shards
// one of which was killed and resumed. A gap or an overlap is refused with what is wrong.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, test } from 'node:test';
import { canonicalTrials, cli, faultsweep, tempDir } from './helpers.js';
import { loadExperiment } from '../harness/experiment/load.js';
import { loadPlugins } from '../harness/registry.js';
import { cellCost, partition } from '../harness/run/shard.js';

const args = ['run', 'experiments/remote-access.yaml', '--seeds', '6', '--set', 'workload.accesses=3000', '--json'];
const base = tempDir('shard');
const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);

before(async () => {
  const runs = await Promise.all([faultsweep([...args, '--out', join(base, 'whole')]), ...[0, 1, 2].map((i) => faultsweep([...args, '--jobs', '1', '--shard', `${i}/3`, '--out', join(base, `s${i}`)]))]);
  for (const r of runs) assert.equal(r.exitCode, 0, String(r.stderr));
});

function sameAsWhole(merged: string): void {
  assert.deepEqual(canonicalTrials(read(merged, 'trials.jsonl')), canonicalTrials(read(join(base, 'whole'), 'trials.jsonl')));
  assert.equal(read(merged, 'summary.json'), read(join(base, 'whole'), 'summary.json'));
}

test('shards 0/3, 1/3, 2/3 merged equal the unsharded run', async () => {
  const sizes = [0, 1, 2].map((i) => lines(join(base, `s${i}`, 'trials.jsonl')));
  assert.deepEqual(sizes, [8, 8, 8]); // 4 cells of one cost, 24 trials: an even split
  const out = join(base, 'merged');
  const r = await faultsweep(['merge', ...[0, 1, 2].map((i) => join(base, `s${i}`)), '--out', out, '--json']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  sameAsWhole(out);
  assert.ok(existsSync(join(out, 'report.html')), 'the merged folder has the reports of a run');
});

test('a shard killed with SIGKILL halfway, resumed, then merged equals the unsharded run', async () => {
  const dir = join(base, 'killed1');
  const run = faultsweep([...args, '--jobs', '1', '--shard', '1/3', '--out', dir]);
  while (lines(join(dir, 'trials.jsonl')) < 4) await sleep(10);
  run.kill('SIGKILL');
  await run;
  const before = lines(join(dir, 'trials.jsonl'));
  assert.ok(before < 8, `the kill came too late: ${before} of 8 trials done`);

  const early = await faultsweep(['merge', join(base, 's0'), dir, join(base, 's2'), '--out', join(base, 'early')]);
  assert.equal(early.exitCode, 2, 'a shard cut short leaves a gap');
  assert.match(String(early.stderr), /lacks \d+ trials; finish it with: faultsweep run --resume/);
  assert.equal(existsSync(join(base, 'early')), false, 'a refused merge writes nothing');

  const resumed = await faultsweep(['run', '--resume', dir, '--jobs', '2', '--json']);
  assert.equal(resumed.exitCode, 0, String(resumed.stderr));
  const out = join(base, 'merged-after-kill');
  const r = await faultsweep(['merge', join(base, 's0'), dir, join(base, 's2'), '--out', out, '--json']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  sameAsWhole(out);
});

test('merge without a shard exits 2 and names each (cell, seed) pair the missing shard holds', async () => {
  const out = join(base, 'gap');
  const r = await faultsweep(['merge', join(base, 's0'), join(base, 's2'), '--out', out]);
  assert.equal(r.exitCode, 2);
  const err = String(r.stderr);
  assert.match(err, /^merge: 8 \(cell, seed\) pairs of remote-access are in none of the 2 folders given/);
  assert.match(err, /shard 1\/3 is missing: 8 trials/);
  const missing = new Map<string, number[]>();
  for (const l of read(join(base, 's1'), 'trials.jsonl').trim().split('\n')) {
    const { cell, seed } = JSON.parse(l) as { cell: string; seed: number };
    missing.set(cell, [...(missing.get(cell) ?? []), seed].sort((a, b) => a - b));
  }
  for (const [cell, seeds] of missing) assert.ok(err.includes(`cell ${cell}: seeds ${seeds.join(', ')}`), `${cell} ${seeds} in:\n${err}`);
  assert.equal(existsSync(out), false);
});

test('merge refuses a shard given twice, and shards of another run', async () => {
  const copy = join(base, 's1-copy');
  cpSync(join(base, 's1'), copy, { recursive: true });
  const twice = await faultsweep(['merge', join(base, 's0'), join(base, 's1'), join(base, 's2'), copy, '--out', join(base, 'twice')]);
  assert.equal(twice.exitCode, 2);
  assert.match(String(twice.stderr), /shard 1\/3 is given twice .*their trials would overlap/);
  const same = await faultsweep(['merge', join(base, 's0'), join(base, 's0'), '--out', join(base, 'twice')]);
  assert.equal(same.exitCode, 2);
  assert.match(String(same.stderr), /is given twice/);

  const other = join(base, 'other');
  const r = await faultsweep([...args.filter((a) => a !== 'workload.accesses=3000' && a !== '--set'), '--set', 'workload.accesses=1000', '--jobs', '1', '--shard', '2/3', '--out', other]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const mixed = await faultsweep(['merge', join(base, 's0'), join(base, 's1'), other, '--out', join(base, 'mixed')]);
  assert.equal(mixed.exitCode, 2);
  assert.match(String(mixed.stderr), /differ in their overrides/);
  assert.equal(existsSync(join(base, 'twice')) || existsSync(join(base, 'mixed')), false);
});

test('shards of release-1024 have estimated costs within 10% of each other', async () => {
  await loadPlugins();
  const spread = (costs: number[]) => (Math.max(...costs) - Math.min(...costs)) / Math.max(...costs);
  const plan = loadExperiment('experiments/release-1024.yaml');
  const cost = Object.fromEntries(plan.cells.map((c) => [c.params['workload.pattern'], cellCost(c)]));
  assert.ok(cost.alltoall > 50 * cost.ring, `a 1024-rank alltoall costs far more than a ring: ${JSON.stringify(cost)}`);
  // Its own 4 seeds: 8 of its 32 trials are the big ones, so 2, 4 or 8 shards can share them out.
  for (const n of [2, 4, 8]) assert.ok(spread(partition(plan, n).cost) <= 0.1, `${n} shards: ${partition(plan, n).cost}`);
  // At qualification size (3,800 seeds a pattern), any number of shards up to 64.
  const big = loadExperiment('experiments/release-1024.yaml', { seeds: 3800 });
  for (const n of [2, 3, 5, 7, 16, 64]) assert.ok(spread(partition(big, n).cost) <= 0.1, `${n} shards at 3,800 seeds: ${spread(partition(big, n).cost)}`);
});

test('more shards than trials is refused at once, before any folder is made', async () => {
  const dir = join(base, 'too-many');
  const run = await cli(['run', 'experiments/remote-access.yaml', '--seeds', '2', '--shard', '5/1000000000', '--out', dir]);
  assert.equal(run.exitCode, 2);
  assert.equal(run.stderr.trim(), '1000000000 shards for 8 trials: a shard needs at least one trial, so give at most 8');
  assert.equal(existsSync(dir), false);
  const slurm = await cli(['slurm', 'experiments/remote-access.yaml', '--seeds', '2', '--shards', '9', '--out', dir]);
  assert.equal(slurm.exitCode, 2);
  assert.match(slurm.stderr, /^9 shards for 8 trials/);
  assert.equal(existsSync(dir), false);
});
