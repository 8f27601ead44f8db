// The pcache alone, trace-driven, as DineroIV users expect (`faultsweep cachesim`). Semantics,
// so that results can be checked against other simulators: write-allocate; a dirty line counts
// one write-back when it leaves the pcache; with a victim cache every line evicted from the
// pcache enters it (FIFO, N entries, the oldest dropped when full), and a pcache miss that hits
// in it moves the line back and frees the entry. Misses that go to memory are classified as
// compulsory (first reference to the line), capacity (a fully associative LRU cache of the same
// number of lines misses too) or conflict (the rest), after Hill.
import { HIT, NO_EVICTION, Pcache, type Policy } from './pcache.js';
import { PageMap } from './page-map.js';

export interface CacheSimConfig {
  size: number;
  ways: number;
  line: number;
  victim: number;
  policy: Policy;
  /** Seeds the random policy. */
  random: () => number;
}

export interface CacheSimResult {
  accesses: number;
  reads: number;
  writes: number;
  fetches: number;
  hits: number;
  victimHits: number;
  misses: number;
  compulsory: number;
  capacity: number;
  conflict: number;
  writeBacks: number;
  lines: number;
  sets: number;
}

/** A fully associative LRU cache of `lines` lines, only to tell capacity from conflict misses. */
class LruShadow {
  private map: PageMap;
  private page: Float64Array;
  private prev: Int32Array;
  private next: Int32Array;
  private head = -1; // oldest
  private tail = -1; // youngest
  private used = 0;

  constructor(private readonly lines: number) {
    this.map = new PageMap(lines);
    this.page = new Float64Array(lines);
    this.prev = new Int32Array(lines);
    this.next = new Int32Array(lines);
  }

  /** Touches page; returns whether it was present. */
  touch(page: number): boolean {
    let slot = this.map.get(page);
    // The map keeps entries of pages since dropped (PageMap never deletes): check the slot.
    const hit = slot >= 0 && slot < this.used && this.page[slot] === page;
    if (hit) {
      if (slot === this.tail) return true;
      this.unlink(slot);
    } else if (this.used < this.lines) slot = this.used++;
    else {
      slot = this.head;
      this.unlink(slot);
    }
    if (!hit) {
      this.page[slot] = page;
      if (this.map.crowded) {
        this.map.clear();
        for (let i = 0; i < this.used; i++) if (i !== slot) this.map.set(this.page[i], i);
      }
      this.map.set(page, slot);
    }
    this.prev[slot] = this.tail;
    this.next[slot] = -1;
    if (this.tail >= 0) this.next[this.tail] = slot;
    else this.head = slot;
    this.tail = slot;
    return hit;
  }

  private unlink(s: number): void {
    const p = this.prev[s], n = this.next[s];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }
}

export class CacheSim {
  readonly result: CacheSimResult;
  private pcache: Pcache;
  private shadow: LruShadow;
  private seen = new Set<number>();
  private lineSize: number;
  private vPage: Float64Array;
  private vAge: Float64Array;
  private vCount = 0;
  private vClock = 0;

  constructor(private readonly cfg: CacheSimConfig) {
    this.pcache = new Pcache({ size: cfg.size, lineSize: cfg.line, ways: cfg.ways }, cfg.policy, cfg.random);
    this.shadow = new LruShadow(this.pcache.lines);
    this.lineSize = cfg.line;
    this.vPage = new Float64Array(cfg.victim);
    this.vAge = new Float64Array(cfg.victim);
    this.result = { accesses: 0, reads: 0, writes: 0, fetches: 0, hits: 0, victimHits: 0, misses: 0, compulsory: 0, capacity: 0, conflict: 0, writeBacks: 0, lines: this.pcache.lines, sets: this.pcache.nrSets };
  }

  /** kind: 0 read, 1 write, 2 instruction fetch. */
  access = (kind: number, address: number): void => {
    const r = this.result;
    r.accesses++;
    if (kind === 1) r.writes++;
    else if (kind === 0) r.reads++;
    else r.fetches++;
    const line = Math.floor(address / this.lineSize);
    const inShadow = this.shadow.touch(line);
    const evicted = this.pcache.access(line, kind === 1);
    if (evicted === HIT) {
      r.hits++;
      return;
    }
    // Take the line from the victim cache before the line it displaced goes in, which might
    // otherwise push it out.
    const fromVictim = this.cfg.victim > 0 && this.victimTake(line);
    if (evicted !== NO_EVICTION) {
      if (this.pcache.evictedDirty) r.writeBacks++;
      if (this.cfg.victim > 0) this.victimInsert(evicted);
    }
    if (fromVictim) {
      r.victimHits++;
      return;
    }
    r.misses++;
    if (!this.seen.has(line)) {
      this.seen.add(line);
      r.compulsory++;
    } else if (!inShadow) r.capacity++;
    else r.conflict++;
  };

  private victimTake(line: number): boolean {
    for (let i = 0; i < this.vCount; i++) {
      if (this.vPage[i] === line) {
        this.vCount--;
        this.vPage[i] = this.vPage[this.vCount];
        this.vAge[i] = this.vAge[this.vCount];
        return true;
      }
    }
    return false;
  }

  private victimInsert(line: number): void {
    let at = this.vCount;
    if (at === this.cfg.victim) {
      at = 0;
      for (let i = 1; i < this.vCount; i++) if (this.vAge[i] < this.vAge[at]) at = i;
    } else this.vCount++;
    this.vPage[at] = line;
    this.vAge[at] = ++this.vClock;
  }
}
