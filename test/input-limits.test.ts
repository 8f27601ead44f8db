// Input a user can type never costs unbounded time or memory, never reaches Object.prototype or
// mathjs itself, and every refusal is one located line with exit 2. The malformed experiment files
// themselves are fixtures in test/fixtures/bad; here are the cases a fixture cannot hold (flags,
// devices, generated sizes) and the in-process checks.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { InputError } from '../harness/errors.js';
import { loadExperiment } from '../harness/experiment/load.js';
import { parseQuantity } from '../harness/experiment/units.js';
import { loadPlugins } from '../harness/registry.js';
import { runTrial } from '../harness/run/trial.js';
import { cli, faultsweep, root, tempDir } from './helpers.js';

await loadPlugins();
const remote = join(root, 'experiments', 'remote-access.yaml');

/** Runs the CLI under a 256 MB heap, killed if it is still going after a minute (input that is
 *  read without bound runs forever: /dev/zero). How fast validate is, is bench's to say
 *  (startup-validate), not a wall clock's under a loaded test run. */
async function bounded(args: string[]) {
  const t0 = Date.now();
  const r = await faultsweep(args, { nodeOptions: ['--max-old-space-size=256'], timeout: 60_000 } as object);
  assert.equal(r.timedOut, false, `faultsweep ${args.join(' ')}: still running after 60 s`);
  return { ...r, ms: Date.now() - t0 };
}

test('a 50 MB experiment, /dev/zero, 1e9 seeds, a 1e7 range, four axes of 100, an alias bomb: refused in bounded memory, none read without end', async () => {
  const big = join(tempDir('big'), 'big.yaml');
  writeFileSync(big, `name: big\n# ${'x'.repeat(50 * 2 ** 20)}\n`);
  const fixture = (f: string) => join(root, 'test', 'fixtures', 'bad', f);
  const files = [big, '/dev/zero', ...['38-too-many-seeds.yaml', '39-sweep-range-too-long.yaml', '40-sweep-crosses-too-far.yaml', '41-alias-bomb.yaml'].map(fixture)];
  for (const file of files) {
    const r = await bounded(['validate', file]);
    console.log(`validate ${file === big ? '50 MB file' : file.replace(/.*\//, '')}: exit ${r.exitCode} in ${r.ms} ms under a 256 MB heap`);
    assert.equal(r.exitCode, 2, String(r.stderr));
    assert.equal(String(r.stderr).trim().split('\n').length, 1);
  }
});

test('10,000 cells validate in bounded memory, with the limit at 10,000; one more is refused', async () => {
  const dir = tempDir('cells');
  const file = (n: number) => {
    const f = join(dir, `cells-${n}.yaml`);
    writeFileSync(f, `name: cells\nhardware: { profile: lego-testbed }\nworkload: { kind: remote-access }\nsweep:\n  workload.accesses: "1000:${999 + n}"\nseeds: 1\n`);
    return f;
  };
  const ok = await bounded(['validate', file(10_000)]);
  console.log(`validate 10,000 cells: exit ${ok.exitCode} in ${ok.ms} ms under a 256 MB heap`);
  assert.equal(ok.exitCode, 0, String(ok.stderr));
  assert.match(String(ok.stdout), /ok, 10000 cells x 1 seeds/);
  const over = await bounded(['validate', file(10_001)]);
  assert.equal(over.exitCode, 2);
  assert.match(String(over.stderr), /cells-10001\.yaml:5:22: sweep.workload.accesses: 10001 values; a sweep may have at most 10000 cells \(raise the limit with --max-cells\)/);
  assert.equal((await bounded(['validate', file(10_001), '--max-cells', '10001'])).exitCode, 0);
});

test('flags: a --set value that is not YAML, --seed that is not a seed, --digest that is not hex', async () => {
  const cases: [string[], RegExp][] = [
    [['run', remote, '--dry-run', '--set', 'workload.threads=[1,'], /^--set workload.threads=\[1,: not a YAML value: /],
    [['run', remote, '--dry-run', '--set', 'a..b=1'], /empty key/],
    [['run', remote, '--dry-run', '--set', 'workload.accesses=abc'], /^--set workload.accesses=abc: workload.accesses: /],
    // an override of the hardware profile is named as the flag, not as the file or the profile
    [['run', remote, '--dry-run', '--set', 'hardware.fit.qps=1'], /^--set hardware\.fit\.qps=1: hardware\.fit: unknown key; did you mean 'nic'\?$/],
    [['run', remote, '--dry-run', '--set', 'hardware.nic.qps=0'], /^--set hardware\.nic\.qps=0: hardware\.nic\.qps: Too small/],
    [['run', remote, '--dry-run', '--set', 'workload.threads=2'], /^--set workload.threads=2: the sweep axis workload.threads sets workload.threads in every cell/],
    [['run', remote, '--dry-run', '--where', 'thread > 1'], /^--where thread > 1: unknown symbol 'thread'; the axes are workload.threads, hardware.memory.workers$/],
    ...['abc', '1.5', '-1', '', '1e3'].map((seed): [string[], RegExp] => [['replay', remote, '--cell', 'c0', '--seed', seed], /--seed must be a whole number/]),
    [['replay', remote, '--cell', 'c0', '--seed', '1', '--digest', 'xyz'], /--digest must be 16 hexadecimal digits/],
    [['run', remote, '--seeds', '2000000'], /^--seeds: 4 cells x 2000000 seeds = 8000000 trials; the limit is 1000000 \(raise it with --max-trials\)$/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = String(r.stderr).trim().split('\n');
    assert.equal(lines.length, 1, String(r.stderr));
    assert.match(lines[0].replace(/^error: option .*? is invalid\. /, ''), message);
  }
});

test('an upper-case --digest is the same digest', async () => {
  const plan = loadExperiment(remote, { seeds: 1, sets: ['workload.accesses=500'] });
  const r = runTrial({ cell: plan.cells[0], seed: 1, replayBase: '' });
  const ok = await faultsweep(['replay', remote, '--set', 'workload.accesses=500', '--cell', r.cell, '--seed', '1', '--digest', r.digest.toUpperCase()]);
  assert.equal(ok.exitCode, 0, String(ok.stderr));
  const wrong = await faultsweep(['replay', remote, '--set', 'workload.accesses=500', '--cell', r.cell, '--seed', '1', '--digest', '0123456789abcdef']);
  assert.equal(wrong.exitCode, 3);
  assert.match(String(wrong.stderr), /^determinism lost/);
});

test('__proto__, constructor and prototype are refused as keys, and Object.prototype stays as it was', () => {
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  for (const set of ['__proto__.toString=1', 'workload.__proto__.polluted=1', 'workload.constructor.prototype.polluted=1', 'hardware.prototype=1']) {
    assert.throws(() => loadExperiment(remote, { sets: [set] }), (e: unknown) => e instanceof InputError && /may not be used as a key/.test(e.message), set);
  }
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(typeof Object.prototype.toString, 'function');
});

test('expressions cannot change mathjs: after a refused createUnit, 4 GiB is still 4 GiB', () => {
  const file = join(tempDir('unit'), 'e.yaml');
  writeFileSync(file, `name: e\nhardware: { profile: lego-testbed }\nworkload: { kind: remote-access }\nsweep:\n  workload.threads: [1, 2]\nwhere: "createUnit('GiB', '1 B', {override: true})"\n`);
  assert.throws(() => loadExperiment(file), /only these functions may be called/);
  assert.equal(parseQuantity('4 GiB', 'size'), 4 * 2 ** 30);
  for (const where of ['import({a: 1})', 'evaluate("1")', 'parse("1")', 'simplify("x")', 'derivative("x^2", "x")', 'f(x) = x', 'x = 1', '1; 2', 'workload["threads"] == 1']) {
    assert.throws(() => loadExperiment(remote, { where }), InputError, where);
  }
});

test('a cell id covers the whole configuration, not only the sweep parameters', () => {
  const ids = (sets: string[]) => loadExperiment(remote, { sets }).cells.map((c) => c.id);
  const base = ids([]);
  assert.deepEqual(ids([]), base);
  const bigger = ids(['workload.accesses=2000000']);
  assert.equal(new Set([...base, ...bigger]).size, base.length * 2);
  assert.notDeepEqual(ids(['hardware.pcache.size=64 MiB']), base);
  assert.notDeepEqual(ids(['limits.time=99 s']), base);
});

test('a trial digest covers outcome, failure and metrics: records that share one agree on all three', () => {
  // segment-destroy's two cells (remove, exit) shared event-stream digests whose recalls differed.
  const plan = loadExperiment(join(root, 'experiments', 'segment-destroy.yaml'), { sets: ['workload.ranks=16'] });
  const byDigest = new Map<string, string>();
  for (const cell of plan.cells) {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const r = runTrial({ cell, seed, replayBase: '' });
      const what = JSON.stringify([r.outcome, r.failure, r.metrics]);
      assert.equal(byDigest.get(r.digest) ?? what, what, `digest ${r.digest} names two different trials`);
      byDigest.set(r.digest, what);
    }
  }
});

test('zero is refused where it means nothing, allowed where it means something', () => {
  assert.match(String(parseQuantity('0 B', 'size')), /must be more than zero/);
  assert.match(String(parseQuantity('0 Gb/s', 'bandwidth')), /must be more than zero/);
  assert.equal(parseQuantity('0 ns', 'duration'), 0);
  assert.equal(parseQuantity('0 Hz', 'frequency'), 0);
  assert.throws(() => loadExperiment(remote, { sets: ['limits.time=0 s'] }), /must be more than zero/);
  assert.throws(() => loadExperiment(remote, { sets: ['kernel.fit.rpcTimeout=0 s'] }), /must be more than zero/);
});

test('YAML merge keys work', () => {
  const file = join(tempDir('merge'), 'm.yaml');
  const text = `name: m\nhardware: { profile: lego-testbed }\nworkload:\n  <<: &base { kind: remote-access, threads: 2 }\n  accesses: 1000\n`;
  writeFileSync(file, text);
  const plan = loadExperiment(file);
  assert.equal(plan.cells[0].workload.threads, 2);
  assert.equal(plan.cells[0].workload.accesses, 1000);
});

test('validate reports every bad file, not only the first', async () => {
  const bad = (n: string) => join('test', 'fixtures', 'bad', n);
  const r = await faultsweep(['validate', bad('02-wrong-type.yaml'), 'experiments/remote-access.yaml', bad('07-bad-unit.yaml')]);
  assert.equal(r.exitCode, 2);
  assert.match(String(r.stdout), /experiments\/remote-access.yaml: ok/);
  const lines = String(r.stderr).trim().split('\n');
  assert.equal(lines.length, 2);
  assert.ok(lines[0].startsWith(bad('02-wrong-type.yaml')) && lines[1].startsWith(bad('07-bad-unit.yaml')), String(r.stderr));
});

test('with a descriptor limit of 1024, eight worker threads start (exit 0, no EMFILE)', async () => {
  const out = join(tempDir('emfile'), 'run');
  const r = await execa('bash', ['-c', `ulimit -n 1024 && exec node bin/faultsweep.js run experiments/remote-access.yaml --seeds 2 --set workload.accesses=500 --jobs 8 --out ${out}`], { cwd: root, reject: false });
  assert.equal(r.exitCode, 0, String(r.stderr));
  assert.doesNotMatch(String(r.stderr), /EMFILE/);
  assert.match(String(r.stdout), /= 8 trials on 8 worker threads/);
  // Below what even loading takes, it is the harness's own failure: exit 3, one line.
  const starved = await execa('bash', ['-c', 'ulimit -n 40 && exec node bin/faultsweep.js validate experiments/remote-access.yaml'], { cwd: root, reject: false });
  assert.equal(starved.exitCode, 3);
  assert.match(String(starved.stderr).trim(), /^faultsweep: internal error: EMFILE[^\n]*$/);
});
