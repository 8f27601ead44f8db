// page number -> pcache line, as an open-addressing hash on one typed array: the pcache lookup is
// the hottest path of every LegoOS experiment, and a JS Map costs an object per entry. A slot is
// [low 32 bits of the page, high bits, line] in 16 bytes, so a probe touches one cache line;
// the high bits (pages go up to 2^52) are compared only when the low ones match. Linear probing.
// The pcache never deletes: an evicted page's entry goes stale (its line holds another page,
// which the pcache checks), a later set() of the page overwrites it, and when entries fill half
// the table the pcache rebuilds it from its lines. That is cheaper than deleting on every miss.

const EMPTY = -1;
const LO = 0;
const HI = 1;
const VAL = 2;
const STRIDE = 4;

export class PageMap {
  /** Per slot [lo, hi, line, unused]; line -1 marks an empty slot. */
  private slots: Int32Array;
  private mask: number;
  private shift: number;
  /** Occupied slots, fresh or stale. */
  size = 0;

  /** capacity: the most fresh entries it will hold at once (the number of pcache lines). */
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 4) size *= 2;
    this.slots = new Int32Array(size * STRIDE);
    for (let i = 0; i < size; i++) this.slots[i * STRIDE + VAL] = EMPTY;
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
  }

  private home(lo: number): number {
    return Math.imul(lo, 0x9e3779b1) >>> this.shift;
  }

  get(page: number): number {
    const lo = page | 0;
    const s = this.slots, mask = this.mask;
    for (let i = this.home(lo); ; i = (i + 1) & mask) {
      const j = i * STRIDE;
      const v = s[j + VAL];
      if (v === EMPTY) return EMPTY;
      if (s[j + LO] === lo && s[j + HI] === highOf(page)) return v;
    }
  }

  set(page: number, line: number): void {
    const lo = page | 0;
    const s = this.slots, mask = this.mask;
    for (let i = this.home(lo); ; i = (i + 1) & mask) {
      const j = i * STRIDE;
      const empty = s[j + VAL] === EMPTY;
      if (empty || (s[j + LO] === lo && s[j + HI] === highOf(page))) {
        if (empty) this.size++;
        s[j + LO] = lo;
        s[j + HI] = highOf(page);
        s[j + VAL] = line;
        return;
      }
    }
  }

  /** Whether stale entries have filled half the table: time to rebuild. */
  get crowded(): boolean {
    return this.size * 2 > this.mask + 1;
  }

  clear(): void {
    const s = this.slots;
    for (let j = VAL; j < s.length; j += STRIDE) s[j] = EMPTY;
    this.size = 0;
  }
}

function highOf(page: number): number {
  return page > 4294967295 ? (page / 4294967296) | 0 : 0;
}
