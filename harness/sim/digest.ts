// Trace digest: two independent 32-bit multiplicative (FNV-style) lanes folded over every event
// (time, opcode, argument). Cheap enough for the event loop; 64 bits are plenty to tell two
// traces apart.

export class TraceDigest {
  private a = 0x811c9dc5 | 0;
  private b = 0x01000193 ^ 0x5bd1e995;

  /** Two words an event: the time's low 32 bits (two traces that differ only above 4.3 s of
   *  each other would also differ below), and the opcode folded into the argument. */
  addEvent(time: number, op: number, arg: number): void {
    const w = time | 0;
    const x = Math.imul(op, 0x9e3779b1) ^ arg;
    this.a = Math.imul(Math.imul(this.a ^ w, 0x01000193) ^ x, 0x01000193);
    this.b = Math.imul(Math.imul(this.b ^ x, 0x5bd1e995) ^ w, 0x5bd1e995) ^ (this.b >>> 15);
  }

  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}
