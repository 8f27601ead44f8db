// The LegoOS storage node (managers/storage/, a Linux 3.11 module): one service thread reading
// file pages for the memory node and sending them back through FIT.
import type { Body, Simulation } from '../../harness/sim/simulation.js';
import { Store } from '../../harness/sim/sync.js';
import { cpuContext } from './cpu.js';
import { failLostCqe, NODE_M, NODE_S, type Fit } from './fit.js';

export interface StorageRead {
  page: number;
  /** Called when the page is back at M. */
  reply: () => void;
}

export class StorageNode {
  readonly inbox: Store<StorageRead>;

  constructor(private readonly sim: Simulation, private readonly fit: Fit, readTime: number, lineSize: number, release: string) {
    this.inbox = new Store(sim, 'S inbox');
    sim.spawn('storage-thread', this.serve(readTime, lineSize, cpuContext(0, 2, 'storage', release)), { daemon: true });
  }

  private *serve(readTime: number, lineSize: number, ctx: ReturnType<typeof cpuContext>): Body {
    for (;;) {
      const r = (yield this.inbox) as StorageRead;
      yield readTime;
      if (!(yield* this.fit.send({ ctx, src: NODE_S, dst: NODE_M, bytes: lineSize, kind: 'reply', deliver: r.reply }))) {
        failLostCqe(this.sim);
        return;
      }
    }
  }
}
