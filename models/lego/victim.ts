// LegoOS victim cache (managers/processor/pcache/victim.c, include/processor/pcache_victim.h):
// a small fully associative cache of lines evicted from the pcache, a FIFO list of usable
// entries under usable_victim_lock, per-entry lock, refcount and fill counter, and the pinned
// kvictim_flushd thread that writes dirty entries back. Every lock and counter step takes
// simulated time, so CPUs interleave as they did on the testbed.
//
// kernel.victimNohitFix (default true) is the fix of 31 August 2018: a hit marks the entry
// fillfree, and the last filler decrements nr_fill and test-and-sets nohit under the entry lock,
// after which hits report a miss. false restores the code before it: the fill counter is
// decremented outside the entry lock and an entry whose last filler already dropped the base
// reference can still be hit, so two CPUs can both drop it: the double free of 30 August.
import { failure } from '../../harness/registry.js';
import { VICTIM_DOUBLE_FREE, VICTIM_STARVATION } from '../../failures/lego.js';
import type { Co, Simulation } from '../../harness/sim/simulation.js';
import { Signal, SpinLock, Store } from '../../harness/sim/sync.js';
import type { CpuContext } from './cpu.js';
import { hex } from '../../harness/sim/console.js';
import { kernelWarning } from './console.js';

export const V_LOCKED = 0x1;
export const V_ALLOCATED = 0x2;
export const V_USABLE = 0x4;
export const V_HASDATA = 0x8;
export const V_WRITEBACK = 0x10;
export const V_WAITFLUSH = 0x20;
export const V_FLUSHED = 0x40;
export const V_RECLAIM = 0x80;
export const V_FILLFREE = 0x100;
export const V_NOHIT = 0x200;

const FLAG_NAMES: [number, string][] = [
  [V_LOCKED, 'locked'], [V_ALLOCATED, 'allocated'], [V_USABLE, 'usable'], [V_HASDATA, 'hasdata'], [V_WRITEBACK, 'writeback'],
  [V_WAITFLUSH, 'waitflush'], [V_FLUSHED, 'flushed'], [V_RECLAIM, 'reclaim'], [V_FILLFREE, 'fillfree'], [V_NOHIT, 'nohit'],
];

export const BUG_PUT_NOLIST = 'PCACHE_BUG_ON_VICTIM(!VictimAllocated(v) || !VictimUsable(v) || !VictimFlushed(v) || VictimWriteback(v) || VictimLocked(v))';
export const BUG_REF_ZERO = 'PCACHE_BUG_ON_VICTIM(victim_ref_count(v) == 0)';

const VICTIM_BASE = 0xffffffff810c2880n;
const PSET_BASE = 0xffff88207ff5a000n;

export interface Hit {
  addr: number;
  owner: number;
}

export class Victim {
  flags = 0;
  ref = 0;
  nrFill = 0;
  maxFill = 0;
  hits: Hit[] = [];
  setIdx = 0;
  readonly lock: SpinLock;
  constructor(sim: Simulation, readonly index: number) {
    this.lock = new SpinLock(sim, `victim[${index}].lock`);
  }
}

export interface VictimConfig {
  entries: number;
  allocTimeout: number;
  lockStep: number;
  copyTime: number;
  nohitFix: boolean;
}

export interface VictimHost {
  /** Writes a dirty page back to memory (P2M_PCACHE_FLUSH) and waits for the ack. */
  flush(ctx: CpuContext, page: number): Co;
  nrLru(setIdx: number): number;
  lineSize: number;
}

export class VictimCache {
  readonly entries: Victim[];
  private usable: Victim[] = [];
  private listLock: SpinLock;
  private jobs: Store<Victim>;
  /** Fired whenever an entry is freed or finishes flushing: allocation waiters retry then. */
  private changed: Signal;
  private dumps = 0;
  lookups = 0;
  hitCount = 0;
  /** Hits on an entry that another CPU had already hit: the interleavings the race needs. */
  repeatHits = 0;
  flushes = 0;

  constructor(private readonly sim: Simulation, private readonly cfg: VictimConfig, private readonly host: VictimHost, flushd: CpuContext) {
    this.entries = Array.from({ length: cfg.entries }, (_, i) => new Victim(sim, i));
    this.listLock = new SpinLock(sim, 'usable_victim_lock');
    this.jobs = new Store(sim, 'victim flush queue');
    this.changed = new Signal(sim, 'victim freed');
    sim.spawn('kvictim_flushd', this.flushd(flushd), { daemon: true });
  }

  /** victim_try_fill_pcache: on a hit, copies the line back into the pcache. */
  *tryFill(ctx: CpuContext, page: number): Co<boolean> {
    const { cfg } = this;
    this.lookups++;
    yield this.listLock;
    yield cfg.lockStep;
    const v = this.usable.find((e) => (e.flags & (V_HASDATA | V_RECLAIM)) === V_HASDATA && (!cfg.nohitFix || (e.flags & V_NOHIT) === 0) && e.hits.some((h) => h.addr === page));
    if (!v) {
      this.listLock.release();
      return false;
    }
    if (cfg.nohitFix) {
      yield v.lock;
      v.flags |= V_FILLFREE;
    }
    if (v.maxFill > 0) this.repeatHits++;
    v.ref++;
    v.nrFill++;
    v.maxFill = Math.max(v.maxFill, v.nrFill);
    if (cfg.nohitFix) v.lock.release();
    this.listLock.release();
    this.hitCount++;

    yield cfg.copyTime;

    yield cfg.lockStep;
    let last: boolean;
    if (cfg.nohitFix) {
      yield v.lock;
      last = --v.nrFill === 0;
      if (last) {
        if (v.flags & V_NOHIT) return this.bug(ctx, v, 'BUG: Double free', 'victim_try_fill_pcache'), true;
        v.flags |= V_NOHIT;
      }
      v.lock.release();
    } else {
      // dec_and_test_filling, outside the entry lock.
      last = --v.nrFill === 0;
      if (last) v.flags |= V_FILLFREE;
    }
    if (last) {
      yield cfg.lockStep;
      if (!this.put(ctx, v, 'victim_try_fill_pcache')) return true;
    }
    yield cfg.lockStep;
    this.put(ctx, v, 'victim_try_fill_pcache');
    return true;
  }

  /** victim_prepare_insert + victim_finish_insert: a line evicted from the pcache enters. */
  *insert(ctx: CpuContext, page: number, dirty: boolean, setIdx: number): Co {
    const { sim, cfg } = this;
    const t0 = sim.now;
    let v: Victim | undefined;
    while (!v) {
      yield this.listLock;
      yield cfg.lockStep;
      v = this.entries.find((e) => e.flags === 0);
      if (v) {
        v.flags = V_ALLOCATED | V_USABLE | V_LOCKED;
        v.ref = 1;
        v.nrFill = 0;
        v.maxFill = 0;
        v.hits = [];
        v.setIdx = setIdx;
        this.usable.push(v);
        this.listLock.release();
        break;
      }
      const old = this.usable.find((e) => (e.flags & (V_FLUSHED | V_FILLFREE | V_LOCKED | V_RECLAIM)) === V_FLUSHED && e.nrFill === 0 && e.ref <= 2);
      this.listLock.release();
      if (old) {
        old.flags |= V_RECLAIM;
        yield cfg.lockStep;
        if (!this.put(ctx, old, 'victim_evict_line')) return;
        continue;
      }
      const waited = sim.now - t0;
      if (waited >= cfg.allocTimeout) return this.abortAlloc(ctx, page, setIdx, waited);
      const changed = this.changed;
      yield sim.within(cfg.allocTimeout - waited, changed);
    }
    yield cfg.copyTime;
    if ((v.flags & V_ALLOCATED) === 0) {
      this.bug(ctx, v, 'BUG: failure at managers/processor/pcache/victim.c:610/victim_finish_insert()!', 'victim_finish_insert');
      return;
    }
    v.flags |= V_HASDATA;
    v.hits.push({ addr: page, owner: ctx.pid });
    if (dirty) {
      v.flags |= V_WAITFLUSH;
      v.ref++;
      this.jobs.put(v);
    } else v.flags |= V_FLUSHED;
    v.flags &= ~V_LOCKED;
  }

  /** __victim_flush_func on the pinned flush thread. */
  private *flushd(ctx: CpuContext): Co {
    for (;;) {
      const v = (yield this.jobs) as Victim;
      if (v.ref === 0) return this.bug(ctx, v, BUG_REF_ZERO, '__victim_flush_func');
      v.flags |= V_WRITEBACK;
      yield* this.host.flush(ctx, v.hits[0]?.addr ?? 0);
      this.flushes++;
      v.flags = (v.flags & ~(V_WRITEBACK | V_WAITFLUSH)) | V_FLUSHED;
      if (!this.put(ctx, v, '__victim_flush_func')) return;
      this.wakeAllocators();
    }
  }

  /** put_victim: false if it found a bug (the trial has crashed). */
  private put(ctx: CpuContext, v: Victim, caller: string): boolean {
    if (v.ref === 0) {
      this.bug(ctx, v, BUG_REF_ZERO, caller);
      return false;
    }
    if (--v.ref > 0) return true;
    // __put_victim_nolist
    const ok = V_ALLOCATED | V_USABLE | V_FLUSHED;
    if ((v.flags & (ok | V_WRITEBACK | V_LOCKED)) !== ok) {
      this.bug(ctx, v, BUG_PUT_NOLIST, '__put_victim_nolist', caller);
      return false;
    }
    this.usable.splice(this.usable.indexOf(v), 1);
    v.flags = 0;
    v.hits = [];
    this.wakeAllocators();
    return true;
  }

  private wakeAllocators(): void {
    const c = this.changed;
    this.changed = new Signal(this.sim, 'victim freed');
    c.fire(true);
  }

  private abortAlloc(ctx: CpuContext, page: number, setIdx: number, waitedNs: number): void {
    const { sim } = this;
    sim.console.log(`${ctx.tag} Abort victim alloc (${Math.round(waitedNs / 1e6)}ms) nr_usable_victims: ${this.usable.length}. From pset_idx:${setIdx} nr_lru:${this.host.nrLru(setIdx)} fault_uva: ${hex(page * this.host.lineSize)}`);
    this.dumpAll(ctx);
    sim.fail(failure(VICTIM_STARVATION, 'Abort victim alloc'));
  }

  dumpAll(ctx: CpuContext): void {
    const n = this.dumps++;
    const lines = [`${ctx.tag}   --   Start Dump Victim Cache [${n}] total: ${this.usable.length}`];
    for (const v of this.usable) lines.push(...this.dumpLines(ctx, v, `victim[${v.index}]:${this.addrOf(v)}`));
    lines.push(`${ctx.tag}   --   End Dump Victim Cache [${n}]`);
    this.sim.console.log(lines.join('\n'));
  }

  private dumpLines(ctx: CpuContext, v: Victim, head: string): string[] {
    const names = FLAG_NAMES.filter(([bit]) => v.flags & bit).map(([, n]) => n).join('|');
    const pset = (PSET_BASE + BigInt(v.setIdx) * 0x80n).toString(16);
    return [
      `${ctx.tag}  ${head} refcount:${v.ref} nr_fill:${v.nrFill} max_fill:${v.maxFill} locked:${v.flags & V_LOCKED ? 1 : 0} flags:(${hex(v.flags)})(${names}) pcm:          (null) pset:${pset}`,
      ...v.hits.map((h, i) => `${ctx.tag}     hit[${i}] owner:${h.owner} m_nid:1 rep_nid:1 addr: ${hex(h.addr * this.host.lineSize)}`),
      `${ctx.tag}     rmap to pset:${pset} set_idx: ${v.setIdx} nr_lru:${this.host.nrLru(v.setIdx)}`,
    ];
  }

  private addrOf(v: Victim): string {
    return (VICTIM_BASE + BigInt(v.index) * 0x80n).toString(16);
  }

  /** A PCACHE_BUG_ON_VICTIM (or BUG) fired: dump the entry, print the WARNING, crash the trial. */
  private bug(ctx: CpuContext, v: Victim, what: string, fn: string, caller?: string): void {
    const head = `victim:${this.addrOf(v)} index:${v.index}`;
    const lines = this.dumpLines(ctx, v, head);
    if (what.startsWith('PCACHE_BUG_ON_VICTIM')) lines.push(`${ctx.tag}     victim dumped because: ${what}`);
    else lines.push(what);
    this.sim.console.log(lines.join('\n'));
    const where = fn === '__put_victim_nolist' ? 'managers/processor/pcache/victim.c:196' : fn === '__victim_flush_func' ? './include/processor/pcache_victim.h:127' : 'managers/processor/pcache/victim.c:610';
    this.sim.console.log(kernelWarning(ctx, where, fn, caller ? [fn, caller] : [fn]));
    this.sim.fail(failure(VICTIM_DOUBLE_FREE, `${what.startsWith('PCACHE') ? what : what.replace(/!$/, '')} in ${fn}`));
  }
}
