// faultsweep on a real Slurm: a one-node cluster started here (test/slurm-cluster.ts) runs an
// experiment as a job array with a merge job after it, and the merged folder equals the run that
// was never split. A task cancelled before its shard is done is named with its log, and
// --only-failed resubmits it alone. Without Slurm's daemons the test says it skipped; .ci/run
// installs them and sets FAULTSWEEP_REQUIRE_TOOLS, so there it must run.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { canonicalTrials, faultsweep, root, tempDir } from './helpers.js';
import { startCluster, type Cluster } from './slurm-cluster.js';

const tools = ['sbatch', 'squeue', 'scontrol', 'scancel', 'slurmctld', 'slurmd', 'munged'];
const missing = (await Promise.all(tools.map(async (t) => ((await execa('sh', ['-c', `command -v ${t}`], { reject: false })).exitCode === 0 ? '' : t)))).filter(Boolean);
const skip = missing.length ? `Slurm is not installed here (${missing.join(', ')} missing; apt-get install slurm-wlm munge)` : false;
if (skip && process.env.FAULTSWEEP_REQUIRE_TOOLS) throw new Error(`${skip} and FAULTSWEEP_REQUIRE_TOOLS is set`);
if (skip) console.log(`# SKIPPED: the Slurm tests: ${skip}`);

const base = tempDir('slurm');
const exp = ['experiments/remote-access.yaml', '--seeds', '8', '--set', 'workload.accesses=1500'];
const whole = join(base, 'whole');
// The clamp qualification with a bound of 0.05, decided in four rounds: 0 hangs in n trials has
// the Wilson upper bound z^2 / (n + z^2), below 0.05 from n = 73.
const clamp = join(base, 'clamp.yaml');
writeFileSync(clamp, readFileSync(join(root, 'experiments', 'xpmem-clamp-qualify.yaml'), 'utf8').replace('check: hang.high < 1e-3', 'check: hang.high < 0.05'));
const localQualify = join(base, 'qualify-local');
let cluster: Cluster | undefined;
before(async () => {
  if (skip) return;
  // What the cluster's results are held against, run here while the cluster comes up.
  const [c, ...runs] = await Promise.all([
    startCluster(join(base, 'cluster')),
    faultsweep(['run', ...exp, '--jobs', '1', '--json', '--out', whole]),
    faultsweep(['qualify', clamp, '--jobs', '1', '--out', localQualify]),
  ]);
  cluster = c;
  assert.equal(runs[0].exitCode, 0, String(runs[0].stderr));
  assert.equal(runs[1].exitCode, 1, String(runs[1].stderr)); // the unclamped cell fails
});
after(async () => {
  await cluster?.stop();
});

const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');
const onCluster = (args: string[]) => faultsweep(args, { env: cluster!.env });

function sameRun(merged: string, unsplit = whole): void {
  assert.deepEqual(canonicalTrials(read(merged, 'trials.jsonl')), canonicalTrials(read(unsplit, 'trials.jsonl')));
  assert.equal(read(merged, 'summary.json'), read(unsplit, 'summary.json'));
}

test('slurm --submit --wait runs the shards as a job array, merges them, and equals the unsplit run', { skip }, async () => {
  const dir = join(base, 'campaign');
  const r = await onCluster(['slurm', ...exp, '--shards', '3', '--cpus-per-task', '1', '--time', '10:00', '--out', dir, '--submit', '--wait', '--poll', '0.5']);
  assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  const out = String(r.stdout);
  assert.match(out, /#SBATCH --array=0-2/);
  assert.match(out, /submitted array job (\d+) \(3 tasks\) and merge job (\d+) after it/);
  assert.match(String(r.stderr), /tasks: 3 completed; 32 of 32 trials; merge done/);
  assert.match(out, /remote-access: 32 trials in .*merged/);
  const campaign = JSON.parse(read(dir, 'campaign.json')) as { submissions: { array: string }[] };
  for (const i of [0, 1, 2]) assert.ok(existsSync(join(dir, 'logs', `shard-${i}-${campaign.submissions[0].array}.out`)), `task ${i} wrote its log`);
  sameRun(join(dir, 'merged'));
});

test('a cancelled task is named with its log; --only-failed resubmits it alone and the merge completes', { skip }, async () => {
  const dir = join(base, 'cancelled');
  const r = await onCluster(['slurm', ...exp, '--shards', '3', '--out', dir, '--submit']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const array = /submitted array job (\d+)/.exec(String(r.stdout))![1];
  // Cancelled mid-run, as a time limit or a lost node would stop it (a task cancelled while still
  // pending leaves no record behind without an accounting database: UNKNOWN).
  const trials = join(dir, 'shards', '1', 'trials.jsonl');
  for (let i = 0; !(existsSync(trials) && read(join(dir, 'shards', '1'), 'trials.jsonl').length > 0); i++) {
    assert.ok(i < 600, 'shard 1 never started');
    await sleep(50);
  }
  await execa('scancel', [`${array}_1`], { env: cluster!.env });

  const waited = await onCluster(['slurm', '--status', dir, '--wait', '--poll', '0.5']);
  assert.equal(waited.exitCode, 1, `${waited.stdout}\n${waited.stderr}`);
  const err = String(waited.stderr);
  assert.match(err, new RegExp(`shard 1: CANCELLED, \\d+ of 11 trials; log: .*shard-1-${array}\\.out`));
  assert.match(err, /resubmit what failed with: faultsweep slurm --only-failed .* --wait/);
  assert.equal(existsSync(join(dir, 'merged')), false, 'a gap is not merged');
  const { submissions } = JSON.parse(read(dir, 'campaign.json')) as { submissions: { merge: string }[] };
  const mergeLog = read(join(dir, 'logs'), `merge-${submissions[0].merge}.out`);
  assert.match(mergeLog, /shard 1\/3 (is missing|.*lacks)/, 'the merge job named the gap');

  const again = await onCluster(['slurm', '--only-failed', dir, '--wait', '--json', '--poll', '0.5']);
  assert.equal(again.exitCode, 0, `${again.stdout}\n${again.stderr}`);
  assert.match(String(again.stderr), /resubmitted shard 1 as array job \d+/);
  sameRun(join(dir, 'merged'));
});

test('qualify --slurm runs each round as a job array and reaches the decisions of a qualify on this machine', { skip }, async () => {
  const dir = join(base, 'qualify-slurm');
  const r = await onCluster(['qualify', clamp, '--slurm', '--shards', '2', '--poll', '0.5', '--out', dir]);
  assert.equal(r.exitCode, 1, `${r.stdout}\n${r.stderr}`);
  const out = String(r.stdout);
  assert.match(out, /as Slurm job arrays of up to 2 tasks/);
  assert.match(out, /\s10\s+FAIL\s/);
  assert.match(out, /\s73\s+PASS\s+.*needs < 0.05 \(hang 0 of 73 trials/);
  assert.match(out, /2 cells: 1 pass, 1 fail, 0 undecided; 83 trials in 4 rounds/);
  assert.match(String(r.stderr), /round 4: 1 of 2 cells undecided/);
  for (const round of [1, 2, 3, 4]) assert.ok(existsSync(join(dir, 'rounds', String(round), 'shards', '0', 'trials.jsonl')), `round ${round} ran as a job array`);
  sameRun(dir, localQualify);
});
