// The simulated machine's console: printk-style lines stamped "[ seconds.micros]" in simulated
// time, so a failure's log can be set beside a real console capture. Only the tail is kept.

const KEEP_LINES = 400;

export class Console {
  private lines: string[] = [];

  constructor(private readonly clock: { now: number }) {}

  log(text: string): void {
    const stamp = stampOf(this.clock.now);
    for (const line of text.split('\n')) this.lines.push(`${stamp} ${line}`);
    if (this.lines.length > KEEP_LINES * 2) this.lines = this.lines.slice(-KEEP_LINES);
  }

  text(): string {
    return this.lines.slice(-KEEP_LINES).join('\n');
  }
}

/** An address or id as kernel logs print it: 0x and lowercase hex digits. */
export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/** Linux's "[%5lu.%06lu]" timestamp for a time in nanoseconds. */
export function stampOf(ns: number): string {
  const us = Math.floor(ns / 1000);
  const secs = Math.floor(us / 1e6);
  return `[${String(secs).padStart(5)}.${String(us % 1e6).padStart(6, '0')}]`;
}
