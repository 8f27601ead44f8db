// The processor node's scheduler as far as the August 2018 deadlock needs it (kernel/sched/core.c,
// kernel/time/tick-common.c, lib/spinlock_debug.c): a run queue per CPU with its rq->lock, the
// wake-up path that takes it (try_to_wake_up -> ttwu_do_activate -> activate_task), and a timer
// interrupt at HZ on every CPU whose handler, scheduler_tick, takes that CPU's rq->lock.
// kernel.piLockIrqsaveFix (the fix of 30 August) takes p->pi_lock with spin_lock_irqsave first,
// so interrupts are off while rq->lock is held; without it they are on, and a tick that lands
// inside the critical section spins on a lock its own CPU holds. DEBUG_SPINLOCK notices after
// 20 s. The wakee is queued on the waker's CPU, as LegoOS's select_task_rq without load
// balancing does (inferred).
import { failure } from '../../harness/registry.js';
import { RQ_LOCK_DEADLOCK } from '../../failures/lego.js';
import type { Co, Simulation } from '../../harness/sim/simulation.js';
import { Signal, SpinLock } from '../../harness/sim/sync.js';
import { callTrace } from './console.js';
import type { CpuContext } from './cpu.js';

const SPIN_DEBUG_NS = 20e9;

export interface SchedConfig {
  cpus: number;
  hz: number;
  /** ttwu_do_activate's critical section under rq->lock. */
  wakeupTime: number;
  /** scheduler_tick's work under rq->lock. */
  tickTime: number;
  piLockIrqsaveFix: boolean;
}

class Cpu {
  readonly rqLock: SpinLock;
  irqsOff = false;
  /** Ticks that arrived with interrupts off, delivered when they come back on. */
  pending = 0;
  /** Set while a preemptible critical section runs here: an interrupt fires it. */
  preempt: Signal | null = null;
  /** Fired when the interrupt handler running here returns. */
  handlerDone: Signal | null = null;
  constructor(sim: Simulation, readonly id: number) {
    this.rqLock = new SpinLock(sim, `rq->lock of CPU${id}`);
  }
}

export class Scheduler {
  private cpus: Cpu[];
  /** Interrupts by where they landed, for fault coverage. */
  readonly interrupts = { tick: 0, storm: 0, deferred: 0, inCriticalSection: 0 };
  wakeups = 0;
  tickPeriod: number;
  /** Who holds each CPU's rq->lock, for the deadlock report. */
  private holderCtx = new Map<number, CpuContext>();
  tickJitter = 0;

  constructor(private readonly sim: Simulation, private readonly cfg: SchedConfig) {
    this.cpus = Array.from({ length: cfg.cpus }, (_, i) => new Cpu(sim, i));
    this.tickPeriod = Math.round(1e9 / cfg.hz);
    const rng = sim.rng('sched/tick');
    for (const cpu of this.cpus) {
      sim.spawn(`tick/CPU${cpu.id}`, (function* (self: Scheduler): Co {
        // CPUs' ticks are not in phase.
        yield Math.floor(rng.random() * self.tickPeriod);
        for (;;) {
          self.interrupt(cpu.id, 'tick');
          yield self.tickPeriod + (self.tickJitter > 0 ? rng.int(self.tickJitter) : 0);
        }
      })(this), { daemon: true });
    }
  }

  get nrCpus(): number {
    return this.cpus.length;
  }

  /** A timer interrupt on a CPU (the tick, or an injected storm). */
  interrupt(cpuId: number, source: 'tick' | 'storm'): void {
    const cpu = this.cpus[cpuId];
    this.interrupts[source]++;
    if (cpu.irqsOff || cpu.handlerDone) {
      cpu.pending++;
      this.interrupts.deferred++;
      return;
    }
    // Only a tick inside a critical section can matter: elsewhere rq->lock is free and
    // scheduler_tick takes and drops it at once.
    if (!cpu.preempt) return;
    this.interrupts.inCriticalSection++;
    const preempt = cpu.preempt;
    cpu.preempt = null;
    cpu.handlerDone = new Signal(this.sim, `apic_timer_interrupt on CPU${cpuId}`);
    preempt.fire(true);
    this.sim.spawn(`irq/CPU${cpuId}`, this.schedulerTick(cpu));
  }

  private *schedulerTick(cpu: Cpu): Co {
    const { sim } = this;
    const got = yield sim.within(SPIN_DEBUG_NS, cpu.rqLock);
    if (got === false) {
      const holder = this.holderCtx.get(cpu.id);
      sim.console.log(
        [
          '------------------- cut here -------------------',
          `Possible deadlock happend locker_cpu: ${cpu.id}`,
          'Current call stack:',
          `CPU: ${cpu.id} PID: ${holder?.pid ?? 0} Comm: ${holder?.comm ?? 'swapper'} ${holder?.release ?? ''}`,
          callTrace(['report_deadlock', 'debug_spin_lock', 'scheduler_tick', 'tick_handle_periodic', 'apic_timer_interrupt', 'smp__apic_timer_interrupt', 'activate_task', 'ttwu_do_activate', 'try_to_wake_up', 'wake_up_q', 'do_futex', 'sys_futex', 'do_syscall_64', 'entry_SYSCALL64_slow_path']),
        ].join('\n'),
      );
      sim.fail(failure(RQ_LOCK_DEADLOCK, 'Possible deadlock happend: scheduler_tick spins on rq->lock held by try_to_wake_up on the same CPU'));
      return;
    }
    yield this.cfg.tickTime;
    cpu.rqLock.release();
    const done = cpu.handlerDone!;
    cpu.handlerDone = null;
    done.fire(true);
  }

  /** futex wake of n waiters from ctx's CPU: try_to_wake_up for each. */
  *wakeUp(ctx: CpuContext, n: number): Co {
    const { sim, cfg } = this;
    const cpu = this.cpus[ctx.cpu % this.cpus.length];
    for (let i = 0; i < n; i++) {
      this.wakeups++;
      if (cfg.piLockIrqsaveFix) cpu.irqsOff = true; // spin_lock_irqsave(&p->pi_lock)
      yield cpu.rqLock;
      this.holderCtx.set(cpu.id, ctx);
      // activate_task under rq->lock; with interrupts on, a tick may preempt it.
      let left = cfg.wakeupTime;
      while (left > 0) {
        if (cpu.irqsOff) {
          yield left;
          break;
        }
        const preempt = new Signal(sim, `preempt CPU${cpu.id}`);
        cpu.preempt = preempt;
        const t0 = sim.now;
        const interrupted = yield sim.within(left, preempt);
        if (cpu.preempt === preempt) cpu.preempt = null;
        left -= sim.now - t0;
        if (interrupted === true) yield cpu.handlerDone!;
      }
      cpu.rqLock.release();
      if (cfg.piLockIrqsaveFix) {
        cpu.irqsOff = false;
        // Ticks that came while interrupts were off run now; rq->lock is free again.
        cpu.pending = 0;
      }
    }
  }
}
