// Trace digest: two independent 32-bit FNV-1a lanes folded over every dispatched event
// (time, opcode, argument). Cheap enough for the event loop; 64 bits are plenty to tell two
// traces apart.

export class TraceDigest {
  private a = 0x811c9dc5 | 0;
  private b = 0x01000193 ^ 0x5bd1e995;

  add(word: number): void {
    this.a = Math.imul(this.a ^ word, 0x01000193);
    this.b = Math.imul(this.b ^ word, 0x5bd1e995) ^ (this.b >>> 13);
  }

  addEvent(time: number, op: number, arg: number): void {
    this.add(time | 0);
    this.add((time / 4294967296) | 0);
    this.add(op);
    this.add(arg);
  }

  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}
