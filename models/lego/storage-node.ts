// The LegoOS storage node (managers/storage/, a Linux 3.11 module): one service thread reading
// file pages for the memory node.
import type { Body, Simulation } from '../../harness/sim/simulation.js';
import { Store } from '../../harness/sim/sync.js';

export interface StorageRead {
  page: number;
  /** Sends the page back to M. */
  reply: () => void;
}

export class StorageNode {
  readonly inbox: Store<StorageRead>;
  reads = 0;

  constructor(sim: Simulation, readTime: number) {
    this.inbox = new Store(sim, 'S inbox');
    sim.spawn('storage-thread', this.serve(readTime), { daemon: true });
  }

  private *serve(readTime: number): Body {
    for (;;) {
      const r = (yield this.inbox) as StorageRead;
      yield readTime;
      this.reads++;
      r.reply();
    }
  }
}
