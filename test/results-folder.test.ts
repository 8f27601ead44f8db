// The results folder: faultsweep writes only into a new or empty folder, takes back only what it
// made, never lets two runs write one folder, never counts a (cell, seed) twice, and puts results
// under the folder it is run from.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadPlugins } from '../harness/registry.js';
import { loadExperiment } from '../harness/experiment/load.js';
import { readTrials, RunFolder } from '../harness/run/store.js';
import { faultsweep, root, tempDir } from './helpers.js';

const small = ['--seeds', '4', '--set', 'workload.accesses=2000', '--jobs', '1'];

test('--out refuses a folder with a file in it and leaves the file alone', async () => {
  const out = tempDir('out');
  writeFileSync(join(out, 'mine.txt'), 'precious');
  const r = await faultsweep(['run', 'experiments/remote-access.yaml', ...small, '--out', out]);
  assert.equal(r.exitCode, 2);
  assert.match(String(r.stderr), /not empty/);
  assert.deepEqual(readdirSync(out), ['mine.txt']);
  assert.equal(readFileSync(join(out, 'mine.txt'), 'utf8'), 'precious');
});

test('a run that meets bad input in a trial takes back what it made, and only that', async () => {
  const bad = ['run', 'experiments/trace-replay.yaml', '--set', 'workload.file=test/fixtures/traces/bad.din', '--set', 'workload.format=din'];
  // folders it made itself: all gone
  const base = tempDir('takeback');
  const r = await faultsweep([...bad, '--out', join(base, 'new', 'run')]);
  assert.equal(r.exitCode, 2, String(r.stderr));
  assert.deepEqual(readdirSync(base), []);
  // a folder that was there (empty): kept, and empty again
  const empty = join(base, 'empty');
  mkdirSync(empty);
  assert.equal((await faultsweep([...bad, '--out', empty])).exitCode, 2);
  assert.deepEqual(readdirSync(empty), []);
  // the default folder: no results/<name>/ left behind
  const cwd = tempDir('takeback-cwd');
  assert.equal((await faultsweep([...bad.slice(0, 1), join(root, 'experiments', 'trace-replay.yaml'), ...bad.slice(2)], { cwd })).exitCode, 2);
  assert.deepEqual(readdirSync(cwd), []);
});

test('--out at a file, below a file, or where no folder can be made is bad input (exit 2, one line)', async () => {
  const base = tempDir('outfile');
  writeFileSync(join(base, 'afile'), 'x');
  for (const out of [join(base, 'afile'), join(base, 'afile', 'sub'), '/proc/faultsweep-x']) {
    const r = await faultsweep(['run', 'experiments/remote-access.yaml', ...small, '--out', out], { timeout: 20_000 });
    assert.equal(r.exitCode, 2, `${out}: ${r.stderr}`);
    assert.equal(String(r.stderr).trim().split('\n').length, 1, String(r.stderr));
  }
  assert.equal(readFileSync(join(base, 'afile'), 'utf8'), 'x');
});

test('results go under the current folder, and a trace path is relative to its experiment file', async () => {
  const cwd = tempDir('cwd');
  const r = await faultsweep(['run', join(root, 'experiments', 'trace-replay.yaml'), '--seeds', '1', '--json'], { cwd });
  assert.equal(r.exitCode, 0, String(r.stderr));
  const dir = JSON.parse(String(r.stdout)).results as string;
  assert.ok(dir.startsWith(join(cwd, 'results', 'trace-replay')), dir);
  assert.ok(existsSync(join(dir, 'summary.json')));
});

test('two resumes of one folder at once: one waits for the other, and every (cell, seed) is recorded once', async () => {
  const dir = join(tempDir('lock'), 'run');
  const first = await faultsweep(['run', 'experiments/remote-access.yaml', ...small, '--out', dir]);
  assert.equal(first.exitCode, 0, String(first.stderr));
  const trials = join(dir, 'trials.jsonl');
  const all = readFileSync(trials, 'utf8').trim().split('\n');
  writeFileSync(trials, all.slice(0, 8).join('\n') + '\n');
  const [a, b] = await Promise.all([faultsweep(['run', '--resume', dir, '--jobs', '1', '--json']), faultsweep(['run', '--resume', dir, '--jobs', '1', '--json'])]);
  assert.deepEqual([a.exitCode, b.exitCode].sort(), [0, 0], `${a.stderr}\n${b.stderr}`);
  assert.match(String(a.stderr) + String(b.stderr), /holds the lock; waiting/);
  const lines = readFileSync(trials, 'utf8').trim().split('\n');
  assert.equal(lines.length, all.length);
  assert.equal(new Set(lines.map((l) => { const r = JSON.parse(l); return `${r.cell}/${r.seed}`; })).size, all.length);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  for (const c of summary.cells) assert.equal(c.trials, 4);
});

test('a (cell, seed) recorded twice counts once', () => {
  const dir = tempDir('dupes');
  const rec = (seed: number) => JSON.stringify({ cell: 'c1', seed, outcome: 'ok', failure: null, metrics: {}, digest: '0', replay: '' });
  writeFileSync(join(dir, 'trials.jsonl'), [rec(1), rec(2), rec(1), rec(1)].join('\n') + '\n');
  const { records, duplicates } = readTrials(dir);
  assert.deepEqual(records.map((r) => r.seed), [1, 2]);
  assert.equal(duplicates, 2);
});

test('two runs started in the same second get two folders', async () => {
  await loadPlugins();
  const plan = loadExperiment(join(root, 'experiments', 'remote-access.yaml'));
  const base = join(tempDir('stamp'), 'results', 'remote-access');
  const a = await RunFolder.create(plan, { base, stamp: '2026-12-02T12-00-00Z' });
  const b = await RunFolder.create(plan, { base, stamp: '2026-12-02T12-00-00Z' });
  assert.notEqual(a.dir, b.dir);
  assert.deepEqual(readdirSync(base).sort(), ['2026-12-02T12-00-00Z', '2026-12-02T12-00-00Z-2']);
  await a.unlock();
  await b.unlock();
});

test('--resume with --dry-run runs nothing and says what is left; --resume with --out is refused', async () => {
  const dir = join(tempDir('resume-dry'), 'run');
  assert.equal((await faultsweep(['run', 'experiments/remote-access.yaml', ...small, '--out', dir])).exitCode, 0);
  const trials = join(dir, 'trials.jsonl');
  writeFileSync(trials, readFileSync(trials, 'utf8').trim().split('\n').slice(0, 5).join('\n') + '\n');
  const dry = await faultsweep(['run', '--resume', dir, '--dry-run', '--json']);
  assert.equal(dry.exitCode, 0, String(dry.stderr));
  assert.equal(JSON.parse(String(dry.stdout)).remaining, 16 - 5);
  assert.equal(readFileSync(trials, 'utf8').trim().split('\n').length, 5);
  const out = await faultsweep(['run', '--resume', dir, '--out', join(dir, 'x')]);
  assert.equal(out.exitCode, 2);
});

test('SIGTERM (Slurm, timeout) stops a run with the command that finishes it', async () => {
  const dir = join(tempDir('sigterm'), 'run');
  const run = faultsweep(['run', 'experiments/remote-access.yaml', '--seeds', '40', '--set', 'workload.accesses=20000', '--jobs', '1', '--out', dir]);
  const trials = join(dir, 'trials.jsonl');
  while (!existsSync(trials) || readFileSync(trials, 'utf8').length === 0) await new Promise((r) => setTimeout(r, 50));
  run.kill('SIGTERM');
  const r = await run;
  assert.equal(r.exitCode, 143);
  assert.match(String(r.stderr), new RegExp(`SIGTERM: stopped after \\d+ trials; finish with: faultsweep run --resume ${dir}`));
});
