// The LegoOS memory node (managers/memory/): a pool of thpool workers serving P2M_PCACHE_MISS
// and P2M_PCACHE_FLUSH. A worker runs the handler, posts the reply and polls its send CQ until
// the completion arrives, so it is busy for the handler time plus the CQE delay. A miss on a
// file-backed page M has not read yet makes the worker itself send a synchronous M2S read to the
// storage node and block until it returns (P -> M -> S).
import type { Body, Simulation } from '../../harness/sim/simulation.js';
import { Signal, Store } from '../../harness/sim/sync.js';
import type { Fit } from './fit.js';
import type { StorageNode } from './storage-node.js';

export const P2M_PCACHE_MISS = 0x20000000;
export const P2M_PCACHE_FLUSH = 0x30000000;

export interface Request {
  op: number;
  page: number;
  replyBytes: number;
  reply: Signal<number>;
}

export interface MemoryNodeConfig {
  workers: number;
  handlerTime: number;
  sendCqeDelay: number;
}

const HEADER_BYTES = 128;

export class MemoryNode {
  readonly inbox: Store<Request>;
  served = 0;
  storageReads = 0;
  private fileRanges: [number, number][] = [];
  private loaded = new Set<number>();

  constructor(
    private readonly sim: Simulation,
    private readonly fit: Fit,
    private readonly storage: StorageNode,
    private readonly lineSize: number,
    cfg: MemoryNodeConfig,
    deliverReply: (r: Request) => void,
  ) {
    this.inbox = new Store(sim, 'M inbox');
    for (let w = 0; w < cfg.workers; w++) sim.spawn(`thpool-worker${w}`, this.worker(cfg, deliverReply), { daemon: true });
  }

  mapFile(first: number, count: number): void {
    this.fileRanges.push([first, first + count]);
  }

  private *worker(cfg: MemoryNodeConfig, deliverReply: (r: Request) => void): Body {
    for (;;) {
      const req = (yield this.inbox) as Request;
      yield cfg.handlerTime;
      if (req.op === P2M_PCACHE_MISS && this.needsStorage(req.page)) {
        this.storageReads++;
        const done = new Signal<number>(this.sim, `M2S read page ${req.page}`);
        this.fit.send(HEADER_BYTES, () => this.storage.inbox.put({ page: req.page, reply: () => this.fit.send(this.lineSize, () => done.fire(this.sim.now)) }));
        yield done;
        this.loaded.add(req.page);
      }
      this.fit.send(req.replyBytes, () => deliverReply(req));
      yield cfg.sendCqeDelay;
      this.served++;
    }
  }

  private needsStorage(page: number): boolean {
    if (this.loaded.has(page)) return false;
    return this.fileRanges.some(([a, b]) => page >= a && page < b);
  }
}
