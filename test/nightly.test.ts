// Nightly sweeps: three nights of a small suite into a fresh history. A regression made by an
// override on the third night is named in the digest (cell, metric or failure rate, the change,
// its interval) with the new failure signature and its replay; three nights with nothing changed
// but the seeds name none. A nightly killed with SIGKILL part way, then run again, leaves the
// history an uninterrupted nightly leaves.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { cli, faultsweep, replayArgs, root, tempDir } from './helpers.js';
import { benjaminiHochberg, eDivisive } from '../harness/report/stats.js';
import { triage } from '../harness/report/triage.js';
import { series } from '../harness/report/changes.js';
import { trendHtml } from '../harness/report/html.js';
import type { Night, NightCell } from '../harness/report/history.js';

const fixture = (f: string) => join(root, 'test', 'fixtures', 'nightly', f);

async function night(cwd: string, history: string, suite: string, extra: string[] = []) {
  const r = await faultsweep(['nightly', fixture(suite), '--history', history, '--jobs', '2', ...extra], { cwd });
  return { ...r, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The lost-cqe results folder of the first test's third night: a finished run with failures,
 *  which the import test records into a history of its own. */
let regressedRun: string | undefined;

const digestOf = (stdout: string) => JSON.parse(stdout) as { regressions: number; tests: number; changes: Record<string, unknown>[]; signatures: Record<string, unknown>[]; changed: string[] };

test('three nights: a regression made by an override is named with its interval, the new failure with its replay; without one, none', async () => {
  const dir = tempDir('nightly');
  const history = join(dir, 'h.sqlite');
  for (let i = 1; i <= 2; i++) {
    const r = await night(dir, history, 'suite.yaml');
    assert.equal(r.exitCode, 0, r.stderr);
  }
  // The same two nights, then a third night each way.
  const calm = join(dir, 'calm.sqlite');
  copyFileSync(history, calm);

  // The third night each way, side by side.
  const regressed = join(dir, 'regressed-night');
  const [bad, ok] = await Promise.all([
    night(dir, history, 'regressed.yaml', ['--json', '--fail-on-regression', '--out', regressed]),
    night(dir, calm, 'suite.yaml', ['--json', '--fail-on-regression', '--out', join(dir, 'calm-night')]),
  ]);
  assert.equal(bad.exitCode, 1, bad.stderr);
  const d = digestOf(bad.stdout);
  assert.ok(d.changed.some((c) => c.includes('hardware.memory.workers=1')), `the override is named as what changed: ${d.changed}`);
  const throughput = d.changes.find((c) => c.experiment === 'throughput' && c.metric === 'accessesPerSec') as { direction: string; ratio: number; low: number; high: number; qValue: number; test: string };
  assert.ok(throughput, `no throughput regression among ${JSON.stringify(d.changes)}`);
  assert.equal(throughput.direction, 'regression');
  assert.equal(throughput.test, 'Mann-Whitney'); // fresh seeds: unpaired
  // One memory worker of two: about half the accesses per second, the interval around it.
  assert.ok(throughput.low <= throughput.ratio && throughput.ratio <= throughput.high && throughput.high < 0.6 && throughput.low > 0.4, JSON.stringify(throughput));
  assert.ok(throughput.qValue < 0.05);
  const errors = d.changes.find((c) => c.experiment === 'lost-cqe' && c.class === 'error') as { direction: string; before: { count: number }; after: { count: number; low: number; high: number } };
  assert.ok(errors, 'the error rate of the per-send cell is a regression');
  assert.equal(errors.direction, 'regression');
  assert.equal(errors.before.count, 0);
  assert.ok(errors.after.count > 0 && errors.after.low > 0);
  const fresh = d.signatures.filter((s) => s.status === 'new') as { signature: string; latest: { replay: string } }[];
  assert.deepEqual(fresh.map((s) => s.signature), ['Fail to to get the CQE from send_cq after 20 seconds!']);

  // The text digest says the same in a few lines, and its replay command reproduces the failure.
  const text = readFileSync(join(regressed, 'digest.txt'), 'utf8');
  assert.ok(text.split('\n').length <= 21, text);
  assert.match(text, /REGRESSIONS \(\d+\)\n  throughput: accessesPerSec [\d,]+ -> [\d,]+ accesses\/s, 0\.\d+x \[0\.\d+, 0\.\d+\] \(Mann-Whitney, q = /);
  assert.match(text, /lost-cqe: error rate 0% \[0%, [\d.]+%\] -> [\d.]+% \[[\d.]+%, [\d.]+%\]/);
  assert.match(text, /NEW FAILURES \(1\)\n  error Fail to to get the CQE from send_cq after 20 seconds! \(lost-cqe: \d of 8 trials; seen 1 of 3 nights\)\n    replay: faultsweep replay /);
  const replay = await faultsweep(replayArgs(fresh[0].latest.replay), { cwd: dir });
  assert.equal(replay.exitCode, 0, String(replay.stderr));
  assert.match(String(replay.stdout), /: error \(.*Fail to to get the CQE from send_cq after 20 seconds!/);
  regressedRun = join(regressed, 'lost-cqe');
  // The Markdown digest says the same; history --digest gives the night's digest again.
  assert.match(readFileSync(join(regressed, 'digest.md'), 'utf8'), /^## REGRESSIONS \(4\)\n\n- throughput: accessesPerSec /m);
  const again = await cli(['history', history, '--digest', '3', '--json']);
  assert.equal(again.exitCode, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), d);
  const trend = readFileSync(join(regressed, 'trend.html'), 'utf8');
  assert.match(trend, /<h2 id="trends">Trends<\/h2>/);
  assert.equal((trend.match(/<figure data-chart="trend-/g) ?? []).length, 7, 'three metrics of each cell and the error rate of one');

  assert.equal(ok.exitCode, 0, ok.stderr);
  const c = digestOf(ok.stdout);
  assert.equal(c.regressions, 0, JSON.stringify(c.changes));
  assert.equal(c.tests, 6, 'three headline metrics of two cells were tested; no failure to test');
  assert.deepEqual(c.changed, []);
  assert.deepEqual(c.signatures, []);
});


test('a nightly killed with SIGKILL mid-experiment, then run again, leaves the history an unkilled one leaves', async () => {
  const dir = tempDir('nightly-kill');
  // The nightly never killed runs beside the one that is.
  const unkilled = night(dir, join(dir, 'whole.sqlite'), 'long.yaml', ['--out', join(dir, 'whole')]);

  const killed = join(dir, 'killed.sqlite');
  const out = join(dir, 'killed');
  const run = faultsweep(['nightly', fixture('long.yaml'), '--history', killed, '--jobs', '1', '--out', out], { cwd: dir });
  const trials = join(out, 'lost-cqe', 'trials.jsonl');
  const lines = () => (existsSync(trials) ? readFileSync(trials, 'utf8').split('\n').length - 1 : 0);
  while (lines() < 5) await sleep(20);
  run.kill('SIGKILL');
  await run;
  assert.ok(lines() < 16, `the kill came too late: ${lines()} of 16 trials done`);
  const during = await faultsweep(['history', killed, '--json'], { cwd: dir });
  const [n] = JSON.parse(String(during.stdout)) as { finished: string | null; experiments: number }[];
  assert.equal(n.finished, null);
  assert.equal(n.experiments, 1, 'the finished experiment is in, the one killed is not');

  const whole = await unkilled;
  assert.equal(whole.exitCode, 0, whole.stderr);
  const again = await night(dir, killed, 'long.yaml');
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stderr, /carrying on with night 1 of fixture/);
  const rows = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return {
        nights: db.prepare('SELECT id, suite, finished IS NOT NULL AS finished FROM nights').all(),
        trials: db.prepare('SELECT e.name, c.key, t.seed, t.outcome, t.signature, t.digest FROM trials t JOIN cells c ON t.cell = c.id JOIN experiments e ON c.experiment = e.id ORDER BY e.name, t.seed').all(),
        metrics: db.prepare('SELECT count(*) AS n FROM metrics').get(),
      };
    } finally {
      db.close();
    }
  };
  const [a, b] = [rows(join(dir, 'whole.sqlite')), rows(killed)];
  assert.equal(a.trials.length, 24);
  assert.deepEqual(b, a);
});

test('bad suites and files that are not histories are refused with exit 2, and nothing is written', async () => {
  const dir = tempDir('nightly-bad');
  const suite = join(dir, 'suite.yaml');
  const cases: [string, RegExp][] = [
    ['name: s\nexperiments:\n  - file: nope.yaml\n', /suite\.yaml:3:5: experiments\.0: .*nope\.yaml: cannot read: ENOENT/],
    [`name: s\nexperiments:\n  - file: ${fixture('remote.yaml')}\n    seeds: 0\n`, /suite\.yaml:4:12: experiments\.0\.seeds: /],
    [`name: s\nexperiments:\n  - file: ${fixture('remote.yaml')}\n    seeds: 1000000000\n`, /suite\.yaml:4:12: experiments\.0\.seeds: 1 cells x 1000000000 seeds = 1000000000 trials; the limit is 1000000$/],
    [`name: s\nexperiments:\n  - file: ${fixture('remote.yaml')}\n    sets: [a=1]\n`, /suite\.yaml:4:5: experiments\.0\.sets: unknown key; did you mean 'set'\?/],
    [`name: s\nexperiments:\n  - file: ${fixture('remote.yaml')}\n  - file: ${fixture('remote.yaml')}\n`, /suite\.yaml:4:5: experiments\.1: a second entry named 'remote'/],
    [`name: s\nexperiments:\n  - file: ${fixture('remote.yaml')}\n    set: [hardware.memory.wrkers=1]\n`, /suite\.yaml:3:5: experiments\.0: --set hardware\.memory\.wrkers=1: /],
  ];
  for (const [yaml, message] of cases) {
    writeFileSync(suite, yaml);
    const r = await cli(['nightly', suite, '--history', join(dir, 'h.sqlite'), '--out', join(dir, 'night')]);
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr.trim(), message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.deepEqual(readdirSync(dir).sort(), ['suite.yaml'], 'no history, no results folder');
  }
  // A night that cannot begin (its folder is taken) leaves no history behind either.
  const taken = join(dir, 'taken');
  mkdirSync(taken);
  writeFileSync(join(taken, 'mine.txt'), 'mine\n');
  const busy = await cli(['nightly', fixture('suite.yaml'), '--history', join(dir, 'new.sqlite'), '--out', taken]);
  assert.equal(busy.exitCode, 2, busy.stderr);
  assert.match(busy.stderr, /--out .*taken: the folder is not empty/);
  assert.deepEqual(readdirSync(dir).sort(), ['suite.yaml', 'taken']);
  assert.deepEqual(readdirSync(taken), ['mine.txt']);
  rmSync(taken, { recursive: true });
  const notes = join(dir, 'notes.txt');
  writeFileSync(notes, 'my notes\n');
  const r = await cli(['nightly', fixture('suite.yaml'), '--history', notes, '--out', join(dir, 'night')]);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /notes\.txt: not an SQLite database, so not a faultsweep history/);
  assert.equal(readFileSync(notes, 'utf8'), 'my notes\n');
  assert.deepEqual(readdirSync(dir).sort(), ['notes.txt', 'suite.yaml']);
});

test('history --import records results folders as a night; history lists nights, cells and signatures', async () => {
  assert.ok(regressedRun, 'the first test made the folder this one imports');
  const dir = tempDir('nightly-import');
  const h = join(dir, 'h.sqlite');
  const imp = await cli(['history', h, '--import', regressedRun, '--suite', 'fixture', '--label', 'old-build']);
  assert.equal(imp.exitCode, 0, imp.stderr);
  assert.match(imp.stdout, /night 1 of fixture: 1 experiment, 1 cell, 8 trials, 7 failed/);
  const sigs = JSON.parse((await cli(['history', h, '--signatures', '--json'])).stdout) as { signature: string; status: string; nightsSeen: number }[];
  assert.deepEqual(sigs.map((s) => [s.signature, s.status, s.nightsSeen]), [['Fail to to get the CQE from send_cq after 20 seconds!', 'new', 1]]);
  const cells = JSON.parse((await cli(['history', h, '--cells', '--json'])).stdout) as { experiment: string; latest: { trials: number; failed: number } }[];
  assert.deepEqual(cells.map((c) => [c.experiment, c.latest.trials, c.latest.failed]), [['remote', 8, 7]]);
  // A shard (its cells partial) and an unfinished run are not imported, and the history is as it was.
  const shard = join(dir, 'shard');
  mkdirSync(shard);
  const plan = JSON.parse(readFileSync(join(regressedRun, 'plan.json'), 'utf8'));
  writeFileSync(join(shard, 'plan.json'), JSON.stringify({ ...plan, shard: { index: 0, count: 2 } }));
  const refused = await cli(['history', h, '--import', shard]);
  assert.equal(refused.exitCode, 2);
  assert.match(refused.stderr, /shard 0\/2 of a run/);
  writeFileSync(join(shard, 'plan.json'), JSON.stringify(plan));
  const unfinished = await cli(['history', h, '--import', shard]);
  assert.equal(unfinished.exitCode, 2);
  assert.match(unfinished.stderr, /an unfinished run \(no summary\.json\); finish it with faultsweep run --resume/);
  const after = JSON.parse((await cli(['history', h, '--json'])).stdout) as unknown[];
  assert.equal(after.length, 1);
});

test('Benjamini-Hochberg q-values equal scipy.stats.false_discovery_control', () => {
  const p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216, 0.222, 0.251, 0.269, 0.275, 0.34, 0.341, 0.384, 0.569, 0.594, 0.696, 0.762, 0.94, 0.942, 0.975, 0.986];
  // scipy 1.17.1: false_discovery_control(p), rounded to 6 places.
  const scipy = [0.025, 0.1, 0.21, 0.21, 0.21, 0.25, 0.264286, 0.491071, 0.491071, 0.491071, 0.491071, 0.491071, 0.491071, 0.491071, 0.532812, 0.532812, 0.564706, 0.781579, 0.781579, 0.87, 0.907143, 0.986, 0.986, 0.986, 0.986];
  // Shuffled input: q follows each p to where it was.
  const order = p.map((_, i) => (i * 7) % p.length);
  const q = benjaminiHochberg(order.map((i) => p[i]));
  order.forEach((i, k) => assert.ok(Math.abs(q[k] - scipy[i]) < 1e-6, `p ${p[i]}: q ${q[k]}, scipy ${scipy[i]}`));
});

test('E-Divisive finds a step and a drift where they are, and nothing in a level series', () => {
  const noise = (i: number) => ((i * 7919) % 13) / 13 - 0.5;
  const step = Array.from({ length: 30 }, (_, i) => (i < 18 ? 100 : 90) + noise(i));
  assert.deepEqual(eDivisive(step, { stream: 'step' }).map((c) => c.at), [18]);
  const level = Array.from({ length: 30 }, (_, i) => 100 + noise(i));
  assert.deepEqual(eDivisive(level, { stream: 'level' }), []);
  const twoSteps = Array.from({ length: 40 }, (_, i) => (i < 12 ? 50 : i < 27 ? 60 : 45) + noise(i));
  assert.deepEqual(eDivisive(twoSteps, { stream: 'two' }).map((c) => c.at), [12, 27]);
  // A slow drift is split somewhere inside it, not missed.
  const drift = Array.from({ length: 30 }, (_, i) => 100 - i + noise(i));
  const [cp] = eDivisive(drift, { stream: 'drift' });
  assert.ok(cp && cp.at > 5 && cp.at < 25 && cp.pValue < 0.05, JSON.stringify(cp));
});

test('a step in a metric over ten nights is found at the night it begins, and marked on the trend page', async () => {
  const nightCell = (night: number, value: number): NightCell => ({
    night,
    experiment: 'e',
    key: 'e {}',
    params: {},
    units: { opsPerSec: 'ops/s' },
    headline: ['opsPerSec'],
    trials: [0, 1, 2, 3].map((k) => ({ seed: night * 10 + k, outcome: 'ok' as const, class: null, signature: null, replay: '', metrics: { opsPerSec: value + k * 0.1 } })),
  });
  const cells = Array.from({ length: 10 }, (_, i) => nightCell(i + 1, i < 6 ? 1000 : 800));
  const [s] = series(cells);
  assert.deepEqual(s.steps.map((st) => [st.night, st.direction]), [[7, 'regression']]);
  assert.ok(s.steps[0].pValue < 0.05);
  const html = await trendHtml({ suite: 's', night: { id: 10, suite: 's', label: null, started: '', finished: '', faultsweep: '0', code: 'c', experimentsCommit: null, seeds: 'fresh', results: '' }, ordinal: 10, counts: { experiments: 1, cells: 1, trials: 4, failures: 0 }, changed: [], tests: 1, changes: [], signatures: [], series: [s], recentSteps: [] }, 'digest');
  // The series' line with its points, and the step as a dashed rule.
  assert.match(html, /<figure data-chart="trend-0"/);
  assert.match(html, /stroke-dasharray="5,4"/);
});

test('triage: new, recurring, flaky, absent and fixed, by signature across nights', () => {
  const nights: Night[] = [1, 2, 3, 4, 5, 6].map((id) => ({ id, suite: 's', label: null, started: '', finished: '', faultsweep: '0', code: id <= 3 ? 'a' : id <= 5 ? 'b' : 'c', experimentsCommit: null, seeds: 'fresh', results: '' }));
  // Which signatures each night's one trial-set shows.
  const seen: Record<number, string[]> = { 1: ['old', 'flaky', 'gone'], 2: ['old', 'gone'], 3: ['old', 'flaky', 'gone'], 4: ['old', 'flaky', 'lately'], 5: ['old', 'lately'], 6: ['old', 'flaky', 'new'] };
  const cells: NightCell[] = nights.map((n) => ({
    night: n.id,
    experiment: 'e',
    key: 'e {}',
    params: {},
    units: {},
    headline: [],
    trials: [...seen[n.id].map((s, i) => ({ seed: i, outcome: 'crash' as const, class: 'bug', signature: s, replay: `replay ${s} ${n.id}`, metrics: {} })), { seed: 99, outcome: 'ok' as const, class: null, signature: null, replay: '', metrics: {} }],
  }));
  const status = (upTo: number) => Object.fromEntries(triage(nights, cells.filter((c) => c.night <= upTo), upTo).map((s) => [s.signature, s.status]));
  assert.deepEqual(status(6), { old: 'recurring', flaky: 'flaky', gone: 'fixed', lately: 'absent', new: 'new' });
  const t = triage(nights, cells, 6).find((s) => s.signature === 'flaky')!;
  assert.deepEqual([t.firstSeen, t.lastSeen, t.nightsSeen, t.nightsRun, t.latest.replay], [1, 6, 4, 6, 'replay flaky 6']);
  // Absent on night 2 under the same build as nights 1 and 3: flaky, not fixed.
  assert.equal(status(3).flaky, 'flaky');
});
