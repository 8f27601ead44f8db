// A trial is a pure function of (cell, seed, code version): the worker count must not change a
// single record, and a replay must reproduce the recorded trace digest.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { canonicalTrials, faultsweep, replayArgs, tempDir } from './helpers.js';

/** The canonical trials of one experiment run with --jobs 1 and with --jobs 2. */
async function byJobs(args: string[]): Promise<[string[], string[]]> {
  const base = tempDir('det');
  const runs = [];
  for (const jobs of ['1', '2']) {
    const r = await faultsweep([...args, '--jobs', jobs, '--out', join(base, `j${jobs}`)]);
    assert.ok(r.exitCode === 0, String(r.stderr));
    runs.push(canonicalTrials(readFileSync(join(base, `j${jobs}`, 'trials.jsonl'), 'utf8')));
  }
  return runs as [string[], string[]];
}

test('--jobs 1 and --jobs 2 give the same trials.jsonl records', async () => {
  const [a, b] = await byJobs(['run', 'experiments/remote-access.yaml', '--seeds', '4', '--set', 'workload.accesses=1500']);
  assert.equal(a.length, 16);
  assert.deepEqual(a, b);
  // Distinct seeds really are distinct trials.
  assert.equal(new Set(a.map((r) => JSON.parse(r).digest)).size, a.length);
});

test('so do XPMEM jobs whose faults and hangs depend on the interleaving', async () => {
  const [a, b] = await byJobs(['run', 'experiments/segment-destroy.yaml', '--seeds', '3', '--set', 'workload.ranks=32']);
  assert.equal(a.length, 6);
  assert.deepEqual(a, b);
  const [c, d] = await byJobs(['run', 'experiments/xpmem-recall-hang.yaml', '--seeds', '3', '--where', 'workload.ranks == 64']);
  assert.equal(c.length, 6);
  assert.deepEqual(c, d);
  assert.ok(c.some((r) => JSON.parse(r).outcome === 'hang'));
});

test('a replay reproduces the recorded digest, and a wrong digest is an error', async () => {
  const out = join(tempDir('replay'), 'run');
  await faultsweep(['run', 'experiments/remote-access.yaml', '--seeds', '2', '--set', 'workload.accesses=500', '--out', out]);
  const rec = JSON.parse(readFileSync(join(out, 'trials.jsonl'), 'utf8').split('\n')[0]) as { replay: string; digest: string };
  const args = replayArgs(rec.replay);
  const ok = await faultsweep(args);
  assert.equal(ok.exitCode, 0, String(ok.stderr));
  assert.match(String(ok.stdout), new RegExp(`digest ${rec.digest}`));
  const bad = await faultsweep([...args.slice(0, -1), '0000000000000000']);
  assert.equal(bad.exitCode, 3);
  assert.match(String(bad.stderr), /determinism lost/);
});
