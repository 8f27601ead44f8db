// LegoOS processor cache (managers/processor/pcache/: core.c, alloc.c, evict.c): remote memory
// cached in the processor node's DRAM, one 4 KiB page per line, 64-way set associative.
// Per line: the valid/dirty/locked/reclaim/writeback flags and a refcount. LegoOS's "LRU"
// inserts at the list head and evicts from the tail without reordering on a hit, so it is FIFO
// by insertion; that is the default here, with true LRU and random as options.
import { PageMap } from './page-map.js';

export type Policy = 'fifo' | 'lru' | 'random';

export const PC_VALID = 1;
export const PC_DIRTY = 2;
export const PC_LOCKED = 4;
export const PC_RECLAIM = 8;
export const PC_WRITEBACK = 16;

export interface PcacheGeometry {
  size: number;
  lineSize: number;
  ways: number;
}

export interface Evicted {
  page: number;
  dirty: boolean;
}

const NO_PAGE = -1;

export class Pcache {
  readonly nrSets: number;
  readonly ways: number;
  readonly tag: Float64Array;
  readonly flags: Uint8Array;
  readonly refcount: Uint16Array;
  /** Lines of each set on its list (valid, not being evicted): LegoOS's nr_lru. */
  readonly nrLru: Int32Array;
  private stamp: Float64Array;
  private map: PageMap;
  private clock = 0;

  constructor(g: PcacheGeometry, readonly policy: Policy, private readonly random: () => number) {
    this.ways = g.ways;
    this.nrSets = Math.max(1, Math.floor(g.size / (g.lineSize * g.ways)));
    const lines = this.nrSets * this.ways;
    this.tag = new Float64Array(lines).fill(NO_PAGE);
    this.flags = new Uint8Array(lines);
    this.refcount = new Uint16Array(lines);
    this.nrLru = new Int32Array(this.nrSets);
    this.stamp = new Float64Array(lines);
    this.map = new PageMap(lines);
  }

  get lines(): number {
    return this.tag.length;
  }

  setOf(page: number): number {
    return page % this.nrSets;
  }

  /** A hit on a valid line: marks it dirty on a write, recent under lru. */
  lookup(page: number, write: boolean): boolean {
    const line = this.map.get(page);
    if (line < 0 || (this.flags[line] & PC_VALID) === 0) return false;
    if (write) this.flags[line] |= PC_DIRTY;
    if (this.policy === 'lru') this.stamp[line] = ++this.clock;
    return true;
  }

  /** Whether the page has a line, valid or still being filled by some CPU. */
  present(page: number): boolean {
    return this.map.get(page) >= 0;
  }

  /** pcache_alloc's fast path: a free line in the page's set, locked for filling, or -1. */
  alloc(page: number): number {
    const base = this.setOf(page) * this.ways;
    for (let w = 0; w < this.ways; w++) {
      const line = base + w;
      if (this.tag[line] === NO_PAGE && this.flags[line] === 0) {
        this.flags[line] = PC_LOCKED;
        this.refcount[line] = 1;
        return line;
      }
    }
    return -1;
  }

  /** The line eviction would take from the page's set (valid, not locked), or -1. */
  evictionCandidate(page: number): number {
    const base = this.setOf(page) * this.ways;
    if (this.policy === 'random') {
      const start = Math.floor(this.random() * this.ways);
      for (let k = 0; k < this.ways; k++) {
        const line = base + ((start + k) % this.ways);
        if (this.flags[line] === PC_VALID || this.flags[line] === (PC_VALID | PC_DIRTY)) return line;
      }
      return -1;
    }
    let best = -1;
    for (let w = 0; w < this.ways; w++) {
      const line = base + w;
      const f = this.flags[line];
      if ((f & PC_VALID) !== 0 && (f & (PC_LOCKED | PC_RECLAIM)) === 0 && (best < 0 || this.stamp[line] < this.stamp[best])) best = line;
    }
    return best;
  }

  /** Takes a line off its set's list for eviction: no longer found by lookups. */
  reclaim(line: number): Evicted {
    const page = this.tag[line];
    const dirty = (this.flags[line] & PC_DIRTY) !== 0;
    this.map.delete(page);
    this.flags[line] = PC_LOCKED | PC_RECLAIM | (dirty ? PC_WRITEBACK : 0);
    this.nrLru[this.setOf(page)]--;
    return { page, dirty };
  }

  /** Frees a line (after its eviction, or a fill another CPU won); it stays locked for the caller. */
  recycle(line: number): void {
    this.tag[line] = NO_PAGE;
    this.flags[line] = PC_LOCKED;
  }

  release(line: number): void {
    this.tag[line] = NO_PAGE;
    this.flags[line] = 0;
    this.refcount[line] = 0;
  }

  /** A filled line goes on its set's list, visible to lookups. */
  install(line: number, page: number, write: boolean): void {
    this.tag[line] = page;
    this.flags[line] = PC_VALID | (write ? PC_DIRTY : 0);
    this.stamp[line] = ++this.clock;
    this.map.set(page, line);
    this.nrLru[this.setOf(page)]++;
  }

  /** One access with no timing, for the cache alone (cachesim, benchmarks): write-allocate,
   *  evicting per policy. Returns undefined on a hit, else what the miss evicted (or null). */
  access(page: number, write: boolean): Evicted | null | undefined {
    if (this.lookup(page, write)) return undefined;
    let line = this.alloc(page);
    let evicted: Evicted | null = null;
    if (line < 0) {
      line = this.evictionCandidate(page);
      evicted = this.reclaim(line);
      this.recycle(line);
    }
    this.install(line, page, write);
    return evicted;
  }
}
