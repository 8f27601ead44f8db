// Every run writes trials.csv, cells.csv (RFC 4180, read back here by csv-parse) and report.md;
// `faultsweep report DIR` writes them again. Text from a user cannot break a CSV field or a
// Markdown table.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { faultsweep, root, tempDir } from './helpers.js';

test('a run writes trials.csv, cells.csv and report.md; report DIR writes the same again', async () => {
  const home = tempDir('reports');
  // A description and an axis value a spreadsheet or a Markdown renderer could trip on.
  const exp = join(home, 'e.yaml');
  writeFileSync(exp, readFileSync(join(root, 'experiments', 'remote-access.yaml'), 'utf8').replace(/^name: .*$/m, 'name: reports').replace(/^description: >\n(  .*\n)+/m, 'description: "a | b, \\"quoted\\" <b>bold</b>"\n'));
  const dir = join(home, 'run');
  const r = await faultsweep(['run', exp, '--seeds', '3', '--set', 'workload.accesses=1000', '--out', dir]);
  assert.equal(r.exitCode, 0, String(r.stderr));

  const trials = parse(readFileSync(join(dir, 'trials.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(trials.length, 12);
  assert.deepEqual(Object.keys(trials[0]).slice(0, 4), ['cell', 'seed', 'workload.threads', 'hardware.memory.workers']);
  const jsonl = readFileSync(join(dir, 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const t of trials) {
    const rec = jsonl.find((x) => x.cell === t.cell && String(x.seed) === t.seed);
    assert.ok(rec, `${t.cell}/${t.seed}`);
    assert.equal(Number(t.accessesPerSec), rec.metrics.accessesPerSec);
    assert.equal(t.replay, rec.replay);
  }
  assert.match(readFileSync(join(dir, 'trials.csv'), 'utf8'), /\r\n/);

  const cells = parse(readFileSync(join(dir, 'cells.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(cells.length, 4);
  assert.ok(cells.every((c) => c.trials === '3' && c['failure.count'] === '0' && Number(c['accessesPerSec.mean']) > 0));

  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /^# reports$/m);
  assert.match(md, /a \\\| b, "quoted" \\<b\\>bold\\<\/b\\>/);
  assert.equal(md.split('\n').filter((l) => l.startsWith('| ') && /^\| [14] \| [124] \|/.test(l)).length, 4);

  const files = ['trials.csv', 'cells.csv', 'report.md', 'report.html'];
  const before = files.map((f) => readFileSync(join(dir, f), 'utf8'));
  for (const f of files) rmSync(join(dir, f));
  const again = await faultsweep(['report', dir]);
  assert.equal(again.exitCode, 0, String(again.stderr));
  assert.match(String(again.stdout), /^reports: 12 trials in .*; wrote trials\.csv, cells\.csv, report\.md, report\.html$/m);
  assert.deepEqual(files.map((f) => readFileSync(join(dir, f), 'utf8')), before);
  assert.equal((await faultsweep(['report', home])).exitCode, 2);
});

test('report.md lists failing gates, failures by signature and their replay commands', async () => {
  const dir = join(tempDir('report-gates'), 'run');
  const r = await faultsweep(['run', 'experiments/quickstart.yaml', '--seeds', '2', '--set', 'workload.steps=1', '--where', 'drop == 0.0001', '--set', 'gates=[{name: no errors, outcome: error, max: 0}]', '--out', dir]);
  assert.equal(r.exitCode, 1, String(r.stderr));
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /^## Gates$/m);
  assert.match(md, /^\| no errors \| c[0-9a-f]{8} \| FAIL \| error\.count = [12], needs \\<= 0 \(error [12] of 2 trials, 95% Wilson \[[\d.]+, [\d.]+\]\) \|$/m);
  assert.match(md, /^## Failures by signature$/m);
  assert.match(md, /^faultsweep replay experiments\/quickstart\.yaml .*--cell c[0-9a-f]{8} --seed \d+ --digest [0-9a-f]{16}$/m);
});
