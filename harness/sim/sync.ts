// Things processes block on: spinlocks (which remember whether the holder had interrupts off),
// one-shot signals, FIFO stores (a worker pool's request queue), wait queues and barriers.
import type { Process, Simulation, Waitable } from './simulation.js';

/** A ticket spinlock: waiters get it in arrival order. `yield lock` acquires it. */
export class SpinLock implements Waitable {
  holder: Process | null = null;
  /** Whether the holder took it with interrupts disabled (spin_lock_irqsave). */
  holderIrqsOff = false;
  private waiters: Process[] = [];
  private traceHold = -1;

  constructor(private readonly sim: Simulation, readonly name: string) {}

  wait(p: Process): boolean {
    if (this.holder === null) {
      this.take(p);
      p.value = true;
      return true;
    }
    this.waiters.push(p);
    return false;
  }

  cancel(p: Process): void {
    removeFrom(this.waiters, p);
  }

  release(): void {
    if (this.traceHold >= 0) this.sim.tracer?.end(this.traceHold, this.sim.now);
    this.traceHold = -1;
    const next = this.waiters.shift();
    this.holder = null;
    if (next) {
      this.take(next);
      this.sim.wake(next, true);
    }
  }

  describe(): string {
    return `spinlock ${this.name} held by ${this.holder?.name ?? 'nobody'}`;
  }

  private take(p: Process): void {
    this.holder = p;
    this.holderIrqsOff = p.irqsOff;
    // A track per lock: holds of several locks by one process need not nest.
    if (this.sim.tracer) this.traceHold = this.sim.tracer.begin(`lock ${this.name}`, `held by ${p.name}`, 'lock', this.sim.now);
  }
}

/** Fires once; every waiter, present or future, sees the value it fired with. */
export class Signal<T = unknown> implements Waitable {
  fired = false;
  value: T | undefined;
  private waiters: Process[] = [];

  constructor(private readonly sim: Simulation, readonly name: string) {}

  fire(value: T): void {
    if (this.fired) return;
    this.fired = true;
    this.value = value;
    for (const p of this.waiters) this.sim.wake(p, value);
    this.waiters = [];
  }

  wait(p: Process): boolean {
    if (!this.fired) {
      this.waiters.push(p);
      return false;
    }
    p.value = this.value;
    return true;
  }

  cancel(p: Process): void {
    removeFrom(this.waiters, p);
  }

  describe(): string {
    return `signal ${this.name}`;
  }
}

/** A FIFO of items; `yield store` takes the oldest, waiting if there is none. */
export class Store<T> implements Waitable {
  private items: T[] = [];
  private head = 0;
  private getters: Process[] = [];

  constructor(private readonly sim: Simulation, readonly name: string) {}

  get length(): number {
    return this.items.length - this.head;
  }

  put(item: T): void {
    const g = this.getters.shift();
    if (g) this.sim.wake(g, item);
    else this.items.push(item);
  }

  wait(p: Process): boolean {
    if (this.head === this.items.length) {
      this.getters.push(p);
      return false;
    }
    p.value = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  cancel(p: Process): void {
    removeFrom(this.getters, p);
  }

  describe(): string {
    return `store ${this.name}`;
  }
}

/** A reusable barrier: the last thread to arrive wakes the others (the caller models the wake, e.g. a futex). */
export class Barrier {
  /** How many times every party has met here. */
  rounds = 0;
  private arrived = 0;
  private gate: Signal;
  constructor(private readonly sim: Simulation, readonly parties: number) {
    this.gate = new Signal(sim, 'step barrier');
  }
  /** The gate to wait at, or undefined for the last to arrive, who must release() the rest. */
  arrive(): Signal | undefined {
    return ++this.arrived < this.parties ? this.gate : undefined;
  }
  release(): void {
    const g = this.gate;
    this.arrived = 0;
    this.rounds++;
    this.gate = new Signal(this.sim, 'step barrier');
    g.fire(true);
  }
}

/** Processes parked until the next wakeAll(); each re-checks its condition when woken. */
export class WaitQueue implements Waitable {
  private waiters: Process[] = [];

  constructor(private readonly sim: Simulation, readonly name: string) {}

  wakeAll(): void {
    if (this.waiters.length === 0) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const p of ws) this.sim.wake(p, true);
  }

  wait(p: Process): boolean {
    this.waiters.push(p);
    return false;
  }

  cancel(p: Process): void {
    removeFrom(this.waiters, p);
  }

  describe(): string {
    return `wait queue ${this.name}`;
  }
}

function removeFrom(list: Process[], p: Process): void {
  const i = list.indexOf(p);
  if (i >= 0) list.splice(i, 1);
}
