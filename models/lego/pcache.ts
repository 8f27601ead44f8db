// LegoOS processor cache (managers/processor/pcache/: core.c, alloc.c, evict.c, lru.c): remote
// memory cached in the processor node's DRAM, one 4 KiB page per line, 64-way set associative.
// Per line: the valid/dirty/locked/reclaim/writeback flags and a refcount. Each set keeps its
// lines on a list in insertion order (LegoOS's per-set LRU list: insert at the head, evict from
// the tail, nothing reorders on a hit, so it is FIFO by insertion); that is the default, with
// true LRU (a hit moves the line to the young end) and random as options. A line being filled
// or evicted is off the list, so eviction never picks it.
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

const NONE = -1;
/** What access() returns for a hit, and for a miss that evicted nothing. */
export const HIT = -1;
export const NO_EVICTION = -2;

export class Pcache {
  readonly nrSets: number;
  readonly ways: number;
  private setMask: number;
  /** log2(ways) when ways is a power of two: a line's set is line >> waysShift. */
  private waysShift: number;
  readonly tag: Float64Array;
  readonly flags: Uint8Array;
  readonly refcount: Uint16Array;
  /** Lines of each set on its list (valid, not being filled or evicted): LegoOS's nr_lru. */
  readonly nrLru: Int32Array;
  // Per-set list in age order, oldest at head; per-line links.
  private head: Int32Array;
  private tail: Int32Array;
  private prev: Int32Array;
  private next: Int32Array;
  // Per-set stack of free lines.
  private free: Int32Array;
  private nrFree: Int32Array;
  private map: PageMap;
  /** Whether the line reclaim() last took was dirty. */
  evictedDirty = false;

  constructor(g: PcacheGeometry, readonly policy: Policy, private readonly random: () => number) {
    this.ways = g.ways;
    this.nrSets = Math.max(1, Math.floor(g.size / (g.lineSize * g.ways)));
    this.setMask = (this.nrSets & (this.nrSets - 1)) === 0 ? this.nrSets - 1 : -1;
    this.waysShift = (g.ways & (g.ways - 1)) === 0 ? Math.log2(g.ways) : -1;
    const lines = this.nrSets * this.ways;
    this.tag = new Float64Array(lines).fill(NONE);
    this.flags = new Uint8Array(lines);
    this.refcount = new Uint16Array(lines);
    this.nrLru = new Int32Array(this.nrSets);
    this.head = new Int32Array(this.nrSets).fill(NONE);
    this.tail = new Int32Array(this.nrSets).fill(NONE);
    this.prev = new Int32Array(lines).fill(NONE);
    this.next = new Int32Array(lines).fill(NONE);
    this.free = new Int32Array(lines);
    this.nrFree = new Int32Array(this.nrSets).fill(this.ways);
    for (let s = 0; s < this.nrSets; s++) for (let w = 0; w < this.ways; w++) this.free[s * this.ways + w] = s * this.ways + (this.ways - 1 - w);
    this.map = new PageMap(lines);
  }

  get lines(): number {
    return this.tag.length;
  }

  setOf(page: number): number {
    // Pages are doubles; a float modulo is slow, so power-of-two set counts (the usual case)
    // take the low bits, which page | 0 keeps exactly.
    return this.setMask >= 0 ? (page | 0) & this.setMask : page < 2147483648 ? (page | 0) % this.nrSets : page % this.nrSets;
  }

  /** A hit on a valid line: marks it dirty on a write, young under lru. */
  lookup(page: number, write: boolean): boolean {
    const line = this.lineOf(page);
    if (line < 0) return false;
    if (write) this.flags[line] |= PC_DIRTY;
    if (this.policy === 'lru') {
      const s = this.setOfLine(line);
      if (this.tail[s] !== line) {
        this.unlink(s, line);
        this.append(s, line);
      }
    }
    return true;
  }

  /** Whether the page has a valid line (one still being filled does not count). */
  present(page: number): boolean {
    return this.lineOf(page) >= 0;
  }

  /** The valid line holding page, or -1; the map may point at a line since given to another page. */
  private lineOf(page: number): number {
    const line = this.map.get(page);
    return line >= 0 && this.tag[line] === page && (this.flags[line] & PC_VALID) !== 0 ? line : -1;
  }

  /** pcache_alloc's fast path: a free line in the page's set, locked for filling, or -1. */
  alloc(page: number): number {
    const s = this.setOf(page);
    if (this.nrFree[s] === 0) return NONE;
    const line = this.free[s * this.ways + --this.nrFree[s]];
    this.flags[line] = PC_LOCKED;
    this.refcount[line] = 1;
    return line;
  }

  /** The line eviction takes from the page's set (the oldest on its list, or a random one), or -1. */
  evictionCandidate(page: number): number {
    const s = this.setOf(page);
    if (this.policy !== 'random' || this.nrLru[s] === 0) return this.head[s];
    const base = s * this.ways;
    const start = Math.floor(this.random() * this.ways);
    for (let k = 0; k < this.ways; k++) {
      const line = base + ((start + k) % this.ways);
      if (this.flags[line] & PC_VALID) return line;
    }
    return NONE;
  }

  /** Takes a line off its set's list for eviction (lookups no longer find it) and returns its
   *  page; evictedDirty says whether it must be written back. No object: this is the miss path. */
  reclaim(line: number): number {
    const page = this.tag[line];
    const dirty = (this.flags[line] & PC_DIRTY) !== 0;
    const s = this.setOfLine(line);
    this.unlink(s, line);
    this.flags[line] = PC_LOCKED | PC_RECLAIM | (dirty ? PC_WRITEBACK : 0);
    this.evictedDirty = dirty;
    return page;
  }

  /** An evicted line handed straight to the CPU that evicted it, still locked for its fill. */
  recycle(line: number): void {
    this.tag[line] = NONE;
    this.flags[line] = PC_LOCKED;
  }

  /** Gives a line back to its set's free lines (a fill another CPU won). */
  release(line: number): void {
    const s = this.setOfLine(line);
    this.tag[line] = NONE;
    this.flags[line] = 0;
    this.refcount[line] = 0;
    this.free[s * this.ways + this.nrFree[s]++] = line;
  }

  /** A filled line goes on its set's list, visible to lookups. */
  install(line: number, page: number, dirty: boolean): void {
    const s = this.setOfLine(line);
    this.tag[line] = page;
    this.flags[line] = PC_VALID | (dirty ? PC_DIRTY : 0);
    if (this.map.crowded) this.rebuildMap();
    this.map.set(page, line);
    this.append(s, line);
  }

  private rebuildMap(): void {
    this.map.clear();
    for (let l = 0; l < this.tag.length; l++) if (this.flags[l] & PC_VALID) this.map.set(this.tag[l], l);
  }

  /** One access with no timing, for the cache alone (cachesim, benchmarks): write-allocate,
   *  evicting per policy. Returns HIT, NO_EVICTION, or the page the miss evicted (evictedDirty). */
  access(page: number, write: boolean): number {
    if (this.lookup(page, write)) return HIT;
    let line = this.alloc(page);
    let evicted = NO_EVICTION;
    if (line < 0) {
      line = this.evictionCandidate(page);
      evicted = this.reclaim(line);
      this.recycle(line);
    }
    this.install(line, page, write);
    return evicted;
  }

  private setOfLine(line: number): number {
    return this.waysShift >= 0 ? line >> this.waysShift : (line / this.ways) | 0;
  }

  private append(s: number, line: number): void {
    const t = this.tail[s];
    this.prev[line] = t;
    this.next[line] = NONE;
    if (t === NONE) this.head[s] = line;
    else this.next[t] = line;
    this.tail[s] = line;
    this.nrLru[s]++;
  }

  private unlink(s: number, line: number): void {
    const p = this.prev[line], n = this.next[line];
    if (p === NONE) this.head[s] = n;
    else this.next[p] = n;
    if (n === NONE) this.tail[s] = p;
    else this.prev[n] = p;
    this.nrLru[s]--;
  }
}
