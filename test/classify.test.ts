// faultsweep classify: a real LegoOS console (the seed log of August 2018, copied into
// test/fixtures/consoles: real console data among prose) gives each failure episode once, with its
// class, and nothing from the prose; and the console of a model's failing trial classifies back to
// the class and signature the trial recorded, because both read one failure catalog.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, root } from './helpers.js';
import { loadPlugins, failureClasses } from '../harness/registry.js';
import { classify } from '../harness/classify.js';
import { loadExperiment } from '../harness/experiment/load.js';
import { replayBase, runTrial } from '../harness/run/trial.js';

const SEED = join(root, 'test', 'fixtures', 'consoles', 'lego-2018-08.txt');
const DEADLOCK = 'Possible deadlock happend: scheduler_tick spins on rq->lock held by try_to_wake_up on the same CPU';

test('classify finds each failure episode of the August 2018 LegoOS log once, with its class', async () => {
  const r = await cli(['classify', SEED, '--json']);
  assert.equal(r.exitCode, 0, r.stderr);
  const found = (JSON.parse(r.stdout) as { class: string; signature: string; time: string; cpu: number; pid: number; from: number }[]).map((e) => [e.from, e.time, e.cpu, e.pid, e.class, e.signature]);
  assert.deepEqual(found, [
    // Four CPUs abort their victim allocation, each with its dump of the victim cache.
    [34, '2819.068997', 14, 29, 'victim-starvation', 'Abort victim alloc'],
    [44, '2819.081708', 16, 30, 'victim-starvation', 'Abort victim alloc'],
    [54, '2819.101391', 18, 31, 'victim-starvation', 'Abort victim alloc'],
    [69, '2839.327457', 12, 28, 'victim-starvation', 'Abort victim alloc'],
    [85, '3367.835389', 0, 1, 'rq-lock-deadlock', DEADLOCK],
    // The double free as two CPUs saw it: the filler's WARNING and kvictim_flushd's.
    [131, '37722.177024', 20, 31, 'victim-double-free', 'PCACHE_BUG_ON_VICTIM(!VictimAllocated(v) || !VictimUsable(v) || !VictimFlushed(v) || VictimWriteback(v) || VictimLocked(v)) in __put_victim_nolist'],
    [140, '37722.265842', 10, 20, 'victim-double-free', 'PCACHE_BUG_ON_VICTIM(victim_ref_count(v) == 0) in __victim_flush_func'],
    [171, '531.624474', 10, 20, 'victim-double-free', 'NULL pointer dereference in __put_victim_nolist'],
    [207, '1671.661424', 20, 31, 'victim-double-free', 'BUG: failure at managers/processor/pcache/victim.c:610/victim_finish_insert() in victim_finish_insert'],
    [247, '683.748135', 4, 39, 'rq-lock-deadlock', DEADLOCK],
    [283, '963.304865', 10, 20, 'worker-stuck', 'watchdog: worker stucked in fit_send_reply_with_rdma_write_with_imm (op=0x20000000)'],
    [326, '1185.835707', 14, 22, 'cqe-timeout', 'Fail to to get the CQE from send_cq after 20 seconds!'],
    [375, '187736.669027', 10, 20, 'worker-stuck', 'watchdog: worker stucked in fit_send_message_with_rdma_write_with_imm_request (op=0x30000000)'],
  ]);
  // A missing file is one line and exit 2.
  const missing = await cli(['classify', join(root, 'no-such.log')]);
  assert.equal(missing.exitCode, 2);
  assert.match(missing.stderr, /no-such\.log: cannot read: ENOENT/);
  // A device is refused at once, not read forever.
  const device = await cli(['classify', '/dev/zero']);
  assert.equal(device.exitCode, 2);
  assert.match(device.stderr, /\/dev\/zero: not a regular file/);
});

const EXEC_NO_FAULTS = ['sweep={}', 'zip=[]', 'faults=[]', 'gates=[]'];

/** One failing trial of each class a model or a real command produces, found among the seeds of a small sweep. */
const CASES: { class: string; file: string; sets: string[]; where?: string }[] = [
  { class: 'victim-double-free', file: 'experiments/victim-double-free.yaml', sets: ['sweep={kernel.victimNohitFix: [false]}', 'gates=[]'] },
  { class: 'victim-starvation', file: 'experiments/victim-starvation.yaml', sets: [] },
  { class: 'rq-lock-deadlock', file: 'experiments/rq-lock-deadlock.yaml', sets: ["sweep={kernel.piLockIrqsaveFix: [false], storm: ['100 kHz']}", 'gates=[]'] },
  { class: 'cqe-timeout', file: 'test/fixtures/nightly/remote.yaml', sets: ['kernel.fit.polling=per-send'] },
  { class: 'worker-stuck', file: 'experiments/nowait-vs-persend.yaml', sets: ['sweep={kernel.fit.polling: [per-send, nowait], drop: [0.003]}'], where: "kernel.fit.polling == 'nowait'" },
  { class: 'hung-task', file: 'experiments/xpmem-recall-hang.yaml', sets: ['sweep={workload.ranks: [32], kernel.xpmemMaxaddrClamp: [false]}', 'gates=[]'] },
  { class: 'xpmem', file: 'experiments/segment-destroy.yaml', sets: ['sweep={faults.0.action: [remove]}'] },
  { class: 'mpi', file: 'experiments/segment-destroy.yaml', sets: ['sweep={faults.0.action: [exit]}'] },
  // A script expecting other results than the driver's: steps 2 and 3 differ, one report.
  { class: 'script', file: 'test/fixtures/xpmem/errno.yaml', sets: ['sweep={}', 'zip=[]', 'workload.script=[{rank: 0, call: make, vaddr: 0x10000, size: 65536, as: s}, {rank: 0, call: remove, segid: 7}, {rank: 1, call: get, segid: $s, expect: EINVAL}]'] },
  // P's RPC timeout below the 20 s the memory node's worker polls a lost CQE for.
  { class: 'rpc-timeout', file: 'test/fixtures/nightly/remote.yaml', sets: ['kernel.fit.polling=per-send', 'kernel.fit.rpcTimeout=1 s'] },
  // A one-set pcache of four ways, eight threads filling it, and LegoOS's 30 s abort made 1 us:
  // a fifth thread finds every line of the set locked by a fill in flight.
  { class: 'pcache-starvation', file: 'test/fixtures/nightly/remote.yaml', sets: ['hardware.pcache.size=16 KiB', 'hardware.pcache.ways=4', 'workload.threads=8', 'kernel.pcache.allocTimeout=1 us'] },
  // A real command (exec): its output and its end, read with the same catalog.
  { class: 'timeout', file: 'experiments/exec-example.yaml', sets: [...EXEC_NO_FAULTS, 'workload.timeout=300 ms'] },
  { class: 'signal', file: 'experiments/exec-example.yaml', sets: [...EXEC_NO_FAULTS, 'faults=[{kind: kill, signal: SIGKILL, from: 200 ms, to: 200 ms}]'] },
  { class: 'assertion', file: 'experiments/exec-example.yaml', sets: [...EXEC_NO_FAULTS, `workload.command=[node, -e, "require('assert').equal(1, 2, 'one is not two')"]`] },
  { class: 'exit-status', file: 'experiments/exec-example.yaml', sets: [...EXEC_NO_FAULTS, 'workload.command=[node, -e, "process.exit(3)"]'] },
  { class: 'sanitizer', file: 'experiments/exec-example.yaml', sets: [...EXEC_NO_FAULTS, `workload.command=[sh, -c, 'echo "==7==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010" >&2; exit 1']`] },
];

test("a model's or a real command's failing trial's console classifies back to the class and signature it recorded", async () => {
  await loadPlugins();
  for (const c of CASES) {
    const plan = loadExperiment(join(root, c.file), { sets: c.sets, where: c.where });
    let record;
    for (let seed = 1; seed <= 40 && !record; seed++) {
      const r = runTrial({ cell: plan.cells[0], seed, replayBase: replayBase(plan) });
      if (r.failure?.class === c.class) record = r;
    }
    assert.ok(record?.failure, `${c.class}: no failing trial in 40 seeds`);
    const episodes = classify(record.failure.log);
    assert.ok(episodes.length > 0, `${c.class}: nothing found in\n${record.failure.log}`);
    assert.deepEqual([...new Set(episodes.map((e) => e.class))], [c.class], `${c.class}: ${JSON.stringify(episodes.map((e) => [e.class, e.signature]))}`);
    assert.ok(episodes.some((e) => e.signature === record.failure!.signature), `${c.class}: the trial recorded ${record.failure.signature}; found ${episodes.map((e) => e.signature).join('; ')}`);
    assert.equal(episodes[0].outcome, record.outcome);
  }
  // Every class a model or the exec workload fails with has its case here.
  const covered = new Set(CASES.map((c) => c.class));
  const system = failureClasses.all().filter((c) => c.madeBy !== 'any kernel').map((c) => c.kind);
  assert.deepEqual(system.filter((k) => !covered.has(k)), []);
});

test('a log of generic kernel reports: an oops, a panic and a WARNING, one episode a CPU, prose ignored', () => {
  const log = [
    'We saw this after the upgrade:',
    '[  10.000001] CPU: 3 PID: 77 Comm: kworker/3:1',
    '[  10.000002] BUG: unable to handle kernel paging request at ffffc90000000000',
    '[  10.000003] IP: [<ffffffff81234567>] ext4_readdir+0x12/0x300',
    '[  10.000004] Oops: 0000 [#1] SMP',
    '[  10.000005] WARNING: CPU: 5 PID: 9 at fs/inode.c:42 iput+0x20/0x40',
    '[  10.000006] Call Trace:',
    '[  10.000007] [<ffffffff81111111>] iput+0x20/0x40',
    '',
    'and then the machine died:',
    '[  11.000000] Kernel panic - not syncing: Fatal exception',
  ].join('\n');
  assert.deepEqual(classify(log).map((e) => [e.from, e.class, e.cpu, e.pid, e.signature]), [
    [2, 'oops', 3, 77, 'BUG: unable to handle kernel paging request in ext4_readdir'],
    [6, 'warning', 5, 9, 'WARNING at fs/inode.c:42 in iput'],
    [11, 'panic', null, null, 'Kernel panic - not syncing: Fatal exception'],
  ]);
});
