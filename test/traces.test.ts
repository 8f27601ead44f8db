// Trace files and `faultsweep cachesim`: DineroIV semantics checked by hand on a tiny trace, the
// three formats agreeing, malformed lines reported by file and line, and replay as a workload.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { faultsweep, root, tempDir } from './helpers.js';

const small = (ext: string) => join('test', 'fixtures', 'traces', `small.${ext}`);
const geometry = ['--size', '256B', '--ways', '1', '--line', '64B'];

async function cachesim(args: string[]) {
  const r = await faultsweep(['cachesim', ...args, '--json']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const { seconds: _s, accessesPerSec: _a, ...counts } = JSON.parse(String(r.stdout));
  return counts;
}

test('cachesim counts a direct-mapped cache as worked out by hand', async () => {
  // Lines 0,1,2,4,0,64,65,0,128,192,0,4 on 4 one-way sets: every access misses; line 0 keeps
  // coming back while a fully associative LRU of 4 lines still holds it (3 conflict misses);
  // line 4 returns after the LRU dropped it (1 capacity miss); no dirty line is evicted.
  const c = await cachesim(['--trace', small('din'), '--format', 'din', ...geometry]);
  assert.deepEqual(c, { accesses: 12, reads: 8, writes: 3, fetches: 1, hits: 0, victimHits: 0, misses: 12, compulsory: 8, capacity: 1, conflict: 3, writeBacks: 0, lines: 4, sets: 4 });
});

test('a victim cache catches lines the sets evicted, and dirty lines count a write-back', async () => {
  const c = await cachesim(['--trace', small('din'), '--format', 'din', ...geometry, '--victim', '2']);
  // Line 0 keeps being displaced from set 0 and taken back from the two victim entries (3 times);
  // line 4's last return finds it dropped from the victim cache too.
  assert.equal(c.victimHits, 3);
  assert.equal(c.hits + c.victimHits + c.misses, c.accesses);
  const wb = await cachesim(['--trace', small('din'), '--format', 'din', '--size', '64B', '--ways', '1', '--line', '64B']);
  assert.equal(wb.writeBacks, 2); // lines 2 and 65 written, then evicted from the single line
});

test('din, lackey and the converted binary trace give the same counts', async () => {
  const bin = join(tempDir('trace'), 'small.bin');
  const conv = await faultsweep(['convert-trace', small('lackey'), '--format', 'lackey', '--out', bin]);
  assert.equal(conv.exitCode, 0, String(conv.stderr));
  assert.match(String(conv.stdout), /12 accesses/);
  const din = await cachesim(['--trace', small('din'), '--format', 'din', ...geometry, '--victim', '2', '--policy', 'lru']);
  assert.deepEqual(await cachesim(['--trace', small('lackey'), '--format', 'lackey', ...geometry, '--victim', '2', '--policy', 'lru']), din);
  assert.deepEqual(await cachesim(['--trace', bin, '--format', 'bin', ...geometry, '--victim', '2', '--policy', 'lru']), din);
});

test('a malformed trace line is FILE:LINE: message and exit 2', async () => {
  const file = join('test', 'fixtures', 'traces', 'bad.din');
  const r = await faultsweep(['cachesim', '--trace', file, '--format', 'din']);
  assert.equal(r.exitCode, 2);
  assert.match(String(r.stderr).trim(), new RegExp(`^${file}:3: not a din line: "1 8g"`));
  const run = await faultsweep(['run', 'experiments/trace-replay.yaml', '--set', `workload.file=${file}`, '--set', 'workload.format=din', '--out', join(tempDir('badtrace'), 'run')]);
  assert.equal(run.exitCode, 2, String(run.stderr));
  // A path given with --set is the user's, relative to the current folder; errors name it whole.
  assert.match(String(run.stderr).trim(), new RegExp(`^${join(root, file)}:3: `));
});

test('a trace replays as a workload through the pcache', async () => {
  const r = await faultsweep(['run', 'experiments/trace-replay.yaml', '--json', '--out', join(tempDir('replaytrace'), 'run')]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const cells = JSON.parse(String(r.stdout)).cells as { outcomes: { ok: number }; metrics: { accessesPerSec: { mean: number }; slowdown: { mean: number } } }[];
  assert.equal(cells.length, 2);
  for (const c of cells) {
    assert.equal(c.outcomes.ok, 2);
    assert.ok(c.metrics.slowdown.mean > 1, 'lines evicted from the small pcache come back over the network');
  }
});
