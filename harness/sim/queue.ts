// The pending-event set: a binary min-heap ordered by (time, insertion sequence), so events at
// the same instant run in the order they were scheduled. No object per event: times sit in
// their own Float64Array (comparisons walk only that, so the heap's top levels stay in cache)
// and each event's [seq, op, arg] in one 16-byte slot of an Int32Array (a move is one line).
// seq is 32-bit: the Simulation's event budget stays below 2^31 pushes.
// The event loop take()s the earliest event, runs it, then settle()s: most handlers schedule one
// new event, and the first push() after a take() replaces the taken root and sinks it, one sift
// instead of a pop's and a push's.

const META = 4;
const INITIAL_CAPACITY = 1024;

export const MAX_EVENTS = 2 ** 31 - 1;

export class EventQueue {
  size = 0;
  private seqNext = 0;
  private time: Float64Array;
  private meta: Int32Array;
  /** Filled by pop(): the event just removed. */
  poppedTime = 0;
  poppedOp = 0;
  poppedArg = 0;
  private taken = false;

  constructor(capacity = INITIAL_CAPACITY) {
    this.time = new Float64Array(capacity);
    this.meta = new Int32Array(capacity * META);
  }

  push(time: number, op: number, arg: number): void {
    if (this.taken) {
      this.taken = false;
      this.siftDown(time, this.seqNext++ | 0, op, arg, this.size);
      return;
    }
    if (this.size === this.time.length) this.grow();
    const s = this.seqNext++ | 0;
    const t = this.time, m = this.meta;
    let i = this.size++;
    // Sift the hole up; the new event is written once, at its final place.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = t[p];
      if (pt < time || (pt === time && m[p * META] < s)) break;
      t[i] = pt;
      const ij = i * META, pj = p * META;
      m[ij] = m[pj]; m[ij + 1] = m[pj + 1]; m[ij + 2] = m[pj + 2];
      i = p;
    }
    t[i] = time;
    const ij = i * META;
    m[ij] = s; m[ij + 1] = op; m[ij + 2] = arg;
  }

  peekTime(): number {
    return this.time[0];
  }

  /** Removes the earliest event into poppedTime/poppedOp/poppedArg. Caller checks size > 0. */
  pop(): void {
    this.take();
    this.settle();
  }

  /** Reads the earliest event into popped*, leaving it in place until push() or settle(). */
  take(): void {
    const m = this.meta;
    this.poppedTime = this.time[0];
    this.poppedOp = m[1];
    this.poppedArg = m[2];
    this.taken = true;
  }

  /** Removes the taken event, unless a push() already took its place. */
  settle(): void {
    if (!this.taken) return;
    this.taken = false;
    const n = --this.size;
    if (n === 0) return;
    const lj = n * META;
    this.siftDown(this.time[n], this.meta[lj], this.meta[lj + 1], this.meta[lj + 2], n);
  }

  /** Sinks the hole at the root through the first n events, then drops the given event into it. */
  private siftDown(lt: number, ls: number, lo: number, la: number, n: number): void {
    const t = this.time, m = this.meta;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (t[r] < t[c] || (t[r] === t[c] && m[r * META] < m[c * META]))) c = r;
      const ct = t[c];
      const cj = c * META;
      if (lt < ct || (lt === ct && ls < m[cj])) break;
      t[i] = ct;
      const ij = i * META;
      m[ij] = m[cj]; m[ij + 1] = m[cj + 1]; m[ij + 2] = m[cj + 2];
      i = c;
    }
    t[i] = lt;
    const ij = i * META;
    m[ij] = ls; m[ij + 1] = lo; m[ij + 2] = la;
  }

  private grow(): void {
    const t = new Float64Array(this.time.length * 2);
    t.set(this.time);
    this.time = t;
    const m = new Int32Array(this.meta.length * 2);
    m.set(this.meta);
    this.meta = m;
  }
}
