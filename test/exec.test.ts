// The exec workload runs a real program (test/fixtures/exec/lease-counter.mjs, two processes
// racing on a lock with a lease): a timeout kills its whole process group, and a trial's seed
// fixes the signals its faults send, so a replay sends the same ones at the same offsets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { cli, root, tempDir } from './helpers.js';
import { loadPlugins } from '../harness/registry.js';
import { loadExperiment } from '../harness/experiment/load.js';
import { replayBase, runTrial } from '../harness/run/trial.js';

const EXAMPLE = join(root, 'experiments', 'exec-example.yaml');

/** Whether any process is in the group (kill -0 to it). */
function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ESRCH');
    return false;
  }
}

test('a timeout kills the whole process group: the program and the helper it forked are gone', async () => {
  await loadPlugins();
  const plan = loadExperiment(EXAMPLE, { sets: ['workload.timeout=400 ms'], where: 'scenario == "none"' });
  const r = runTrial({ cell: plan.cells[0], seed: 1, replayBase: replayBase(plan) });
  assert.equal(r.outcome, 'hang');
  assert.deepEqual([r.failure?.class, r.failure?.signature], ['timeout', 'timeout after 0.4 s']);
  const [, pid, helper] = /lease-counter: pid (\d+), helper (\d+)/.exec(r.failure!.log) ?? [];
  assert.ok(pid && helper, r.failure!.log);
  // The group is killed before the trial returns; the kernel may take a moment to reap it.
  for (let i = 0; i < 50 && alive(Number(pid)); i++) await sleep(20);
  assert.equal(alive(Number(pid)), false, `process group ${pid} still has processes`);
  for (const p of [pid, helper]) assert.throws(() => process.kill(Number(p), 0), { code: 'ESRCH' });
  assert.ok(r.metrics.wall >= 0.4 && r.metrics.wall < 3, `wall ${r.metrics.wall} s`);
});

test("the seed fixes the signals a trial sends: a replay asks for the same, another seed for others", async () => {
  await loadPlugins();
  const plan = loadExperiment(EXAMPLE, { sets: ['gates=[]'], where: 'scenario == "pause"' });
  const job = (seed: number) => ({ cell: plan.cells[0], seed, replayBase: replayBase(plan) });
  const a = runTrial(job(5));
  const b = runTrial(job(5));
  assert.equal(a.digest, b.digest);
  assert.notEqual(runTrial(job(6)).digest, a.digest);
  // What was delivered is in the metrics and on the console, at its offset.
  for (const r of [a, b]) {
    assert.ok(r.metrics['fault.pause.stop'] >= 1, JSON.stringify(r.metrics));
    assert.ok(r.metrics.cpu > 0 && r.metrics.rss > 10 && r.metrics.wall > 0, JSON.stringify(r.metrics));
  }
  // The replay command checks the digest, so it passes only if it asked for the same signals.
  const replay = await cli(['replay', EXAMPLE, '--set', 'gates=[]', '--where', 'scenario == "pause"', '--cell', a.cell, '--seed', '5', '--digest', a.digest]);
  assert.equal(replay.exitCode, 0, replay.stderr);
  assert.match(replay.stdout, /^fault\.pause\.stop +[1-9]/m);
});

test('the example runs as an experiment: failure rates with intervals, gates, replays in the records', async () => {
  const out = join(tempDir('exec-'), 'run');
  const r = await cli(['run', EXAMPLE, '--seeds', '1', '--out', out]);
  assert.match(r.stdout, /fail rate \[95% CI\]/);
  for (const s of ['none', 'pause', 'sigterm']) assert.match(r.stdout, new RegExp(`^${s}\\s+.*\\[\\d`, 'm'));
  // The program is real: on a loaded machine a process stalled past the 100 ms lease loses an
  // update with no fault injected, the very bug it shows. The gate must say which happened.
  const cells = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).cells as { params: Record<string, unknown>; outcomes: Record<string, number> }[];
  const lost = cells.find((c) => c.params.scenario === 'none')!.outcomes.crash;
  assert.equal(r.exitCode, lost > 0 ? 1 : 0, r.stdout + r.stderr);
  assert.match(r.stdout, lost > 0 ? /FAIL {2}without faults no update is lost/ : /PASS {2}without faults no update is lost/);
});

test('the env fault and the seed reach the program through its environment', async () => {
  await loadPlugins();
  const check = 'test "$HOOK" = on && test "$FAULTSWEEP_SEED" = 3';
  const trial = (faults: string) => {
    const plan = loadExperiment(EXAMPLE, { sets: ['sweep={}', 'zip=[]', 'gates=[]', `faults=${faults}`, `workload.command=[sh, -c, '${check}']`] });
    return runTrial({ cell: plan.cells[0], seed: 3, replayBase: replayBase(plan) });
  };
  const on = trial('[{kind: env, vars: {HOOK: on}}]');
  assert.equal(on.outcome, 'ok', on.failure?.log);
  assert.equal(on.metrics['fault.env.set'], 1);
  const off = trial('[]');
  assert.deepEqual([off.outcome, off.failure?.class, off.failure?.signature], ['error', 'exit-status', 'exit status 1']);
});
