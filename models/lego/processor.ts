// The LegoOS processor node's memory path (managers/processor/pcache/fault.c, alloc.c,
// evict.c): pcache_handle_fault allocates a line in the page's set (pcache_alloc, evicting one
// when the set is full, giving up after 30 s with "Abort pcache alloc"), then fills it from the
// victim cache, by a local zero-fill on the first touch of an anonymous page, or with a
// P2M_PCACHE_MISS to the memory node, spinning on the reply flag that P's receive polling thread
// sets. Eviction is per set (a dirty line is copied into a P2M_PCACHE_FLUSH message and flushed)
// or into the victim cache. Until 6 September 2018 (6e0cf6c, 73377ca) the rmap of every filled
// line and the flush's buffers came from kmalloc; static arrays replaced them.
import { failure } from '../../harness/registry.js';
import { PCACHE_STARVATION, RPC_TIMEOUT } from '../../failures/lego.js';
import type { Body, Co, Simulation } from '../../harness/sim/simulation.js';
import { Signal, SpinLock, Store } from '../../harness/sim/sync.js';
import type { CpuContext } from './cpu.js';
import { hex } from '../../harness/sim/console.js';
import { failLostCqe, HEADER_BYTES, NODE_M, NODE_P, type Fit } from './fit.js';
import { PageRanges } from './page-ranges.js';
import { P2M_MMAP, P2M_PCACHE_FLUSH, P2M_PCACHE_MISS, P2M_READ, type MemoryNode, type Request } from './memory-node.js';
import type { Pcache } from './pcache.js';
import type { VictimCache } from './victim.js';
import type { Scheduler } from './sched.js';
import { Latencies } from '../../harness/sim/latencies.js';

export interface ProcessorTiming {
  /** How long P waits for a reply before the RPC fails (ibapi_send_reply_timeout). */
  rpcTimeout: number;
  hitTime: number;
  faultTime: number;
  recvTime: number;
  copyTime: number;
  zeroFillTime: number;
  lineSize: number;
  allocTimeout: number;
  /** __do_kmalloc_node, when kmallocBuffers is on. */
  kmallocTime: number;
  /** flush_tlb_others: the evicting CPU waits for the other CPUs of the mm to flush their TLBs. */
  tlbShootdownTime: number;
  kmallocBuffers: boolean;
  /** CONFIG_FIT_SEQUENTIAL_IBAPI: one spinlock around every ibapi_send_reply, so P has one RPC
   *  outstanding at a time (a debugging option, on in the 29 August 2018 runs). */
  sequentialIbapi?: boolean;
}

/** kmalloc calls per fill (the rmap) and per flush (the clflush buffer and its message), when
 *  the build allocates them: 1,331,927 calls for 786,575 fills and 262,227 flushes on 8 April 2018. */
const KMALLOC_PER_FILL = 1;
const KMALLOC_PER_FLUSH = 2;

const ALLOC_RETRY_NS = 10_000;

export class Processor {
  private recvQueue: Store<Request>;
  victim: VictimCache | undefined;
  sched: Scheduler | undefined;
  misses = 0;
  hits = 0;
  flushes = 0;
  zeroFills = 0;
  remoteRequests = 0;
  /** pcache_miss: a fault from entry to a filled line, less the eviction it waited for. */
  readonly missLatency = new Latencies();
  /** pcache_flush: preparing and sending one P2M_PCACHE_FLUSH until its reply. */
  readonly flushLatency = new Latencies();
  /** pcache_flush_net: the flush RPC alone. */
  readonly flushNetLatency = new Latencies();
  /** mm_cpumask: the CPUs this process's threads have run on, whose TLBs an eviction must flush. */
  private mmCpus = new Set<number>();
  /** What the last pcache_alloc spent evicting; read as soon as it returns. */
  private evictedNs = 0;
  private touched = new Set<number>();
  private files = new PageRanges();
  private resident = new PageRanges();
  private ibapiLock: SpinLock | undefined;

  constructor(
    private readonly sim: Simulation,
    readonly pcache: Pcache,
    private readonly fit: Fit,
    private readonly memory: MemoryNode,
    private readonly timing: ProcessorTiming,
  ) {
    this.recvQueue = new Store(sim, 'P recv queue');
    if (timing.sequentialIbapi) this.ibapiLock = new SpinLock(sim, 'ibapi_send_reply_lock');
    sim.spawn('recv-poll', this.recvPoll(), { daemon: true });
  }

  /** Pages [first, first+count) are file-backed: never zero-filled, fetched through M (and S). */
  mapFile(first: number, count: number): void {
    this.files.add(first, count);
    this.memory.mapFile(first, count);
  }

  /** Pages [first, first+count) were written before the trial: they live in M, not zero pages. */
  mapResident(first: number, count: number): void {
    this.resident.add(first, count);
  }

  /** Where replies from M land: P's receive polling thread. */
  deliver = (r: Request): void => this.recvQueue.put(r);

  private *recvPoll(): Body {
    for (;;) {
      const r = (yield this.recvQueue) as Request;
      yield this.timing.recvTime;
      r.reply.fire(this.sim.now);
    }
  }

  get hitTime(): number {
    return this.timing.hitTime;
  }

  /** futex wake of n threads: try_to_wake_up for each, under this CPU's rq->lock. */
  *wakeUp(ctx: CpuContext, n: number): Co {
    if (this.sched) yield* this.sched.wakeUp(ctx, n);
  }

  /** A hit costs CPU time but no event: returns its nanoseconds, or -1 on a miss. */
  hit(page: number, write: boolean): number {
    if (!this.pcache.lookup(page, write)) return -1;
    this.hits++;
    return this.timing.hitTime;
  }

  *fault(ctx: CpuContext, page: number, write: boolean): Co {
    const { sim, pcache, timing } = this;
    const t0 = sim.now;
    this.misses++;
    this.mmCpus.add(ctx.cpu);
    yield timing.faultTime;
    const line = yield* this.alloc(ctx, page);
    if (line < 0) return;
    const evictNs = this.evictedNs;
    let filled = this.victim ? yield* this.victim.tryFill(ctx, page) : false;
    if (sim.isStopped) return;
    let dirty = write;
    if (!filled && !this.touched.has(page) && !this.files.has(page) && !this.resident.has(page)) {
      this.zeroFills++;
      yield timing.zeroFillTime;
      dirty = true;
      filled = true;
    }
    this.touched.add(page);
    if (!filled) {
      if (timing.kmallocBuffers) yield KMALLOC_PER_FILL * timing.kmallocTime;
      if (!(yield* this.rpc(ctx, P2M_PCACHE_MISS, page, HEADER_BYTES, timing.lineSize))) return;
    }
    // Another CPU may have filled the same page meanwhile; the later fill gives its line back.
    if (pcache.present(page)) {
      pcache.release(line);
      if (write) pcache.lookup(page, true);
    } else pcache.install(line, page, dirty);
    this.missLatency.record(sim.now - t0 - evictNs);
  }

  /** pcache_alloc: a locked line in the page's set, or -1 when the trial has failed. */
  private *alloc(ctx: CpuContext, page: number): Co<number> {
    const { sim, pcache, timing } = this;
    const t0 = sim.now;
    for (;;) {
      this.evictedNs = 0;
      const free = pcache.alloc(page);
      if (free >= 0) return free;
      const line = pcache.evictionCandidate(page);
      if (line >= 0) {
        const evicted = pcache.reclaim(line);
        const dirty = pcache.evictedDirty;
        const e0 = sim.now;
        // pcache_zap_pte: other CPUs of the mm may cache the translation (flush_tlb_mm_range)
        if (this.mmCpus.size > 1 || !this.mmCpus.has(ctx.cpu)) yield timing.tlbShootdownTime;
        if (this.victim) yield* this.victim.insert(ctx, evicted, dirty, pcache.setOf(evicted));
        else if (dirty) yield* this.flush(ctx, evicted);
        this.evictedNs = sim.now - e0;
        if (sim.isStopped) return -1;
        pcache.recycle(line);
        return line;
      }
      if (sim.now - t0 >= timing.allocTimeout) {
        sim.console.log(`${ctx.tag} Abort pcache alloc (${Math.round((sim.now - t0) / 1e6)}ms) pset_idx:${pcache.setOf(page)} nr_lru:${pcache.nrLru[pcache.setOf(page)]} fault_uva: ${hex(page * timing.lineSize)}`);
        sim.fail(failure(PCACHE_STARVATION, 'Abort pcache alloc'));
        return -1;
      }
      yield ALLOC_RETRY_NS;
    }
  }

  *flush(ctx: CpuContext, page: number): Co {
    const { sim, timing } = this;
    const t0 = sim.now;
    this.flushes++;
    yield (timing.kmallocBuffers ? KMALLOC_PER_FLUSH * timing.kmallocTime : 0) + timing.copyTime;
    const t1 = sim.now;
    if (!(yield* this.rpc(ctx, P2M_PCACHE_FLUSH, page, timing.lineSize, HEADER_BYTES))) return;
    this.flushNetLatency.record(sim.now - t1);
    this.flushLatency.record(sim.now - t0);
  }

  /** System calls LegoOS forwards to M: memory management (mmap, munmap, brk) served there, file
   *  calls (open, stat, read) that M passes on to S. */
  *syscall(ctx: CpuContext, kind: 'mm' | 'file', n: number): Co {
    const op = kind === 'mm' ? P2M_MMAP : P2M_READ;
    for (let i = 0; i < n; i++) if (!(yield* this.rpc(ctx, op, -1, HEADER_BYTES, HEADER_BYTES))) return;
  }

  /** Sends the request through FIT (P polls each send), then spins on the reply flag. False
   *  when the RPC failed: the trial has ended with the error. */
  private *rpc(ctx: CpuContext, op: number, page: number, bytes: number, replyBytes: number): Co<boolean> {
    const { sim, ibapiLock } = this;
    // A failed RPC ends the trial, so only the way out that returns true releases the lock.
    if (ibapiLock) yield ibapiLock;
    this.remoteRequests++;
    const req: Request = { op, page, bytes, replyBytes, reply: new Signal(sim, `reply op=${hex(op)}`) };
    const sent = sim.now;
    if (!(yield* this.fit.send({ ctx, src: NODE_P, dst: NODE_M, bytes, kind: 'request', deliver: () => this.memory.inbox.put(req) }))) {
      failLostCqe(sim);
      return false;
    }
    if ((yield sim.within(this.timing.rpcTimeout, req.reply)) === false) {
      sim.console.log(`${ctx.tag} ibapi_send_reply_timeout: op=${hex(op)} to node 1 timed out after ${this.timing.rpcTimeout / 1e9} s (-ETIMEDOUT)`);
      sim.fail(failure(RPC_TIMEOUT, 'ibapi_send_reply_timeout -ETIMEDOUT'));
      return false;
    }
    sim.tracer?.span(sim.current?.name ?? ctx.tag, `rpc op=${hex(op)}`, 'rpc', sent, sim.now, page >= 0 ? { page } : undefined);
    ibapiLock?.release();
    return true;
  }
}
