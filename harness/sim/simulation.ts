// The discrete-event kernel: an integer-nanosecond clock, the event queue, named random
// streams, generator processes and the trace digest. A trial ends when the workload calls
// finish(), a model calls fail(), a limit is reached, or nothing is left to happen while a
// process still waits (a stall, reported as a hang naming who waits on what).
import { EventQueue } from './queue.js';
import { Rng } from './rng.js';
import { TraceDigest } from './digest.js';
import { Console } from './console.js';
import type { Tracer } from './trace.js';

export type Outcome = 'ok' | 'error' | 'hang' | 'crash';

export interface Failure {
  outcome: Exclude<Outcome, 'ok'>;
  class: string;
  signature: string;
  atNs: number;
  log: string;
}

/** Something a process can block on. wait() either satisfies at once (returns true, having set
 *  p.value) or remembers p and later calls sim.wake(p, value); cancel() forgets p on a timeout. */
export interface Waitable {
  wait(p: Process): boolean;
  cancel(p: Process): void;
  describe(): string;
}

/** A process yields a delay in nanoseconds, or a Waitable. */
export type Step = number | Waitable;
export type Body = Generator<Step, void, unknown>;
/** A sub-routine of a process, run with `yield*`, returning T. */
export type Co<T = void> = Generator<Step, T, unknown>;

type State = 'ready' | 'sleeping' | 'waiting' | 'done';

export class Process {
  state: State = 'ready';
  /** What the last wait resolved to: the waitable's value, true, or false on timeout. */
  value: unknown = undefined;
  waitingOn: Waitable | null = null;
  wakeAt = -1;
  deadline = -1;
  /** Whether interrupts are disabled on this process's CPU; spinlocks record it at acquire. */
  irqsOff = false;
  /** The open trace span of its current wait, when a replay traces. */
  traceWait = -1;
  constructor(readonly id: number, readonly name: string, readonly body: Body, readonly daemon: boolean) {}
}

export interface Limits {
  timeNs: number;
  events: number;
}

export interface RunResult {
  outcome: Outcome;
  failure: Failure | null;
  events: number;
  endNs: number;
  digest: string;
}

const OP_RESUME = 0;
const OP_TIMEOUT = 1;

/** The deadlines of the waits set with one timeout: they fall due in the order they were set. */
interface Deadlines {
  at: number[];
  pid: number[];
  head: number;
  /** Whether the queue holds this list's event, for its earliest deadline. */
  armed: boolean;
  /** Set while its event runs: a wait set then is armed after, not before an earlier deadline. */
  firing: boolean;
}

export class Simulation {
  now = 0;
  events = 0;
  readonly queue = new EventQueue();
  readonly digest = new TraceDigest();
  readonly console: Console;
  private handlers: ((arg: number) => void)[] = [];
  private procs: Process[] = [];
  private streams = new Map<string, Rng>();
  private pendingTimeout = -1;
  // Most waits end before their timeout (a CQE polled, a reply received): one queue event per
  // wait would leave millions of dead events in the heap. One FIFO per timeout length and one
  // event per FIFO instead; an entry whose wait ended is skipped when reached.
  private deadlineLists: Deadlines[] = [];
  private deadlineOf = new Map<number, number>();
  private callbacks: ((() => void) | undefined)[] = [];
  private freeCallbacks: number[] = [];
  private readonly opCallback: number;
  private stopped = false;
  private failure: Failure | null = null;
  /** Set by a traced replay before the system is built; undefined in every other trial. */
  tracer: Tracer | undefined;
  /** The process being stepped, for models that trace on its track. */
  current: Process | null = null;

  constructor(readonly seed: number, readonly limits: Limits) {
    this.console = new Console(this);
    this.defineOp((pid) => this.onResume(pid));
    this.defineOp((pid) => this.onTimeout(pid));
    this.opCallback = this.defineOp((slot) => {
      const fn = this.callbacks[slot]!;
      this.callbacks[slot] = undefined;
      this.freeCallbacks.push(slot);
      fn();
    });
  }

  /** Runs fn after delayNs: for one-off deliveries (a message on the wire) that carry data. */
  after(delayNs: number, fn: () => void): void {
    const slot = this.freeCallbacks.pop() ?? this.callbacks.length;
    this.callbacks[slot] = fn;
    this.queue.push(this.now + delayNs, this.opCallback, slot);
  }

  /** Registers a handler and returns its opcode: models schedule plain events with it. */
  defineOp(handler: (arg: number) => void): number {
    this.handlers.push(handler);
    return this.handlers.length - 1;
  }

  schedule(delayNs: number, op: number, arg: number): void {
    this.queue.push(this.now + delayNs, op, arg);
  }

  rng(name: string): Rng {
    let r = this.streams.get(name);
    if (!r) this.streams.set(name, (r = new Rng(this.seed, name)));
    return r;
  }

  spawn(name: string, body: Body, opts: { daemon?: boolean } = {}): Process {
    const p = new Process(this.procs.length, name, body, opts.daemon ?? false);
    this.procs.push(p);
    this.queue.push(this.now, OP_RESUME, p.id);
    return p;
  }

  /** Makes the next yielded Waitable give up after timeoutNs; the process then sees value false. */
  within<W extends Waitable>(timeoutNs: number, w: W): W {
    this.pendingTimeout = timeoutNs;
    return w;
  }

  wake(p: Process, value: unknown): void {
    if (p.traceWait >= 0) this.endWait(p);
    p.state = 'ready';
    p.deadline = -1;
    p.value = value;
    p.waitingOn = null;
    this.queue.push(this.now, OP_RESUME, p.id);
  }

  finish(): void {
    this.stopped = true;
  }

  fail(f: Omit<Failure, 'atNs' | 'log'>): void {
    if (this.stopped) return;
    this.failure = { ...f, atNs: this.now, log: this.console.text() };
    this.tracer?.instant(undefined, f.signature, 'failure', this.now, { outcome: f.outcome, class: f.class });
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  run(): RunResult {
    const stop = this.dispatch(this.limits.events);
    if (stop === 'idle') this.onIdle();
    else if (stop === 'time') this.onLimit(`simulated time limit of ${this.limits.timeNs / 1e9} s reached`, 'limit:time');
    else if (stop === 'events') this.onLimit(`event budget of ${this.limits.events} events exhausted`, 'limit:events');
    const failure = this.failure;
    return { outcome: failure ? failure.outcome : 'ok', failure, events: this.events, endNs: this.now, digest: this.digest.hex() };
  }

  /** The event loop: runs events until stopped, idle, past the time limit or `budget` events in all. */
  dispatch(budget: number): 'stopped' | 'idle' | 'time' | 'events' {
    const q = this.queue, handlers = this.handlers, digest = this.digest;
    const timeNs = this.limits.timeNs;
    while (!this.stopped) {
      if (q.size === 0) return 'idle';
      if (q.peekTime() > timeNs) return 'time';
      if (this.events >= budget) return 'events';
      q.take();
      this.now = q.poppedTime;
      this.events++;
      digest.addEvent(q.poppedTime, q.poppedOp, q.poppedArg);
      handlers[q.poppedOp](q.poppedArg);
      q.settle();
    }
    return 'stopped';
  }

  /** Processes blocked on something, as "name waits on what" lines. */
  waiters(): string[] {
    return this.procs.filter((p) => p.state === 'waiting').map((p) => `${p.name} waits on ${p.waitingOn!.describe()}`);
  }

  private onResume(pid: number): void {
    const p = this.procs[pid];
    if (p.state === 'ready' || (p.state === 'sleeping' && p.wakeAt === this.now)) this.step(p);
  }

  private armTimeout(p: Process, timeoutNs: number): void {
    let i = this.deadlineOf.get(timeoutNs);
    if (i === undefined) {
      i = this.deadlineLists.push({ at: [], pid: [], head: 0, armed: false, firing: false }) - 1;
      this.deadlineOf.set(timeoutNs, i);
    }
    const l = this.deadlineLists[i];
    l.at.push(p.deadline);
    l.pid.push(p.id);
    if (!l.armed && !l.firing) {
      l.armed = true;
      this.queue.push(p.deadline, OP_TIMEOUT, i);
    }
  }

  /** Times out every wait of list i due now, drops the entries of waits that ended, and arms the
   *  list for its next live deadline. */
  private onTimeout(i: number): void {
    const l = this.deadlineLists[i];
    l.armed = false;
    l.firing = true;
    while (l.head < l.at.length && !this.stopped) {
      const at = l.at[l.head];
      const p = this.procs[l.pid[l.head]];
      const live = p.state === 'waiting' && p.deadline === at;
      if (live && at > this.now) break;
      l.head++;
      if (!live) continue;
      if (p.traceWait >= 0) this.endWait(p, { timedOut: true });
      p.waitingOn!.cancel(p);
      p.waitingOn = null;
      p.value = false;
      this.step(p);
    }
    l.firing = false;
    if (l.head > 4096 && l.head * 2 > l.at.length) {
      l.at.splice(0, l.head);
      l.pid.splice(0, l.head);
      l.head = 0;
    }
    if (l.head < l.at.length) {
      l.armed = true;
      this.queue.push(l.at[l.head], OP_TIMEOUT, i);
    }
  }

  private endWait(p: Process, args?: Record<string, unknown>): void {
    this.tracer?.end(p.traceWait, this.now, args);
    p.traceWait = -1;
  }

  private step(p: Process): void {
    this.current = p;
    for (;;) {
      const r = p.body.next(p.value);
      p.value = undefined;
      if (this.stopped) return;
      if (r.done) {
        p.state = 'done';
        return;
      }
      const y = r.value;
      if (typeof y === 'number') {
        if (this.tracer && y > 0) this.tracer.span(p.name, 'busy', 'run', this.now, this.now + y);
        p.state = 'sleeping';
        p.wakeAt = this.now + y;
        this.queue.push(p.wakeAt, OP_RESUME, p.id);
        return;
      }
      const timeout = this.pendingTimeout;
      this.pendingTimeout = -1;
      if (y.wait(p)) continue;
      p.state = 'waiting';
      p.waitingOn = y;
      if (this.tracer) p.traceWait = this.tracer.begin(p.name, y.describe(), 'wait', this.now);
      // A deadline belongs to one wait: a stale one must not end a later wait.
      p.deadline = timeout >= 0 ? this.now + timeout : -1;
      if (timeout >= 0) this.armTimeout(p, timeout);
      return;
    }
  }

  private onIdle(): void {
    const stuck = this.procs.filter((p) => p.state === 'waiting' && !p.daemon);
    if (stuck.length === 0) return;
    for (const line of this.waiters()) this.console.log(line);
    const on = [...new Set(stuck.map((p) => p.waitingOn!.describe().replace(/\d+/g, 'N')))].sort();
    this.fail({ outcome: 'hang', class: 'stall', signature: `stall: ${on.join(', ')}` });
  }

  private onLimit(why: string, signature: string): void {
    this.console.log(why);
    for (const line of this.waiters()) this.console.log(line);
    this.fail({ outcome: 'hang', class: 'limit', signature });
  }
}
