// page number -> pcache line, as an open-addressing hash on typed arrays: the pcache lookup is
// the hottest path of every LegoOS experiment, and a JS Map costs an object per entry. A probe
// compares the page's low 32 bits; the high bits (pages go up to 2^52) are checked only on a
// match. Linear probing with backward-shift deletion leaves no tombstones under eviction churn.

const EMPTY = -1;

export class PageMap {
  private lo: Int32Array;
  private hi: Int32Array;
  /** The line, or -1 for an empty slot. */
  private vals: Int32Array;
  private mask: number;
  private shift: number;

  /** capacity: the most entries it will hold at once (the number of pcache lines). */
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.lo = new Int32Array(size);
    this.hi = new Int32Array(size);
    this.vals = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
  }

  private home(lo: number): number {
    return Math.imul(lo, 0x9e3779b1) >>> this.shift;
  }

  get(page: number): number {
    const lo = page | 0;
    const vals = this.vals, los = this.lo, mask = this.mask;
    for (let i = this.home(lo); ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === EMPTY) return EMPTY;
      if (los[i] === lo && this.hi[i] === highOf(page)) return v;
    }
  }

  set(page: number, line: number): void {
    const lo = page | 0;
    const vals = this.vals, los = this.lo, mask = this.mask;
    for (let i = this.home(lo); ; i = (i + 1) & mask) {
      if (vals[i] === EMPTY || (los[i] === lo && this.hi[i] === highOf(page))) {
        los[i] = lo;
        this.hi[i] = highOf(page);
        vals[i] = line;
        return;
      }
    }
  }

  delete(page: number): void {
    const lo = page | 0;
    const vals = this.vals, los = this.lo, his = this.hi, mask = this.mask;
    let i = this.home(lo);
    for (;;) {
      if (vals[i] === EMPTY) return;
      if (los[i] === lo && his[i] === highOf(page)) break;
      i = (i + 1) & mask;
    }
    // Shift later members of the probe run back into the hole, unless that would put one
    // before its home slot.
    for (let j = (i + 1) & mask; vals[j] !== EMPTY; j = (j + 1) & mask) {
      const h = this.home(los[j]);
      if (((j - h) & mask) >= ((j - i) & mask)) {
        los[i] = los[j];
        his[i] = his[j];
        vals[i] = vals[j];
        i = j;
      }
    }
    vals[i] = EMPTY;
  }
}

function highOf(page: number): number {
  return page > 4294967295 ? (page / 4294967296) | 0 : 0;
}
