// The command tour of the README, as a user runs it.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { faultsweep, replayArgs, root, tempDir } from './helpers.js';

test('every shipped experiment validates', async () => {
  const files = readdirSync(join(root, 'experiments')).filter((f) => f.endsWith('.yaml')).map((f) => join('experiments', f));
  const r = await faultsweep(['validate', ...files]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  assert.equal(String(r.stdout).trim().split('\n').length, files.length);
});

test('the committed JSON Schema is the one `faultsweep schema` prints', async () => {
  const r = await faultsweep(['schema']);
  assert.equal(r.exitCode, 0);
  assert.deepEqual(JSON.parse(String(r.stdout)), JSON.parse(readFileSync(join(root, 'schema', 'experiment.schema.json'), 'utf8')), 'run: faultsweep schema > schema/experiment.schema.json');
});

test('a reader that closes the pipe early ends faultsweep quietly with its own exit code', async () => {
  // `true` exits without reading, so the pipe is closed before faultsweep writes its help
  const r = await execa('bash', ['-c', `node ${JSON.stringify(join(root, 'bin', 'faultsweep.js'))} run --help | true; echo "status \${PIPESTATUS[0]}"`], { reject: false });
  assert.equal(r.stdout, 'status 0');
  assert.equal(r.stderr, '');
});

test('--dry-run lists the cells and the trial count and runs nothing', async () => {
  const r = await faultsweep(['run', 'experiments/remote-access.yaml', '--dry-run', '--seeds', '3', '--where', 'workload.threads == 4']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  assert.match(String(r.stdout), /3 cells x 3 seeds = 9 trials/);
  assert.match(String(r.stdout), /estimated run time: /);
});

test('list shows the registered plug-ins and profiles', async () => {
  assert.match(String((await faultsweep(['list', 'workloads'])).stdout), /remote-access\s+lego/);
  assert.match(String((await faultsweep(['list', 'profiles'])).stdout), /lego-testbed\s+lego/);
});

test('a gate that fails makes the run exit 1, with the summary still written', async () => {
  const out = join(tempDir('gate'), 'run');
  const r = await faultsweep(['run', 'experiments/remote-access.yaml', '--seeds', '2', '--set', 'workload.accesses=300', '--set', 'gates=[{metric: accessesPerSec, min: 1e9}]', '--out', out]);
  assert.equal(r.exitCode, 1, String(r.stderr));
  assert.match(String(r.stdout), /FAIL  accessesPerSec.mean >= 1000000000: 0 of 4 cells pass\n {8}cell c\w+: accessesPerSec.mean = [\d,]+, needs >= 1.00e\+9 \(accessesPerSec mean [\d,]+ accesses\/s/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.cells.length, 4);
  assert.ok(summary.cells.every((c: { trials: number; outcomes: { ok: number } }) => c.trials === 2 && c.outcomes.ok === 2));
});

test('bench --json reports ops/s in its unit and the spread of the timed calls for the named benchmark', async () => {
  const r = await faultsweep(['bench', 'hold-10k', '--json', '--time', '200']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const b = JSON.parse(String(r.stdout))['hold-10k'];
  assert.equal(b.unit, 'events/s');
  assert.ok(b.opsPerSec > 0 && b.meanMs > 0);
  assert.ok(b.fastestMs <= b.meanMs && b.meanMs <= b.slowestMs, JSON.stringify(b));
  assert.ok(b.samples > 1);
});

test('compare pairs cells on the same seeds and reports ratios with intervals', async () => {
  const out = join(tempDir('compare'), 'run');
  const r = await faultsweep(['run', 'experiments/workers-compare.yaml', '--seeds', '4', '--set', 'workload.accesses=800', '--json', '--out', out]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const s = JSON.parse(String(r.stdout));
  assert.equal(s.comparisons.length, 2);
  for (const c of s.comparisons) {
    assert.equal(c.pairs, 4);
    const m = c.metrics.accessesPerSec;
    assert.ok(m.low <= m.ratio && m.ratio <= m.high, JSON.stringify(m));
    assert.ok(m.ratio > 1.3, `more workers should help 4 threads: ${JSON.stringify(m)}`);
  }
});

// The README's runs are re-run and compared line by line by test/readme.test.ts, replay lines
// included, and its "$ faultsweep replay" commands are run there too; here one recorded replay of
// each experiment the README shows runs on its own, as a reader would paste it.
test('a replay command of each experiment the README shows reproduces its trace digest', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  // A junit.xml excerpt shows its replay command XML-escaped, as the file holds it.
  const unescapeXml = (c: string) => c.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const recorded = [...new Set((readme.match(/(?<=replay: )faultsweep replay experiments\/[^`\n"]*--digest [0-9a-f]{16}/g) ?? []).map(unescapeXml))];
  const byExperiment = [...new Map(recorded.map((c) => [c.split(' ')[2], c])).values()];
  assert.ok(byExperiment.length >= 4, `only ${byExperiment.length} experiments with replay lines`);
  for (let i = 0; i < byExperiment.length; i += 2) {
    const batch = byExperiment.slice(i, i + 2);
    const results = await Promise.all(batch.map((c) => faultsweep(replayArgs(c))));
    results.forEach((r, j) => assert.equal(r.exitCode, 0, `${batch[j]}\n${String(r.stderr)}`));
  }
});

test("a trial's peak memory is its own, not its parent's", async () => {
  // The parent holds 640 MB when it starts the child; a 16-rank trial needs a tenth of that.
  const ballast = new Float64Array(80e6).fill(1);
  const r = await execa('node', [join(root, 'dist', 'harness', 'bench', 'trial-child.js'), 'experiments/release-1024.yaml', '1', '--set', 'sweep={}', '--set', 'workload.ranks=16'], { cwd: root });
  const { maxRssBytes, outcome } = JSON.parse(r.stdout) as { maxRssBytes: number; outcome: string };
  assert.equal(outcome, 'ok');
  assert.ok(process.memoryUsage().rss > 600 * 2 ** 20 && ballast[0] === 1);
  assert.ok(maxRssBytes < 300 * 2 ** 20, `child reports ${maxRssBytes} bytes`);
});

test('a comparison where trials failed prints no NaN: ratios over the pairs where both completed, "-" where none did', async () => {
  const r = await faultsweep(['run', 'experiments/quickstart.yaml', '--set', 'sweep={kernel.fit.polling: [per-send, nowait], drop: [0.0001, 0.003]}', '--seeds', '6', '--out', join(tempDir('nan'), 'run')]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const out = String(r.stdout);
  assert.doesNotMatch(out, /NaN|Infinity/);
  const row = (drop: string) => out.split('\n').find((l) => l.startsWith(`${drop} `) && l.includes('nowait') && / \/ /.test(l))!;
  // 0.003: every trial failed on both sides, so there is no throughput to compare
  assert.match(row('0.003'), /^0\.003\s+nowait\s+6\s+0\s+-\s+-\s+100% \/ 100%/);
  // 0.0001: one pair completed on both sides; its ratio is shown, with too few pairs for a p-value
  assert.match(row('0.0001'), /^0\.0001\s+nowait\s+6\s+1\s+1\.087 \[1\.087, 1\.087\], p -/);
});
