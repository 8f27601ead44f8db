// The LegoOS processor node's memory path (managers/processor/pcache/fault.c, evict.c): a miss
// in pcache_handle_fault allocates a line (evicting, with a P2M_PCACHE_FLUSH for a dirty one),
// sends P2M_PCACHE_MISS and spins on the reply flag that P's receive polling thread sets.
import type { Body, Simulation } from '../../harness/sim/simulation.js';
import { Signal, Store } from '../../harness/sim/sync.js';
import type { Fit } from './fit.js';
import { MemoryNode, P2M_PCACHE_FLUSH, P2M_PCACHE_MISS, type Request } from './memory-node.js';
import type { Pcache } from './pcache.js';

export interface ProcessorTiming {
  hitTime: number;
  faultTime: number;
  recvTime: number;
  lineSize: number;
}

const HEADER_BYTES = 128;

export class Processor {
  private recvQueue: Store<Request>;
  misses = 0;
  hits = 0;
  flushes = 0;
  readonly missLatencyNs: number[] = [];

  constructor(
    private readonly sim: Simulation,
    readonly pcache: Pcache,
    private readonly fit: Fit,
    private readonly memory: MemoryNode,
    private readonly timing: ProcessorTiming,
  ) {
    this.recvQueue = new Store(sim, 'P recv queue');
    sim.spawn('recv-poll', this.recvPoll(), { daemon: true });
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

  /** One memory access of a workload thread. Hits cost CPU time but no event: the caller adds
   *  the returned nanoseconds to its own compute time. A miss runs the fault path. */
  hit(page: number, write: boolean): number {
    if (!this.pcache.lookup(page, write)) return -1;
    this.hits++;
    return this.timing.hitTime;
  }

  *fault(page: number, write: boolean): Body {
    const t0 = this.sim.now;
    this.misses++;
    yield this.timing.faultTime;
    const evicted = this.pcache.fill(page, write);
    if (evicted?.dirty) {
      this.flushes++;
      yield this.rpc(P2M_PCACHE_FLUSH, evicted.page, this.timing.lineSize, HEADER_BYTES);
    }
    yield this.rpc(P2M_PCACHE_MISS, page, HEADER_BYTES, this.timing.lineSize);
    this.missLatencyNs.push(this.sim.now - t0);
  }

  private rpc(op: number, page: number, bytes: number, replyBytes: number): Signal<number> {
    const req: Request = { op, page, replyBytes, reply: new Signal(this.sim, `reply op=0x${op.toString(16)}`) };
    this.fit.send(bytes, () => this.memory.inbox.put(req));
    return req.reply;
  }
}
