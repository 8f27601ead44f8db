// The LegoOS model against the testbed's measurements (legoos.md, the 2018 log), with one set of
// profile values for every point and, per point, the kernel build the measurement was taken on.
// Throughput and latency must fall within 15%, slowdowns within a factor 1.25. A point the model
// does not reach yet is a named gap: the test checks it is still outside, so closing a gap makes
// this test ask for its name to go. The README's calibration table is this test's output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultsweep, tempDir } from '../helpers.js';

interface CellSummary {
  params: Record<string, unknown>;
  outcomes: Record<string, number>;
  metrics: Record<string, { mean: number }>;
}

async function run(args: string[]): Promise<CellSummary[]> {
  const r = await faultsweep(['run', ...args, '--json', '--out', `${tempDir('cal')}/run`]);
  assert.equal(r.exitCode, 0, String(r.stderr));
  const cells = JSON.parse(String(r.stdout)).cells as CellSummary[];
  for (const c of cells) assert.equal(c.outcomes.ok, Object.values(c.outcomes).reduce((a, b) => a + b, 0), `every trial ends ok: ${JSON.stringify(c.params)}`);
  return cells;
}

const metric = (cells: CellSummary[], name: string, where: Record<string, unknown> = {}) => {
  const c = cells.find((c) => Object.entries(where).every(([k, v]) => c.params[k] === v));
  assert.ok(c, `no cell ${JSON.stringify(where)}`);
  assert.ok(c.metrics[name], `no trial reported ${name}`);
  return c.metrics[name].mean;
};

interface Point {
  what: string;
  source: string;
  measured: number;
  model: number;
  unit: string;
  /** Relative error allowed, or a factor for ratios. */
  tolerance: { relative: number } | { factor: number };
  gap?: string;
}

const within = (p: Point) => ('relative' in p.tolerance ? Math.abs(p.model - p.measured) / p.measured <= p.tolerance.relative : Math.max(p.model / p.measured, p.measured / p.model) <= p.tolerance.factor);

/** The April 2018 build: kmalloc'd pcache buffers, the flush handler's lego_copy_to_user. */
const APRIL = ['--set', 'kernel.pcache.kmallocBuffers=true', '--set', 'kernel.memory.flushCopyToUser=true'];
/** A single thread writing a third of the pages it misses in a region far beyond the pcache: a
 *  flush for every three misses, as in the 8 April "large malloc" runs (262,227 of 786,575). */
const LARGE_MALLOC = ['experiments/remote-access.yaml', '--seeds', '2', '--where', 'workload.threads == 1', '--set', 'workload.writeRatio=0.3333', '--set', 'hardware.pcache.size=16 MiB', ...APRIL];
/** TF MNIST from exec to exit, 4 threads, 128 MB pcache, as on 16 September 2018 (the build
 *  after 7 September), with the preset's 101 steps. */
const MNIST = ['experiments/mnist-pcache.yaml', '--seeds', '1', '--set', 'hardware.pcache.size=128 MiB'];

test('the LegoOS model against every calibration point of the 2018 testbed', async () => {
  const [remote, remoteNowait, aprilPerSend, aprilNowait, mnist, mnistVictim, mnistAugust, remoteEarlyThpool] = await Promise.all([
    run(['experiments/remote-access.yaml', '--seeds', '2', '--set', 'workload.accesses=6000']),
    run(['experiments/remote-access.yaml', '--seeds', '2', '--set', 'workload.accesses=6000', '--set', 'kernel.fit.polling=nowait', '--where', 'workload.threads == 4']),
    run(LARGE_MALLOC),
    run([...LARGE_MALLOC, '--set', 'kernel.fit.polling=nowait']),
    run([...MNIST, '--set', 'sweep={hardware.memory.workers: [1, 4]}']),
    // 4 September: the victim cache against per-set eviction, on that day's build.
    run([...MNIST, '--set', 'sweep={kernel.pcache.eviction: [per-set, victim]}', '--set', 'kernel.pcache.kmallocBuffers=true', '--set', 'kernel.memory.missCopy=true']),
    // 29 August: the victim cache and kmalloc'd buffers, before the TX-buffer memcpy of 31 August,
    // with CONFIG_FIT_SEQUENTIAL_IBAPI on as in that run. The fill path is the fixed one: the run
    // crashed in it right after step 101, which is about the race, not the time a step takes.
    run([...MNIST, '--set', 'sweep={}', '--set', 'kernel.pcache.eviction=victim', '--set', 'kernel.pcache.kmallocBuffers=true', '--set', 'kernel.fit.sequentialIbapi=true']),
    // The thpool's first days, 8 to 13 April 2018: one page_table_lock for all the workers.
    run(['experiments/remote-access.yaml', '--seeds', '2', '--set', 'workload.accesses=6000', '--set', 'kernel.memory.pageTableLock=true', '--where', 'workload.threads == 4']),
  ]);
  const ra = (threads: number, workers: number, cells = remote) => metric(cells, 'accessesPerSec', { 'workload.threads': threads, 'hardware.memory.workers': workers }) / 1000;
  const pct = { relative: 0.15 };
  const slowdown = (cells: CellSummary[], workers: number) => metric(cells, 'slowdown', { 'hardware.memory.workers': workers });
  const TF_GAP = 'the run is too short before its first step: the testbed spent 20 s or more there (45.2 s less 101 steps at the 29 August rate, which debugging options only slowed), the model 4.9 s, and no measurement says where LegoOS spends them';
  const paper = 'legoos.md (OSDI\'18 paper, not re-found)';
  const points: Point[] = [
    { what: 'remote-access, 1 thread, 1 worker', source: paper, measured: 125, model: ra(1, 1), unit: 'K accesses/s', tolerance: pct },
    { what: 'remote-access, 4 threads, 1 worker', source: paper, measured: 202, model: ra(4, 1), unit: 'K accesses/s', tolerance: pct },
    { what: 'remote-access, 4 threads, 2 workers', source: paper, measured: 376, model: ra(4, 2), unit: 'K accesses/s', tolerance: pct },
    {
      what: 'remote-access, 4 threads, 4 workers',
      source: paper,
      measured: 426,
      model: ra(4, 4),
      unit: 'K accesses/s',
      tolerance: pct,
      gap: 'after 13 April 2018 nothing in the model contends between four misses served by four workers; the page_table_lock of the thpool\'s first days would (below), but which build the figure was measured on is not recorded',
    },
    { what: 'pcache miss, per-send polling (8 April build)', source: 'log-04-2018.md, 8 April', measured: 8.657, model: metric(aprilPerSend, 'missLatencyMeanUs'), unit: 'us', tolerance: pct },
    { what: 'pcache miss, fit_nowait (8 April build)', source: 'log-04-2018.md, 8 April', measured: 8.335, model: metric(aprilNowait, 'missLatencyMeanUs'), unit: 'us', tolerance: pct },
    { what: 'pcache flush, per-send polling (8 April build)', source: 'log-04-2018.md, 8 April', measured: 14.14, model: metric(aprilPerSend, 'flushLatencyMeanUs'), unit: 'us', tolerance: pct },
    { what: 'pcache flush, fit_nowait (8 April build)', source: 'log-04-2018.md, 8 April', measured: 13.113, model: metric(aprilNowait, 'flushLatencyMeanUs'), unit: 'us', tolerance: pct },
    {
      what: 'pcache_flush_net in TF MNIST, 1 worker',
      source: 'log-09-2018.md, 16 September (tracing on)',
      measured: 9.891,
      model: metric(mnist, 'flushNetLatencyMeanUs', { 'hardware.memory.workers': 1 }),
      unit: 'us',
      tolerance: pct,
      gap: 'one worker queues behind the remote requests of the steps, which TensorFlow on the testbed did not (41.6 s with 4 workers, 45.2 s with 1)',
    },
    { what: 'pcache_flush_net in TF MNIST, 4 workers', source: 'log-09-2018.md, 16 September (tracing on)', measured: 8.351, model: metric(mnist, 'flushNetLatencyMeanUs', { 'hardware.memory.workers': 4 }), unit: 'us', tolerance: pct },
    // the same process with all memory local, which the slowdown is measured against (the last
    // test shows linux-local runs it in that time)
    { what: 'TF MNIST on Linux, whole run', source: 'log-09-2018.md, 16 September', measured: 13.2, model: metric(mnist, 'runtime', { 'hardware.memory.workers': 1 }) / slowdown(mnist, 1), unit: 's', tolerance: pct },
    {
      what: 'TF MNIST slowdown against Linux, 1 worker',
      source: 'log-09-2018.md, 16 September: 45.2 s / 13.2 s',
      measured: 45.2 / 13.2,
      model: slowdown(mnist, 1),
      unit: 'x',
      tolerance: { factor: 1.25 },
      gap: TF_GAP,
    },
    {
      what: 'TF MNIST slowdown against Linux, 4 workers',
      source: 'log-09-2018.md, 16 September: 41.6 s / 13.2 s',
      measured: 41.6 / 13.2,
      model: slowdown(mnist, 4),
      unit: 'x',
      tolerance: { factor: 1.25 },
      gap: TF_GAP,
    },
    {
      what: 'TF MNIST, 100 steps, 1 worker (29 August build: victim cache, kmalloc\'d buffers, sequential ibapi)',
      source: 'log-08-2018.md, 29 August, run 0829-w14-13: "step = 101 (25.166 sec)" (SEQ_IBAPI on, modeled; DEBUG_SPINLOCK on, not modeled)',
      measured: 25.166,
      model: 100 / metric(mnistAugust, 'stepsPerSec'),
      unit: 's',
      tolerance: pct,
      gap: "with P's RPCs one at a time, as in that run, the model's steps are slower than the testbed's: they load the memory node harder than TensorFlow did, as the one-worker flush_net above says too",
    },
    {
      // What the log measured is seconds; as a share of the run it would carry the start-up the
      // model lacks (above), which eviction does not touch.
      what: 'per-set eviction against the victim cache, TF MNIST (time saved)',
      source: 'log-09-2018.md, 4 September: "For 4 threads MNIST, I saw 3 seconds reduction"',
      measured: 3,
      model: metric(mnistVictim, 'runtime', { 'kernel.pcache.eviction': 'victim' }) - metric(mnistVictim, 'runtime', { 'kernel.pcache.eviction': 'per-set' }),
      unit: 's',
      tolerance: pct,
    },
  ];
  console.log('| what | measured | model | within | source |');
  console.log('|---|---|---|---|---|');
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(3));
  for (const p of points) {
    const tol = 'relative' in p.tolerance ? `${p.tolerance.relative * 100}%` : `x${p.tolerance.factor}`;
    console.log(`| ${p.what} | ${fmt(p.measured)} ${p.unit} | ${fmt(p.model)} ${p.unit} | ${within(p) ? tol : `no (gap: ${p.gap ?? 'none named'})`} | ${p.source} |`);
  }
  // Where the whole run's time goes: start-up is exec to the first step.
  for (const w of [1, 4]) {
    const total = metric(mnist, 'runtime', { 'hardware.memory.workers': w });
    const steps = metric(mnist, 'steps', { 'hardware.memory.workers': w }) / metric(mnist, 'stepsPerSec', { 'hardware.memory.workers': w });
    console.log(`TF MNIST, ${w} worker${w > 1 ? 's' : ''}: ${fmt(total)} s, of which start-up ${fmt(total - steps)} s and 101 steps with exit ${fmt(steps)} s`);
  }
  for (const p of points) {
    if (p.gap) assert.ok(!within(p), `${p.what} is now within tolerance: remove its gap`);
    else assert.ok(within(p), `${p.what}: model ${fmt(p.model)} against ${fmt(p.measured)} ${p.unit}`);
  }

  // Not a calibration point: which build the worker-scaling figures were measured on is not
  // recorded. The log names this lock as the thpool's bottleneck until 13 April.
  console.log(`remote-access, 4 threads, on the thpool of 8 to 13 April 2018 (kernel.memory.pageTableLock): ${[1, 2, 4].map((w) => fmt(ra(4, w, remoteEarlyThpool))).join(' / ')} K accesses/s with 1 / 2 / 4 workers`);

  // NOWAIT saves the reply's poll, about 0.6 us of a worker's 4.95 us per miss: a gain of the
  // order of 0.6 / (4.95 - 0.6) = 14% where one worker is the bottleneck, not a doubling.
  const gain = ra(4, 1, remoteNowait) / ra(4, 1) - 1;
  console.log(`NOWAIT against per-send, 4 threads, 1 worker: ${(gain * 100).toFixed(1)}% more accesses/s`);
  assert.ok(gain > 0.03 && gain < 0.16, `gain ${gain}`);
  for (const cells of [remote, remoteNowait]) assert.ok(ra(4, 1, cells) < ra(4, 2, cells) && ra(4, 2, cells) < ra(4, 4, cells), 'more workers serve more');
});

test('MNIST slowdown falls as the pcache grows, and more memory workers help 4 threads', async () => {
  const cells = await run(['experiments/mnist-pcache.yaml', '--seeds', '1', '--set', 'workload.steps=12', '--set', 'workload.process=training']);
  const slowdown = (size: string, workers: number) => metric(cells, 'slowdown', { 'hardware.pcache.size': size, 'hardware.memory.workers': workers });
  for (const w of [1, 4]) console.log(`workers ${w}: slowdown 128 MiB ${slowdown('128 MiB', w).toFixed(2)}x, 256 MiB ${slowdown('256 MiB', w).toFixed(2)}x, 512 MiB ${slowdown('512 MiB', w).toFixed(2)}x`);
  for (const w of [1, 4]) {
    assert.ok(slowdown('128 MiB', w) > slowdown('256 MiB', w) && slowdown('256 MiB', w) > slowdown('512 MiB', w), `workers ${w}`);
  }
  assert.ok(slowdown('128 MiB', 4) < slowdown('128 MiB', 1));
});

test('on linux-local the same MNIST run is its own baseline (slowdown 1), in the time LegoOS measures its slowdown against', async () => {
  const few = ['experiments/mnist-pcache.yaml', '--seeds', '1', '--set', 'workload.steps=3', '--set', 'sweep={}'];
  const [[linux], [lego]] = await Promise.all([run([...few, '--set', 'hardware={profile: linux-local}']), run([...few, '--set', 'hardware.pcache.size=128 MiB'])]);
  const s = linux.metrics.slowdown.mean;
  assert.ok(s >= 1 && s < 1.01, `slowdown ${s}`);
  const local = lego.metrics.runtime.mean / lego.metrics.slowdown.mean;
  assert.ok(Math.abs(local - linux.metrics.runtime.mean) / linux.metrics.runtime.mean < 0.01, `LegoOS's local time ${local} s, linux-local ${linux.metrics.runtime.mean} s`);
  assert.ok(lego.metrics.slowdown.mean > 1.1);
});
