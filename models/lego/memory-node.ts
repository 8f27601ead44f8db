// The LegoOS memory node (managers/memory/): its pinned receive polling thread hands each
// message to a thpool worker, round robin, and the workers serve P2M_PCACHE_MISS and
// P2M_PCACHE_FLUSH (handle_pcache/fault.c). A worker takes the message and its thpool buffer,
// runs the handler (find the task and the vma, walk M's page table; a flush copies the line into
// the page, through lego_copy_to_user and a second walk before 27 April 2018, 5e01fe38; a miss
// copied the page into the TX buffer from 31 August to 7 September 2018, 21ca2e84; from the
// thpool's start on 8 April until 13 April 2018, 5ca788a0, every walk took the process's one
// page_table_lock) and replies through FIT; a miss on a
// file-backed page M has not read yet makes the worker itself send a synchronous M2S read to the
// storage node and block until it returns (P -> M -> S); every 512 KB of P's ring the worker
// acknowledges it (fit_ack_reply_callback). The watchdog wakes every 5 s and reports a worker
// whose request has been in progress for 20*HZ or more, as the real one did.
import { failure } from '../../harness/registry.js';
import { WORKER_STUCK } from '../../failures/lego.js';
import type { Body, Co, Simulation } from '../../harness/sim/simulation.js';
import { Signal, SpinLock, Store } from '../../harness/sim/sync.js';
import { cpuContext, type CpuContext } from './cpu.js';
import { hex } from '../../harness/sim/console.js';
import { callTrace } from './console.js';
import { failLostCqe, HEADER_BYTES, NODE_M, NODE_P, NODE_S, type Fit } from './fit.js';
import { PageRanges } from './page-ranges.js';
import type { StorageNode } from './storage-node.js';

export const P2M_PCACHE_MISS = 0x20000000;
export const P2M_PCACHE_FLUSH = 0x30000000;
/** System calls P forwards to M carry their x86-64 numbers (include/lego/rpc/opcode.h). */
export const P2M_READ = 0;
export const P2M_MMAP = 9;

export interface Request {
  op: number;
  page: number;
  bytes: number;
  replyBytes: number;
  reply: Signal<number>;
}

export interface MemoryNodeConfig {
  workers: number;
  recvTime: number;
  thpoolTime: number;
  handlerTime: number;
  copyTime: number;
  missCopy: boolean;
  flushCopyToUser: boolean;
  pageTableLock?: boolean;
  ringAckBytes: number;
  watchdogPeriod: number;
  /** How long a request may take before the watchdog calls its worker stuck (20*HZ). */
  stuckAfter: number;
  release: string;
}

const ACK_BYTES = 64;
const FIRST_WORKER_CPU = 10;
const FIRST_WORKER_PID = 20;

interface Worker {
  ctx: CpuContext;
  queue: Store<Request>;
  /** The request in progress and when it started, or null. */
  busy: Request | null;
  since: number;
  /** Where it is spinning, for the watchdog's trace. */
  where: string[];
}

export class MemoryNode {
  readonly inbox: Store<Request>;
  served = 0;
  private files = new PageRanges();
  private loaded = new Set<number>();
  private ringBytes = 0;
  private workers: Worker[] = [];
  /** mm->page_table_lock, one for the whole process, before 13 April 2018. */
  private pageTableLock: SpinLock | undefined;

  constructor(
    private readonly sim: Simulation,
    private readonly fit: Fit,
    private readonly storage: StorageNode,
    private readonly cfg: MemoryNodeConfig,
    private readonly deliverReply: (r: Request) => void,
  ) {
    this.inbox = new Store(sim, 'M receive CQ');
    if (cfg.pageTableLock) this.pageTableLock = new SpinLock(sim, 'mm->page_table_lock');
    for (let w = 0; w < cfg.workers; w++) {
      const worker: Worker = { ctx: cpuContext(FIRST_WORKER_CPU + w, FIRST_WORKER_PID + w, `thpool-worker${w}`, cfg.release), queue: new Store(sim, `thpool-worker${w} queue`), busy: null, since: 0, where: [] };
      this.workers.push(worker);
      sim.spawn(`thpool-worker${w}`, this.work(worker), { daemon: true });
    }
    sim.spawn('M recv-poll', this.recvPoll(), { daemon: true });
    sim.spawn('M watchdog', this.watchdog(), { daemon: true });
  }

  private *recvPoll(): Body {
    for (let next = 0; ; next = (next + 1) % this.workers.length) {
      const req = (yield this.inbox) as Request;
      yield this.cfg.recvTime;
      this.workers[next].queue.put(req);
    }
  }

  mapFile(first: number, count: number): void {
    this.files.add(first, count);
  }

  private *work(w: Worker): Body {
    const { cfg } = this;
    for (;;) {
      const req = (yield w.queue) as Request;
      w.busy = req;
      w.since = this.sim.now;
      this.ringBytes += req.bytes;
      if (this.pageTableLock && req.op !== P2M_READ) {
        // The handler walks and fills M's page table under the one lock (estimate: all of it),
        // so the workers take turns however many there are.
        yield cfg.thpoolTime;
        w.where = ['_raw_spin_lock', 'lego_pte_alloc_lock', 'handle_lego_mm_fault', 'thpool_worker_func'];
        yield this.pageTableLock;
        yield this.serviceTime(req.op);
        this.pageTableLock.release();
      } else yield cfg.thpoolTime + this.serviceTime(req.op);
      if (this.needsStorage(req)) {
        w.where = req.op === P2M_READ ? ['__storage_read', 'handle_p2m_read', 'thpool_worker_func'] : ['__storage_read', 'storage_read', 'storage_vma_fault', 'handle_lego_mm_fault', 'common_handle_p2m_miss', 'handle_p2m_pcache_miss', 'thpool_worker_func'];
        if (!(yield* this.readStorage(w.ctx, req.page))) return;
      }
      w.where = ['fit_send_reply_with_rdma_write_with_imm', 'ibapi_send_reply_imm', 'thpool_worker_func'];
      if (!(yield* this.fit.send({ ctx: w.ctx, src: NODE_M, dst: NODE_P, bytes: req.replyBytes, kind: 'reply', deliver: () => this.deliverReply(req) }))) return this.timedOut();
      if (this.ringBytes >= cfg.ringAckBytes) {
        this.ringBytes -= cfg.ringAckBytes;
        w.where = ['fit_send_message_with_rdma_write_with_imm_request', 'fit_ack_reply_callback', 'thpool_worker_func'];
        if (!(yield* this.fit.send({ ctx: w.ctx, src: NODE_M, dst: NODE_P, bytes: ACK_BYTES, kind: 'ack', deliver: () => {}, ownCompletion: true }))) return this.timedOut();
      }
      w.busy = null;
      w.where = [];
      this.served++;
    }
  }

  private serviceTime(op: number): number {
    const { cfg } = this;
    if (op === P2M_PCACHE_FLUSH) return cfg.handlerTime + cfg.copyTime + (cfg.flushCopyToUser ? cfg.handlerTime : 0);
    return cfg.handlerTime + (cfg.missCopy ? cfg.copyTime : 0);
  }

  /** M2S: the worker sends the read and blocks until the page comes back. */
  private *readStorage(ctx: CpuContext, page: number): Co<boolean> {
    const done = new Signal<number>(this.sim, `M2S read page ${page}`);
    const sent = yield* this.fit.send({ ctx, src: NODE_M, dst: NODE_S, bytes: HEADER_BYTES, kind: 'm2s', ownCompletion: true, deliver: () => this.storage.inbox.put({ page, reply: () => done.fire(this.sim.now) }) });
    if (!sent) {
      this.timedOut();
      return false;
    }
    yield done;
    if (page >= 0) this.loaded.add(page);
    return true;
  }

  private timedOut(): void {
    failLostCqe(this.sim);
  }

  private *watchdog(): Body {
    for (;;) {
      yield this.cfg.watchdogPeriod;
      for (const [i, w] of this.workers.entries()) {
        if (!w.busy || this.sim.now - w.since < this.cfg.stuckAfter) continue;
        this.sim.console.log(
          [
            `watchdog: worker[${i}] CPU${w.ctx.cpu} stucked`,
            `watchdog:  common_header [op=${hex(w.busy.op)} src_nid:0]`,
            `CPU: ${w.ctx.cpu} PID: ${w.ctx.pid} Comm: ${w.ctx.comm} ${w.ctx.release}`,
            callTrace(['mlx4_ib_poll_cq', 'fit_internal_poll_sendcq', ...w.where, 'kthread', 'ret_from_fork']),
          ].join('\n'),
        );
        this.sim.fail(failure(WORKER_STUCK, `watchdog: worker stucked in ${w.where[0] ?? 'thpool_worker_func'} (op=${hex(w.busy.op)})`));
        return;
      }
    }
  }

  /** A file system call always goes on to S; a miss only on a file page M has not read yet. */
  private needsStorage(req: Request): boolean {
    if (req.op === P2M_READ) return true;
    return req.op === P2M_PCACHE_MISS && !this.loaded.has(req.page) && this.files.has(req.page);
  }
}
