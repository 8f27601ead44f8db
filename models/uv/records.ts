// Fixed-width records in one typed array. An alltoall at 4096 ranks holds 16.7 million access
// permits and as many attachments at once: as JS objects that is gigabytes of heap; as records,
// tens of bytes each, one record a cache line or two instead of a line per field. Records are
// handed out in chunks per owner (a thread group), so one rank's permits sit together and its
// finalize walks memory in order instead of across gigabytes.
const CHUNK = 64;
const NEXT = 0, END = 1, FREE = 2, OW = 4;

export class Records<T extends Int32Array | Float64Array> {
  data: T;
  private cap: number;
  private used = 0;
  /**
   * Per owner, side by side so an allocation reads one cache line: the next fresh record of its
   * chunk, the chunk's end, and its free records chained through their first field (a freed
   * record is dead). -1: none yet.
   */
  private owners = new Int32Array(0);

  constructor(make: (n: number) => T, readonly stride: number, cap = 1024) {
    this.cap = cap;
    this.data = make(cap * stride);
  }

  alloc(owner: number): number {
    const o = this.slotsOf(owner), w = this.owners;
    const f = w[o + FREE];
    if (f >= 0) {
      w[o + FREE] = this.data[f * this.stride];
      return f;
    }
    let s = w[o + NEXT];
    if (s === w[o + END]) {
      s = this.used;
      this.used += CHUNK;
      while (this.used > this.cap) this.grow();
      w[o + END] = s + CHUNK;
    }
    w[o + NEXT] = s + 1;
    return s;
  }

  /** Makes room for n more records at once, instead of doubling (and copying) on the way there. */
  reserve(n: number): void {
    const need = this.used + n;
    if (need <= this.cap) return;
    this.cap = need;
    this.resize();
  }

  release(slot: number, owner: number): void {
    const o = this.slotsOf(owner);
    this.data[slot * this.stride] = this.owners[o + FREE];
    this.owners[o + FREE] = slot;
  }

  private slotsOf(owner: number): number {
    const o = owner * OW;
    if (o >= this.owners.length) this.owners = grown(this.owners, Math.max(o + OW, this.owners.length * 2), -1);
    return o;
  }

  private grow(): void {
    this.cap *= 2;
    this.resize();
  }

  private resize(): void {
    this.data = grown(this.data, this.cap * this.stride);
  }
}

/** A copy of typed array a, grown to length elements; the new ones hold fill. */
export function grown<T extends Int32Array | Float64Array>(a: T, length: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
