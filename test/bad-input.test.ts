// Every malformed experiment in test/fixtures/bad gives one located line and exit 2, and a run of
// it creates no results folder. Each fixture's first line says where and what: "# expect: L:C
// text". The fixtures are validated in this process (cli()); the run goes through the binary.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, faultsweep, root, tempDir } from './helpers.js';

const dir = join(root, 'test', 'fixtures', 'bad');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

test('there are at least twenty malformed fixtures', () => {
  assert.ok(fixtures.length >= 20, `only ${fixtures.length}`);
});

for (const f of fixtures) {
  test(`bad input: ${f}`, async () => {
    const file = join('test', 'fixtures', 'bad', f);
    const m = /^# expect: (\d+):(\d+) (.+)$/m.exec(readFileSync(join(dir, f), 'utf8'));
    assert.ok(m, `${f} lacks its "# expect: L:C text" line`);
    const r = await cli(['validate', file]);
    assert.equal(r.exitCode, 2, `exit code for ${f}: ${r.stderr}`);
    const lines = String(r.stderr).trim().split('\n');
    assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
    assert.ok(lines[0].startsWith(`${file}:${m[1]}:${m[2]}: `), `location: ${lines[0]}`);
    assert.ok(lines[0].includes(m[3]), `message should mention "${m[3]}": ${lines[0]}`);
    assert.doesNotMatch(lines[0], /at .+\.js:\d+/);
  });
}

test('a bad experiment runs nothing and writes no results folder', async () => {
  const out = join(tempDir('bad'), 'run');
  const r = await faultsweep(['run', join('test', 'fixtures', 'bad', '04-unknown-workload-key.yaml'), '--out', out]);
  assert.equal(r.exitCode, 2);
  assert.equal(existsSync(out), false);
});

test('usage errors exit 2', async () => {
  assert.equal((await faultsweep(['run', 'experiments/quickstart.yaml', '--jobs', 'zero'])).exitCode, 2);
  assert.equal((await faultsweep(['frobnicate'])).exitCode, 2);
  assert.equal((await faultsweep(['run', 'experiments/quickstart.yaml', '--set', 'novalue'])).exitCode, 2);
});
