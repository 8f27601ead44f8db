// Fixed-width records in one typed array. An alltoall at 4096 ranks holds 16.7 million access
// permits and as many attachments at once: as JS objects that is gigabytes of heap; as records,
// tens of bytes each, one record a cache line or two instead of a line per field. Records are
// handed out in chunks per owner (a thread group), so one rank's permits sit together and its
// finalize walks memory in order instead of across gigabytes.
const CHUNK = 64;

export class Records<T extends Int32Array | Float64Array> {
  data: T;
  private cap: number;
  private used = 0;
  private next: number[] = [];
  private end: number[] = [];
  /** Each owner's free records, chained through their first field (a freed record is dead). */
  private free: number[] = [];

  constructor(private readonly make: (n: number) => T, readonly stride: number, cap = 1024) {
    this.cap = cap;
    this.data = make(cap * stride);
  }

  alloc(owner: number): number {
    const f = this.free[owner] ?? -1;
    if (f >= 0) {
      this.free[owner] = this.data[f * this.stride];
      return f;
    }
    let s = this.next[owner] ?? 0;
    if (s === (this.end[owner] ?? 0)) {
      s = this.used;
      this.used += CHUNK;
      while (this.used > this.cap) this.grow();
      this.end[owner] = s + CHUNK;
    }
    this.next[owner] = s + 1;
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
    this.data[slot * this.stride] = this.free[owner] ?? -1;
    this.free[owner] = slot;
  }

  private grow(): void {
    this.cap *= 2;
    this.resize();
  }

  private resize(): void {
    const data = this.make(this.cap * this.stride);
    data.set(this.data);
    this.data = data;
  }
}
