// LegoOS processor cache (managers/processor/pcache/): remote memory cached in local DRAM, one
// 4 KiB page per line, set associative. LegoOS's "LRU" inserts at the head and evicts from the
// tail without reordering on a hit, so it behaves as FIFO by insertion; that is the default
// here, with true LRU and random as options.

export type Policy = 'fifo' | 'lru' | 'random';

export interface PcacheGeometry {
  size: number;
  lineSize: number;
  ways: number;
}

export interface Eviction {
  page: number;
  dirty: boolean;
}

const EMPTY = -1;

export class Pcache {
  readonly nrSets: number;
  readonly ways: number;
  private tag: Float64Array;
  private dirty: Uint8Array;
  /** Per line, when it was inserted (fifo) or last touched (lru): the eviction order. */
  private stamp: Float64Array;
  private where = new Map<number, number>();
  private clock = 0;

  constructor(g: PcacheGeometry, readonly policy: Policy, private readonly random: () => number) {
    this.ways = g.ways;
    this.nrSets = Math.max(1, Math.floor(g.size / (g.lineSize * g.ways)));
    const lines = this.nrSets * this.ways;
    this.tag = new Float64Array(lines).fill(EMPTY);
    this.dirty = new Uint8Array(lines);
    this.stamp = new Float64Array(lines);
  }

  get lines(): number {
    return this.tag.length;
  }

  setOf(page: number): number {
    return page % this.nrSets;
  }

  /** A hit marks the line (dirty on a write; recent under lru). */
  lookup(page: number, write: boolean): boolean {
    const line = this.where.get(page);
    if (line === undefined) return false;
    if (write) this.dirty[line] = 1;
    if (this.policy === 'lru') this.stamp[line] = ++this.clock;
    return true;
  }

  /** Fills page into its set, returning the line it evicted, if the set was full. */
  fill(page: number, write: boolean): Eviction | undefined {
    const base = this.setOf(page) * this.ways;
    let line = -1;
    for (let w = 0; w < this.ways; w++) if (this.tag[base + w] === EMPTY) { line = base + w; break; }
    let evicted: Eviction | undefined;
    if (line < 0) {
      line = this.policy === 'random' ? base + Math.floor(this.random() * this.ways) : this.oldest(base);
      evicted = { page: this.tag[line], dirty: this.dirty[line] === 1 };
      this.where.delete(this.tag[line]);
    }
    this.tag[line] = page;
    this.dirty[line] = write ? 1 : 0;
    this.stamp[line] = ++this.clock;
    this.where.set(page, line);
    return evicted;
  }

  private oldest(base: number): number {
    let best = base;
    for (let w = 1; w < this.ways; w++) if (this.stamp[base + w] < this.stamp[best]) best = base + w;
    return best;
  }
}
