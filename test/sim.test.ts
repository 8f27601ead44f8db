// The simulation kernel: event order, named random streams, processes, locks, stalls, limits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventQueue } from '../harness/sim/queue.js';
import { Rng } from '../harness/sim/rng.js';
import { Simulation, type Body } from '../harness/sim/simulation.js';
import { Signal, SpinLock, Store } from '../harness/sim/sync.js';

const limits = { timeNs: 1e12, events: 1e7 };

test('the queue pops by time, and events at the same time in the order they were pushed', () => {
  const q = new EventQueue(2);
  const rng = new Rng(7, 'q');
  const pushed: [number, number][] = [];
  for (let i = 0; i < 5000; i++) {
    const t = rng.int(50);
    q.push(t, 0, i);
    pushed.push([t, i]);
  }
  const expected = [...pushed].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const got: [number, number][] = [];
  while (q.size > 0) {
    q.pop();
    got.push([q.poppedTime, q.poppedArg]);
  }
  assert.deepEqual(got, expected);
});

test('a named stream does not depend on which other streams exist', () => {
  const alone = new Simulation(42, limits).rng('workload');
  const crowded = new Simulation(42, limits);
  crowded.rng('fault');
  const withFault = crowded.rng('workload');
  crowded.rng('fault').random();
  const a = Array.from({ length: 8 }, () => alone.random());
  const b = Array.from({ length: 8 }, () => withFault.random());
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, Array.from({ length: 8 }, () => new Simulation(43, limits).rng('workload').random()));
});

test('processes sleep, hand items through a store and finish the trial', () => {
  const sim = new Simulation(1, limits);
  const store = new Store<number>(sim, 'box');
  const got: [number, number][] = [];
  sim.spawn('producer', (function* (): Body {
    for (let i = 0; i < 3; i++) {
      yield 100;
      store.put(i);
    }
  })());
  sim.spawn('consumer', (function* (): Body {
    for (let i = 0; i < 3; i++) got.push([(yield store) as number, sim.now]);
    sim.finish();
  })());
  const r = sim.run();
  assert.equal(r.outcome, 'ok');
  assert.deepEqual(got, [[0, 100], [1, 200], [2, 300]]);
});

test('a spinlock is FIFO and records whether the holder had interrupts off', () => {
  const sim = new Simulation(1, limits);
  const lock = new SpinLock(sim, 'rq->lock');
  const order: string[] = [];
  const seen: boolean[] = [];
  const user = (name: string) =>
    function* (): Body {
      yield 1;
      yield lock;
      seen.push(lock.holderIrqsOff);
      order.push(name);
      yield 10;
      lock.release();
    };
  const a = sim.spawn('a', user('a')());
  const b = sim.spawn('b', user('b')());
  b.irqsOff = true;
  a.irqsOff = false;
  sim.run();
  assert.deepEqual(order, ['a', 'b']);
  assert.deepEqual(seen, [false, true]);
});

test('a wait with a timeout resumes with false when it expires', () => {
  const sim = new Simulation(1, limits);
  const never = new Signal(sim, 'never');
  let value: unknown;
  sim.spawn('w', (function* (): Body {
    value = yield sim.within(20e9, never);
  })());
  sim.run();
  assert.equal(value, false);
  assert.equal(sim.now, 20e9);
});

test('two processes waiting on each other are a stall, reported as a hang naming both', () => {
  const sim = new Simulation(1, limits);
  const l1 = new SpinLock(sim, 'A');
  const l2 = new SpinLock(sim, 'B');
  const grab = (first: SpinLock, second: SpinLock) =>
    function* (): Body {
      yield first;
      yield 5000;
      yield second;
    };
  sim.spawn('cpu0', grab(l1, l2)());
  sim.spawn('cpu1', grab(l2, l1)());
  const r = sim.run();
  assert.equal(r.outcome, 'hang');
  assert.equal(r.failure?.class, 'stall');
  assert.match(r.failure!.log, /cpu0 waits on spinlock B held by cpu1/);
  assert.match(r.failure!.log, /cpu1 waits on spinlock A held by cpu0/);
  assert.match(r.failure!.log, /^\[    0\.000005\] /m);
});

test('the time limit and the event budget stop a trial that never ends', () => {
  const forever = (sim: Simulation) =>
    sim.spawn('spin', (function* (): Body {
      for (;;) yield 1000;
    })());
  const t = new Simulation(1, { timeNs: 1e6, events: 1e9 });
  forever(t);
  assert.equal(t.run().failure?.signature, 'limit:time');
  const e = new Simulation(1, { timeNs: 1e12, events: 500 });
  forever(e);
  const r = e.run();
  assert.equal(r.failure?.signature, 'limit:events');
  assert.equal(r.events, 500);
});

test('the same seed gives the same digest; another seed another one', () => {
  const run = (seed: number) => {
    const sim = new Simulation(seed, limits);
    const rng = sim.rng('x');
    sim.spawn('p', (function* (): Body {
      for (let i = 0; i < 100; i++) yield rng.exponentialNs(1000);
    })());
    return sim.run().digest;
  };
  assert.equal(run(5), run(5));
  assert.notEqual(run(5), run(6));
});

test("a timeout ends only the wait it was set for, not a later one", () => {
  const sim = new Simulation(1, limits);
  const quick = new Signal(sim, 'quick');
  const box = new Store<string>(sim, 'box');
  let first: unknown, second: unknown;
  sim.spawn('w', (function* (): Body {
    first = yield sim.within(1000, quick); // satisfied at 10, its timeout event still pending at 1000
    second = yield box; // no timeout: must not be ended at 1000
  })());
  sim.spawn('f', (function* (): Body {
    yield 10;
    quick.fire(true);
    yield 5000;
    box.put('item');
  })());
  sim.run();
  assert.equal(first, true);
  assert.equal(second, 'item');
});

test('latencies recorded in runs of equal values give the histogram each sample would', async () => {
  const hdr = await import('hdr-histogram-js');
  const { Latencies } = await import('../harness/sim/latencies.js');
  const l = new Latencies();
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3.6e12, numberOfSignificantValueDigits: 3 });
  const rng = new Rng(3, 'lat');
  for (let i = 0; i < 20000; i++) {
    // Runs of repeats, as simulated latencies come, mixed with singletons and out-of-range values.
    const v = rng.int(4) === 0 ? rng.int(5_000_000) : [1200, 1200.4, 98_000, 0, 5e12][rng.int(5)];
    l.record(v);
    h.recordValue(Math.min(3.6e12, Math.max(1, Math.round(v))));
  }
  assert.equal(l.count, h.totalCount);
  assert.deepEqual(l.metrics('x'), { xMeanUs: h.mean / 1000, xP99Us: h.getValueAtPercentile(99) / 1000 });
  l.record(7);
  assert.equal(l.count, h.totalCount + 1);
});
