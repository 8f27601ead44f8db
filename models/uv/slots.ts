// Struct-of-arrays storage for XPMEM's many small objects. An alltoall at 4096 ranks holds
// 16.7 million access permits and as many attachments at once; as JS objects (boxed doubles, a
// header each) that is gigabytes of heap, as typed-array columns it is tens of bytes per object.

type Column = Int32Array | Float64Array | Uint8Array;
type Columns = Record<string, Column>;

/** Fixed-width records addressed by a slot number, with a free list so slots are reused. */
export class Slots<C extends Columns> {
  cols: C;
  private cap: number;
  private used = 0;
  private free: Int32Array;
  private nFree = 0;

  constructor(make: (cap: number) => C, cap = 1024) {
    this.cap = cap;
    this.cols = make(cap);
    this.free = new Int32Array(cap);
  }

  get live(): number {
    return this.used - this.nFree;
  }

  alloc(): number {
    if (this.nFree > 0) return this.free[--this.nFree];
    if (this.used === this.cap) this.grow();
    return this.used++;
  }

  release(slot: number): void {
    this.free[this.nFree++] = slot;
  }

  private grow(): void {
    this.cap *= 2;
    const free = new Int32Array(this.cap);
    free.set(this.free);
    this.free = free;
    for (const k of Object.keys(this.cols) as (keyof C)[]) {
      const old = this.cols[k];
      const next = new (old.constructor as new (n: number) => Column)(this.cap);
      next.set(old);
      this.cols[k] = next as C[keyof C];
    }
  }
}
