// The LegoOS memory node (managers/memory/): a pool of thpool workers serving P2M_PCACHE_MISS
// and P2M_PCACHE_FLUSH. A worker runs the handler, posts the reply and polls its send CQ until
// the completion arrives, so it is busy for the handler time plus the CQE delay.
import type { Simulation } from '../../harness/sim/simulation.js';
import { Signal, Store } from '../../harness/sim/sync.js';
import type { Fit } from './fit.js';

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

export class MemoryNode {
  readonly inbox: Store<Request>;
  served = 0;

  constructor(sim: Simulation, private readonly fit: Fit, cfg: MemoryNodeConfig, deliverReply: (r: Request) => void) {
    this.inbox = new Store(sim, 'M inbox');
    for (let w = 0; w < cfg.workers; w++) {
      sim.spawn(`thpool-worker${w}`, this.worker(cfg, deliverReply), { daemon: true });
    }
  }

  private *worker(cfg: MemoryNodeConfig, deliverReply: (r: Request) => void) {
    for (;;) {
      const req = (yield this.inbox) as Request;
      yield cfg.handlerTime;
      this.fit.send(req.replyBytes, () => deliverReply(req));
      yield cfg.sendCqeDelay;
      this.served++;
    }
  }
}
