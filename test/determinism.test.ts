// A trial is a pure function of (cell, seed, code version): the worker count must not change a
// single record, and a replay must reproduce the recorded trace digest.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { canonicalTrials, faultsweep, replayArgs, tempDir } from './helpers.js';

test('--jobs 1 and --jobs 2 give the same trials.jsonl records', async () => {
  const base = tempDir('det');
  const args = ['run', 'experiments/remote-access.yaml', '--seeds', '4', '--set', 'workload.accesses=1500', '--json'];
  const one = await faultsweep([...args, '--jobs', '1', '--out', join(base, 'j1')]);
  const two = await faultsweep([...args, '--jobs', '2', '--out', join(base, 'j2')]);
  assert.equal(one.exitCode, 0, String(one.stderr));
  assert.equal(two.exitCode, 0, String(two.stderr));
  const a = canonicalTrials(readFileSync(join(base, 'j1', 'trials.jsonl'), 'utf8'));
  const b = canonicalTrials(readFileSync(join(base, 'j2', 'trials.jsonl'), 'utf8'));
  assert.equal(a.length, 16);
  assert.deepEqual(a, b);
  // Distinct seeds really are distinct trials.
  assert.equal(new Set(a.map((r) => JSON.parse(r).digest)).size, a.length);
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
