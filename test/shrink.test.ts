// shrink: delta debugging over the fault events of a failing trial. A per-send trial that lost
// three CQEs shrinks to one whose replay fails the same way; the victim double free, which no
// fault causes, shrinks to no schedule at all; ddmin itself returns a 1-minimal subset.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultsweep, replayArgs } from './helpers.js';
import { ddmin } from '../harness/run/shrink.js';

// Four memory workers, eight threads and a one-in-ten chance per reply: the memory node loses
// three reply CQEs before the first worker's 20 s poll gives up.
const LOST_CQES = ['faultsweep', 'replay', 'test/fixtures/nightly/remote.yaml', '--set', 'kernel.fit.polling=per-send', '--set', 'faults.0.probability=0.1', '--set', 'hardware.memory.workers=4', '--set', 'workload.threads=8', '--cell', 'c15695', '--seed', '2'];

interface Shrunk {
  from: number;
  to: number;
  faults: { kind: string; completions?: number[]; probability?: number }[];
  signature: string;
  outcome: string;
  replay: string;
}

test('shrink: a per-send trial with three dropped CQEs ends with one, whose replay fails with the same signature', async () => {
  const cell = String((await faultsweep(['run', ...LOST_CQES.slice(2, 11), '--dry-run', '--json'])).stdout);
  const id = (JSON.parse(cell) as { cells: { id: string }[] }).cells[0].id;
  const args = LOST_CQES.map((a) => (a === 'c15695' ? id : a));
  const r = await faultsweep(['shrink', ...args, '--json']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const s = JSON.parse(String(r.stdout)) as Shrunk;
  assert.equal(s.from, 3, 'the trial lost three CQEs');
  assert.equal(s.to, 1);
  assert.equal(s.outcome, 'error');
  assert.equal(s.signature, 'Fail to to get the CQE from send_cq after 20 seconds!');
  assert.equal(s.faults.length, 1);
  assert.equal(s.faults[0].probability, 0);
  assert.equal(s.faults[0].completions!.length, 1);
  // The shrunk schedule's replay reproduces (its --digest is checked) the same failure.
  const replay = await faultsweep(replayArgs(s.replay));
  assert.equal(replay.exitCode, 0, String(replay.stderr));
  assert.match(String(replay.stdout), /: error \(cqe-timeout: Fail to to get the CQE from send_cq after 20 seconds!/);
  assert.match(String(replay.stdout), /fault\.dropped-cqe\.memory\.reply\s+1\n/);
});

test('shrink: the victim double free, which no fault causes, ends with no schedule, no longer than it began', async () => {
  const r = await faultsweep(['shrink', 'faultsweep replay experiments/victim-double-free.yaml --cell c44eef52a --seed 1 --digest 988e21de656047e7', '--json']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const s = JSON.parse(String(r.stdout)) as Shrunk;
  assert.deepEqual([s.from, s.to, s.faults], [0, 0, []]);
  assert.equal(s.outcome, 'crash');
  assert.match(s.signature, /^PCACHE_BUG_ON_VICTIM\(.*\) in __put_victim_nolist$/);
});

test('shrink refuses a trial that does not fail, and what is not a replay command', async () => {
  const ok = await faultsweep(['shrink', 'faultsweep', 'replay', 'test/fixtures/nightly/remote.yaml', '--cell', 'c01f959e6', '--seed', '1']);
  assert.equal(ok.exitCode, 2);
  assert.match(String(ok.stderr), /(does not fail|no cell c01f959e6)/);
  for (const bad of [['{not json'], ['faultsweep', 'replay', 'x.yaml', '--bogus', '1'], ['faultsweep', 'replay', 'x.yaml']]) {
    const r = await faultsweep(['shrink', ...bad]);
    assert.equal(r.exitCode, 2, `${bad}: ${r.stderr}`);
    assert.equal(String(r.stderr).trim().split('\n').length, 1);
  }
});

test('ddmin returns a subset that still fails and from which no one element can go', () => {
  const items = Array.from({ length: 20 }, (_, i) => i);
  let tests = 0;
  const fails = (s: number[]) => (tests++, s.includes(3) && s.includes(7) && s.includes(16));
  const m = ddmin(items, fails);
  assert.deepEqual(m, [3, 7, 16]);
  for (const i of m) assert.equal(fails(m.filter((x) => x !== i)), false);
  assert.ok(tests < 100, `${tests} tests`);
  assert.deepEqual(ddmin([5], () => true), [5]);
});
