// page number -> pcache line, as an open-addressing hash on typed arrays: the pcache lookup is
// the hottest path of every LegoOS experiment, and a JS Map costs an object per entry.

const EMPTY = -1;
const TOMB = -2;

export class PageMap {
  private keys: Float64Array;
  private vals: Int32Array;
  private mask: number;
  private used = 0;

  /** capacity: the most entries it will hold at once (the number of pcache lines). */
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.keys = new Float64Array(size).fill(EMPTY);
    this.vals = new Int32Array(size);
    this.mask = size - 1;
  }

  private slot(page: number): number {
    // Fibonacci hashing of the low and high halves; pages are below 2^52.
    return (Math.imul((page | 0) ^ Math.imul((page / 4294967296) | 0, 0x85ebca6b), 0x9e3779b1) >>> 0) & this.mask;
  }

  get(page: number): number {
    const keys = this.keys, mask = this.mask;
    for (let i = this.slot(page); ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === page) return this.vals[i];
      if (k === EMPTY) return -1;
    }
  }

  set(page: number, line: number): void {
    const keys = this.keys, mask = this.mask;
    let tomb = -1;
    for (let i = this.slot(page); ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === page) {
        this.vals[i] = line;
        return;
      }
      if (k === TOMB && tomb < 0) tomb = i;
      if (k === EMPTY) {
        const at = tomb >= 0 ? tomb : i;
        if (tomb < 0) this.used++;
        keys[at] = page;
        this.vals[at] = line;
        if (this.used * 4 > keys.length * 3) this.rehash();
        return;
      }
    }
  }

  delete(page: number): void {
    const keys = this.keys, mask = this.mask;
    for (let i = this.slot(page); ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === page) {
        keys[i] = TOMB;
        return;
      }
      if (k === EMPTY) return;
    }
  }

  /** Tombstones accumulate under churn; rebuilding keeps probes short. */
  private rehash(): void {
    const oldKeys = this.keys, oldVals = this.vals;
    this.keys = new Float64Array(oldKeys.length).fill(EMPTY);
    this.vals = new Int32Array(oldKeys.length);
    this.used = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] >= 0) this.set(oldKeys[i], oldVals[i]);
  }
}
