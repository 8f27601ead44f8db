// faultsweep compare: two result folders, or one folder split by filters, set side by side after
// the fact, paired on shared seeds and unpaired otherwise, with no NaN anywhere.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { faultsweep, tempDir } from './helpers.js';

const base = tempDir('compare-runs');
const nowaitRuns = ['run', 'experiments/nowait-vs-persend.yaml', '--seeds', '8', '--set', 'workload.steps=1'];
// one worker, and of the drop rates the one that fails no trial and the one that fails most
const oneWorker = 'hardware.memory.workers == 1 and (drop == 0 or drop == 0.0001)';

async function run(args: string[], out: string): Promise<string> {
  const dir = join(base, out);
  const r = await faultsweep([...args, '--out', dir]);
  assert.ok(r.exitCode === 0, `${args.join(' ')}: ${r.stderr}`);
  return dir;
}

test('two runs of nowait-vs-persend, one per polling mode: throughput ratio with interval and test, failure rates with theirs, no NaN', async () => {
  const a = await run([...nowaitRuns, '--where', `kernel.fit.polling == "per-send" and ${oneWorker}`], 'per-send');
  const b = await run([...nowaitRuns, '--where', `kernel.fit.polling == "nowait" and ${oneWorker}`], 'nowait');
  const r = await faultsweep(['compare', a, b]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const out = String(r.stdout);
  assert.doesNotMatch(out, /NaN|Infinity/);
  assert.match(out, /^drop=0 hardware\.memory\.workers=1 \(kernel\.fit\.polling per-send -> nowait\): 8 seeds in both$/m);
  // the reply's CQE wait, 0.6 of a worker's 4.95 us a miss: at most 14%, less where the worker idles
  assert.match(out, /^ {2}remoteRequestsPerSec 1\.0[3-9]\d*x \[1\.0[3-9]\d*, 1\.0[3-9]\d*\], p = 0\.007813 \(Wilcoxon, 8 pairs\)$/m);
  assert.match(out, /^ {2}failures 0% \[0%, 32\.44%\] vs 0% \[0%, 32\.44%\], McNemar p = 1$/m);
  assert.match(out, /^ {2}failures 75% \[40\.93%, 92\.85%\] vs 0% \[0%, 32\.44%\], McNemar p = 0\.03125$/m);

  const json = JSON.parse(String((await faultsweep(['compare', a, b, '--json'])).stdout));
  assert.deepEqual(json.compared, ['kernel.fit.polling']);
  assert.equal(json.cells.length, 2);
  assert.ok(json.cells.every((c: { paired: boolean; pairs: number }) => c.paired && c.pairs === 8));

  const md = String((await faultsweep(['compare', a, b, '--markdown'])).stdout);
  assert.match(md, /^\| cell \| runtime \(B\/A\) \| slowdown \(B\/A\) \| remoteRequestsPerSec \(B\/A\) \| failures A vs B \|$/m);
  assert.equal(md.split('\n').filter((l) => l.startsWith('| drop=')).length, 2);

  // --out writes the same verdicts as text, Markdown, JSON and a page with the two charts, into a
  // new or empty folder only
  const folder = join(base, 'per-send-vs-nowait');
  const written = await faultsweep(['compare', a, b, '--out', folder]);
  assert.equal(written.exitCode, 0, String(written.stderr));
  assert.equal(readFileSync(join(folder, 'compare.txt'), 'utf8'), `${String(r.stdout)}\n`); // execa drops the last newline
  assert.equal(readFileSync(join(folder, 'compare.md'), 'utf8'), `${md}\n`);
  assert.equal(JSON.parse(readFileSync(join(folder, 'compare.json'), 'utf8')).cells.length, 2);
  const html = readFileSync(join(folder, 'compare.html'), 'utf8');
  assert.deepEqual([...html.matchAll(/<figure data-chart="([\w-]+)"[^>]*><svg /g)].map((m) => m[1]), ['comparison-ratios', 'failure-rates']);
  assert.doesNotMatch(html, /NaN|<script/);
  const again = await faultsweep(['compare', a, b, '--out', folder]);
  assert.equal(again.exitCode, 2);
  assert.match(String(again.stderr), /the folder is not empty/);

  // per-send against nowait: slower beyond 5% at 95%, and failing significantly more often
  const worse = await faultsweep(['compare', b, a, '--fail-on-regression']);
  assert.equal(worse.exitCode, 1);
  assert.match(String(worse.stderr), /regressions of .*per-send against .*nowait/);
  assert.match(String(worse.stderr), /drop=0\.0001 hardware\.memory\.workers=1: failures 0 -> 0\.75 \(McNemar p = 0\.0313\)/);
  assert.equal((await faultsweep(['compare', a, b, '--fail-on-regression'])).exitCode, 0);
});

test('one folder split by --a and --b filters gives the same verdicts as two folders', async () => {
  const both = await run(['run', 'experiments/nowait-vs-persend.yaml', '--seeds', '3', '--set', 'workload.steps=1', '--where', 'drop == 0'], 'both');
  const r = await faultsweep(['compare', both, '--a', 'kernel.fit.polling=per-send', '--b', 'kernel.fit.polling=nowait', '--json']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const json = JSON.parse(String(r.stdout));
  assert.equal(json.a, 'kernel.fit.polling=per-send');
  assert.equal(json.cells.length, 2);
  for (const c of json.cells) {
    for (const m of Object.values(c.metrics) as { pValue?: number }[]) assert.ok(m.pValue === undefined || (m.pValue >= 0 && m.pValue <= 1), JSON.stringify(c));
    // one memory worker: nowait's saved poll shows; four: none to save
    if (c.params['hardware.memory.workers'] === 1) assert.ok(c.metrics.remoteRequestsPerSec.ratio > 1.03 && c.metrics.remoteRequestsPerSec.ratio < 1.15, JSON.stringify(c));
  }
  const bad = await faultsweep(['compare', both, '--a', 'polling=per-send', '--b', 'kernel.fit.polling=nowait']);
  assert.equal(bad.exitCode, 2);
  assert.match(String(bad.stderr), /^--a polling=per-send: expected AXIS=VALUE over the axes of/);
});

test('seeds that differ are compared unpaired: Mann-Whitney and Fisher', async () => {
  const a = await run(['run', 'experiments/remote-access.yaml', '--set', 'seeds=[1, 2, 3, 4]', '--set', 'workload.accesses=1000', '--where', 'workload.threads == 4'], 'seeds-a');
  const b = await run(['run', 'experiments/remote-access.yaml', '--set', 'seeds=[11, 12, 13, 14]', '--set', 'workload.accesses=1000', '--where', 'workload.threads == 4'], 'seeds-b');
  const r = await faultsweep(['compare', a, b]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const out = String(r.stdout);
  assert.match(out, /4 and 4 trials, seeds not shared/);
  assert.match(out, /accessesPerSec 1?\.?\d+x \[[\d.]+, [\d.]+\], p = [\d.e-]+ \(Mann-Whitney, 4 trials\)/);
  assert.match(out, /failures 0% \[0%, 48\.99%\] vs 0% \[0%, 48\.99%\], Fisher p = 1/);
  assert.doesNotMatch(out, /NaN/);
});
