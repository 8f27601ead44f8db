// XPMEM's API on a partitioned UV (test/fixtures/xpmem/errno.yaml, the machine the checks of
// xpmem-checks.test.ts run on): a sequence that does not get what it expects fails, naming every
// step that differs; ids, the maxaddr clamp, the API layers; validate's errors for bad values.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { cli, faultsweep, replayArgs, tempDir } from './helpers.js';

interface CellSummary {
  params: Record<string, unknown>;
  outcomes: Record<string, number>;
  failures: { signature: string; replay: string }[];
}

const errnoFile = 'test/fixtures/xpmem/errno.yaml';

test('a step that does not give what it expects fails the trial, naming the step', async () => {
  const script = '[{rank: 0, call: make, vaddr: 0x10000, size: 65536, as: s}, {rank: 0, call: remove, segid: $s}, {rank: 0, call: remove, segid: $s}]';
  const r = await faultsweep(['run', errnoFile, '--json', '--set', 'sweep={}', '--set', 'zip=[]', '--set', `workload.script=${script}`, '--out', `${tempDir('xpmem-bad')}/run`]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const [cell] = JSON.parse(String(r.stdout)).cells as CellSummary[];
  assert.equal(cell.outcomes.error, 1);
  assert.equal(cell.failures[0].signature, 'step 3 (remove by rank 0): expected ok, got ENOENT');
  // The console prints ids in hex with the partition in bits 48 and up.
  const replay = await faultsweep(replayArgs(cell.failures[0].replay));
  assert.match(String(replay.stdout), /rank 0 \(tgid 1000\) make -> 0x1000003e8/);
});

test('every step runs after one differs, so one trial names every difference', async () => {
  const script = '[{rank: 0, call: make, vaddr: 0x10000, size: 65536, as: s}, {rank: 0, call: remove, segid: $s, expect: EINVAL}, {rank: 1, call: get, segid: $s, as: a}, {rank: 0, call: remove, segid: $s, expect: ok}, {rank: 1, call: release, apid: $a}]';
  const r = await faultsweep(['run', errnoFile, '--json', '--set', 'sweep={}', '--set', 'zip=[]', '--set', `workload.script=${script}`, '--out', `${tempDir('xpmem-all')}/run`]);
  const [cell] = JSON.parse(String(r.stdout)).cells as CellSummary[];
  // Step 3's get finds the segment removed by step 2; step 5 has no apid to release.
  assert.equal(cell.failures[0].signature, 'step 2 (remove by rank 0): expected EINVAL, got 0x0; later steps differ too: 3, 4, 5');
  const replay = String((await faultsweep(replayArgs(cell.failures[0].replay))).stdout);
  assert.match(replay, /xpmem-script: step 3 \(get by rank 1\): expected ok, got ENOENT/);
  assert.match(replay, /xpmem-script: step 5 \(release by rank 1\): \$a has no value: the step that saves it failed/);
  assert.match(replay, /xpmem-script: 4 of 5 steps differ/);
});

test('a get from another partition carries that partition in its apid', async () => {
  const script = '[{rank: 0, call: make, vaddr: 0x10000, size: 65536, as: s}, {rank: 1, call: get, segid: $s, as: a}, {rank: 1, call: release, apid: $a, expect: EINVAL}]';
  const r = await faultsweep(['run', errnoFile, '--json', '--set', 'sweep={}', '--set', 'zip=[]', '--set', `workload.script=${script}`, '--out', `${tempDir('xpmem-ids')}/run`]);
  const [cell] = JSON.parse(String(r.stdout)).cells as CellSummary[];
  const replay = await faultsweep(replayArgs(cell.failures[0].replay));
  assert.match(String(replay.stdout), /rank 1 \(tgid 1001\) get -> 0x10001000003e9/);
});

test('kernel.xpmemMaxaddrClamp false lets a whole-address-space segment reach GRU space (1 << 48)', async () => {
  const script = '[{rank: 0, call: make, size: MAXADDR, as: s}, {rank: 1, call: get, segid: $s, as: a}, {rank: 1, call: attach, apid: $a, offset: 0x1000000000000, size: 4096}]';
  const run = async (clamp: boolean) => {
    const r = await faultsweep(['run', errnoFile, '--json', '--set', 'sweep={}', '--set', 'zip=[]', '--set', `workload.script=${script}`, '--set', `kernel.xpmemMaxaddrClamp=${clamp}`, '--out', `${tempDir('xpmem-clamp')}/run`]);
    return (JSON.parse(String(r.stdout)).cells as CellSummary[])[0];
  };
  assert.equal((await run(false)).outcomes.ok, 1);
  const clamped = await run(true);
  assert.equal(clamped.failures[0].signature, 'step 3 (attach by rank 1): expected ok, got EINVAL');
});

test("through libxpmem a get's permit_value is NULL whatever the caller gave; through the ioctl it is EINVAL", async () => {
  const script = '[{rank: 0, call: make, vaddr: 0x10000, size: 65536, as: s}, {rank: 1, call: get, segid: $s, permitValue: 1, as: a}, {rank: 1, call: attach, apid: $a, size: 4096}]';
  const ran = await Promise.all(
    ['libxpmem', 'ioctl'].map(async (layer) => {
      const r = await faultsweep(['run', errnoFile, '--json', '--set', 'sweep={}', '--set', 'zip=[]', '--set', `workload.layer=${layer}`, '--set', `workload.script=${script}`, '--out', `${tempDir(`xpmem-${layer}`)}/run`]);
      assert.equal(r.exitCode, 0, String(r.stderr));
      return (JSON.parse(String(r.stdout)).cells as CellSummary[])[0];
    }),
  );
  assert.equal(ran[0].outcomes.ok, 1, JSON.stringify(ran[0].failures));
  assert.equal(ran[1].failures[0].signature, 'step 2 (get by rank 1): expected ok, got EINVAL; later steps differ too: 3');
});

test('validate names every bad value of a script, each with its line and column, in one pass', async () => {
  const file = 'test/fixtures/xpmem/bad-values.yaml';
  const r = await cli(['validate', file]);
  assert.equal(r.exitCode, 2);
  assert.deepEqual(r.stderr.trim().split('\n').sort(), [
    `${file}:10:35: workload.script.1.segid: $t: no earlier step saves 't' (with as: t)`,
    `${file}:11:61: workload.script.2.offset: 4722366482869645213696 does not fit in 64 bits`,
    `${file}:13:38: workload.script.4.apid: 0x10000000000000000 does not fit in 64 bits`,
    `${file}:14:36: workload.script.5.addr: 9007199254740993 is beyond 2^53: the model's addresses and sizes are exact only up to there (ids are exact to 64 bits)`,
    `${file}:9:51: workload.script.0.size: "4 KiBB": expected a size with a unit, such as "128 MiB"; "4 KiBB" is not a quantity mathjs understands`,
  ]);
});

test('an xpc step naming a partition the machine does not have is refused before anything runs', async () => {
  const flag = 'workload.script=[{rank: 0, call: xpc, partition: 4, up: false}]';
  const out = `${tempDir('xpmem-xpc')}/run`;
  const r = await faultsweep(['run', errnoFile, '--set', flag, '--out', out]);
  assert.equal(r.exitCode, 2);
  assert.equal(String(r.stderr).trim(), `--set ${flag}: workload.script.0.partition: this machine has partitions 0 to 3`);
  assert.ok(!existsSync(out), 'nothing written');
});
