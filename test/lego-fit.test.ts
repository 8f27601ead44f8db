// FIT polling on the memory node: CONFIG_FIT_NOWAIT against per-send polling, without and with
// lost CQEs (experiments/nowait-vs-persend.yaml and the testbed profile's numbers).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultsweep, replayArgs, tempDir } from './helpers.js';

interface CellSummary {
  params: Record<string, unknown>;
  trials: number;
  outcomes: Record<string, number>;
  failureRate: { rate: number };
  metrics: Record<string, { mean: number }>;
  failures: { signature: string; outcome: string; count: number; replay: string }[];
}

async function run(args: string[]): Promise<CellSummary[]> {
  const r = await faultsweep(['run', ...args, '--json', '--out', `${tempDir('fit')}/run`]);
  assert.ok(r.exitCode === 0 || r.exitCode === 1, String(r.stderr));
  return JSON.parse(String(r.stdout)).cells as CellSummary[];
}

const cell = (cells: CellSummary[], want: Record<string, unknown>) => cells.find((c) => Object.entries(want).every(([k, v]) => c.params[k] === v))!;

test('without drops nowait serves more remote requests than per-send, by the poll it saves', async () => {
  // 4 threads on one memory worker: per miss the worker spends thpoolTime + handlerTime + postTime
  // (1.9 + 2.2 + 0.25 us in the profile), and per send also the wait for its reply's CQE and a
  // poll (cqeDelay 0.3 + jitter 0.2 + pollCost 0.1 us). NOWAIT keeps all but the batched poll.
  const cells = await run(['experiments/remote-access.yaml', '--seeds', '3', '--set', 'workload.accesses=3000', '--set', 'sweep={kernel.fit.polling: [per-send, nowait]}', '--set', 'exclude=[]', '--set', 'workload.threads=4']);
  const perSend = cell(cells, { 'kernel.fit.polling': 'per-send' }).metrics.remoteRequestsPerSec.mean;
  const nowait = cell(cells, { 'kernel.fit.polling': 'nowait' }).metrics.remoteRequestsPerSec.mean;
  const perSendBound = 1e9 / (1900 + 2200 + 250 + 300 + 200 + 100);
  const nowaitBound = 1e9 / (1900 + 2200 + 250 + 100 / 12);
  console.log(`remote requests/s: per-send ${perSend.toFixed(0)} (one worker's bound ${perSendBound.toFixed(0)}), nowait ${nowait.toFixed(0)} (bound ${nowaitBound.toFixed(0)})`);
  assert.ok(Math.abs(perSend - perSendBound) / perSendBound < 0.05, 'per-send is bound by the worker polling each reply');
  assert.ok(Math.abs(nowait - nowaitBound) / nowaitBound < 0.05, 'nowait is bound by the worker without the wait');
});

test('with the page_table_lock of 8 to 13 April 2018 the workers take turns: four serve no more than the lock allows, one as many as without it', async () => {
  const cells = await run(['experiments/remote-access.yaml', '--seeds', '2', '--set', 'workload.accesses=2000', '--set', 'sweep={hardware.memory.workers: [1, 4], kernel.memory.pageTableLock: [false, true]}', '--set', 'exclude=[]', '--set', 'workload.threads=4']);
  const rate = (workers: number, lock: boolean) => cell(cells, { 'hardware.memory.workers': workers, 'kernel.memory.pageTableLock': lock }).metrics.accessesPerSec.mean;
  // the whole handler (handlerTime, 2.2 us) under the lock: at most one miss every 2.2 us
  const lockBound = 1e9 / 2200;
  console.log(`accesses/s: 1 worker ${rate(1, false).toFixed(0)} / ${rate(1, true).toFixed(0)}, 4 workers ${rate(4, false).toFixed(0)} / ${rate(4, true).toFixed(0)} (the lock's bound ${lockBound.toFixed(0)})`);
  assert.ok(Math.abs(rate(1, true) - rate(1, false)) / rate(1, false) < 0.01, 'one worker never waits for the lock');
  assert.ok(rate(4, true) < 0.95 * rate(4, false), 'four workers wait for it');
  assert.ok(rate(4, true) <= lockBound * 1.01, 'and serve no more than it allows');
});

test('with CONFIG_FIT_SEQUENTIAL_IBAPI four threads miss one at a time: no faster than one thread, which the lock does not slow', async () => {
  const cells = await run(['experiments/remote-access.yaml', '--seeds', '2', '--set', 'workload.accesses=2000', '--set', 'sweep={workload.threads: [1, 4], kernel.fit.sequentialIbapi: [false, true]}', '--set', 'exclude=[]', '--set', 'hardware.memory.workers=4']);
  const rate = (threads: number, seq: boolean) => cell(cells, { 'workload.threads': threads, 'kernel.fit.sequentialIbapi': seq }).metrics.accessesPerSec.mean;
  console.log(`accesses/s: 1 thread ${rate(1, false).toFixed(0)} / ${rate(1, true).toFixed(0)}, 4 threads ${rate(4, false).toFixed(0)} / ${rate(4, true).toFixed(0)} without / with the lock`);
  assert.ok(Math.abs(rate(1, true) - rate(1, false)) / rate(1, false) < 0.01, 'one thread never waits for the lock');
  assert.ok(rate(4, false) > 2 * rate(1, false), 'four threads overlap their misses without it');
  // only P's fault entry (faultTime) overlaps another thread's RPC
  assert.ok(rate(4, true) <= 1.05 * rate(1, false), 'and take turns with it');
});

test('lost CQEs: per-send ends in the CQE-timeout error 20 s after the drop, nowait in the watchdog hang; rates rise with the drop rate', async () => {
  const cells = await run(['experiments/nowait-vs-persend.yaml', '--seeds', '12', '--set', 'sweep={kernel.fit.polling: [per-send, nowait], drop: [0, 0.0003, 0.003]}']);
  for (const polling of ['per-send', 'nowait']) {
    const rates = [0, 0.0003, 0.003].map((drop) => cell(cells, { 'kernel.fit.polling': polling, drop }).failureRate.rate);
    console.log(`${polling}: failure rate at drop 0 / 3e-4 / 3e-3: ${rates.map((r) => r.toFixed(2)).join(' / ')}`);
    assert.equal(rates[0], 0);
    assert.ok(rates[1] <= rates[2] && rates[2] > 0.5, `${polling} rates ${rates}`);
  }
  for (const c of cells.filter((c) => c.params['kernel.fit.polling'] === 'per-send')) {
    assert.equal(c.outcomes.hang + c.outcomes.crash, 0);
    for (const f of c.failures) assert.equal(f.signature, 'Fail to to get the CQE from send_cq after 20 seconds!');
  }
  for (const c of cells.filter((c) => c.params['kernel.fit.polling'] === 'nowait')) {
    assert.equal(c.outcomes.error + c.outcomes.crash, 0);
    for (const f of c.failures) assert.match(f.signature, /^watchdog: worker stucked in /);
  }
  // The replay of a per-send failure shows the drop, then the poll giving up 20 s later.
  const failure = cell(cells, { 'kernel.fit.polling': 'per-send', drop: 0.003 }).failures[0];
  const replay = await faultsweep(replayArgs(failure.replay));
  const log = String(replay.stdout);
  const stamp = (re: RegExp) => Number(/\[\s*(\d+\.\d+)\]/.exec(log.split('\n').find((l) => re.test(l))!)![1]);
  const gap = stamp(/\] \*\*\*\*\* Fail to to get the CQE/) - stamp(/\] \[fault\] dropped the CQE/);
  assert.ok(gap >= 20 && gap < 20.1, `the timeout came ${gap} s after the drop`);
  assert.match(log, /WARNING: CPU: \d+ PID: \d+ at net\/lego\/fit_internal.c:1108 fit_internal_poll_sendcq/);
});

test('with pollTimeoutReturns false a per-send poll keeps spinning: a hang, not an error', async () => {
  const cells = await run(['experiments/nowait-vs-persend.yaml', '--seeds', '4', '--set', 'sweep={kernel.fit.polling: [per-send], drop: [0.003]}', '--set', 'kernel.fit.pollTimeoutReturns=false']);
  const c = cells[0];
  assert.equal(c.outcomes.error, 0);
  assert.ok(c.outcomes.hang >= 3, JSON.stringify(c.outcomes));
});
