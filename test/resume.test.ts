// A run killed with SIGKILL halfway and then resumed ends with the same summary as a run that
// was never interrupted, even when the kill tore the last line of trials.jsonl.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { canonicalTrials, faultsweep, tempDir } from './helpers.js';

const args = ['run', 'experiments/remote-access.yaml', '--seeds', '8', '--set', 'workload.accesses=3000', '--jobs', '1', '--json'];
const total = 4 * 8;

function lines(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;
}

test('SIGKILL halfway, then --resume, gives the uninterrupted summary', async () => {
  const base = tempDir('resume');
  const whole = await faultsweep([...args, '--out', join(base, 'whole')]);
  assert.equal(whole.exitCode, 0, String(whole.stderr));

  const dir = join(base, 'killed');
  const run = faultsweep([...args, '--out', dir]);
  const trials = join(dir, 'trials.jsonl');
  while (lines(trials) < total / 3) await sleep(20);
  run.kill('SIGKILL');
  await run;
  const before = lines(trials);
  assert.ok(before < total, `the kill came too late: ${before} of ${total} trials done`);
  assert.equal(existsSync(join(dir, 'summary.json')), false);
  appendFileSync(trials, '{"cell":"c0","par'); // a torn write

  const resumed = await faultsweep(['run', '--resume', dir, '--jobs', '2', '--json']);
  assert.equal(resumed.exitCode, 0, String(resumed.stderr));
  assert.equal(lines(trials), total);
  assert.deepEqual(canonicalTrials(readFileSync(trials, 'utf8')), canonicalTrials(readFileSync(join(base, 'whole', 'trials.jsonl'), 'utf8')));
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')), JSON.parse(readFileSync(join(base, 'whole', 'summary.json'), 'utf8')));
});
