// Memory trace files, read in constant memory (one fixed buffer, however large the file):
// - din: DineroIV's "label address" lines (0 read, 1 write, 2 instruction fetch, hex address);
// - lackey: Valgrind `--tool=lackey --trace-mem=yes` output ("I  addr,size", " L addr,size",
//   " S addr,size", " M addr,size"; a modify is a load then a store; "==pid==" lines are skipped);
// - bin: faultsweep's compact format: the magic "FSTRACE1", then one LEB128 varint per access,
//   (zigzag(address - previous address) << 2) | kind, kind 0 read, 1 write, 2 fetch.
// A malformed line is an InputError "FILE:LINE: message".
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { InputError } from '../harness/errors.js';

export type TraceFormat = 'din' | 'lackey' | 'bin';
export const TRACE_FORMATS: TraceFormat[] = ['din', 'lackey', 'bin'];

export const READ = 0;
export const WRITE = 1;
export const FETCH = 2;

const MAGIC = Buffer.from('FSTRACE1');
const CHUNK = 1 << 20;
const MAX_LINE = 256;

/** Pulls one access at a time: next() fills kind and address, false at the end of the file. */
export class TraceReader {
  kind = 0;
  address = 0;
  private fd: number;
  private buf = Buffer.allocUnsafe(CHUNK + MAX_LINE);
  private at = 0;
  private end = 0;
  private eof = false;
  private lineNo = 0;
  private records = 0;
  private pendingWrite = false;
  private prev = 0;
  private hexEnd = 0;
  private closed = false;

  constructor(readonly file: string, readonly format: TraceFormat) {
    try {
      this.fd = openSync(file, 'r');
    } catch (e) {
      throw new InputError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (format === 'bin') {
      this.fill();
      if (this.end < MAGIC.length || !this.buf.subarray(0, MAGIC.length).equals(MAGIC)) this.fail(1, 'not a faultsweep binary trace (no FSTRACE1 magic)');
      this.at = MAGIC.length;
    }
  }

  next(): boolean {
    if (this.pendingWrite) {
      this.pendingWrite = false;
      this.kind = WRITE;
      return true;
    }
    return this.format === 'bin' ? this.nextBin() : this.nextLine();
  }

  close(): void {
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
  }

  /** Moves what is left to the front of the buffer and reads more behind it. */
  private fill(): void {
    const rest = this.end - this.at;
    this.buf.copy(this.buf, 0, this.at, this.end);
    this.at = 0;
    const got = readSync(this.fd, this.buf, rest, CHUNK, null);
    this.end = rest + got;
    if (got === 0) this.eof = true;
  }

  private nextLine(): boolean {
    const buf = this.buf;
    for (;;) {
      let nl = buf.indexOf(10, this.at);
      if (nl < 0 || nl >= this.end) {
        if (!this.eof) {
          if (this.end - this.at > MAX_LINE) this.fail(this.lineNo + 1, `line longer than ${MAX_LINE} bytes`);
          this.fill();
          continue;
        }
        if (this.at >= this.end) return false;
        nl = this.end; // the last line has no newline
      }
      const start = this.at;
      this.at = nl + 1;
      this.lineNo++;
      const r = this.format === 'din' ? this.parseDin(start, nl) : this.parseLackey(start, nl);
      if (r === 1) return true;
      if (r < 0) this.fail(this.lineNo, this.describe(start, nl));
    }
  }

  /** 1: an access; 0: nothing on the line; -1: malformed. */
  private parseDin(i: number, end: number): number {
    const buf = this.buf;
    while (i < end && isSpace(buf[i])) i++;
    if (i === end) return 0;
    const label = buf[i] - 48;
    if (label < 0 || label > 2 || i + 1 >= end || !isSpace(buf[i + 1])) return -1;
    i += 2;
    while (i < end && isSpace(buf[i])) i++;
    if (!this.hex(i, end) || (this.hexEnd < end && !isSpace(buf[this.hexEnd]))) return -1;
    this.kind = label;
    return 1;
  }

  private parseLackey(i: number, end: number): number {
    const buf = this.buf;
    if (i === end || (buf[i] === 61 && buf[i + 1] === 61)) return 0; // blank, or a "==pid==" banner
    while (i < end && buf[i] === 32) i++;
    const op = buf[i++];
    while (i < end && buf[i] === 32) i++;
    if (!this.hex(i, end) || buf[this.hexEnd] !== 44) return -1;
    switch (op) {
      case 73: this.kind = FETCH; return 1; // I
      case 76: this.kind = READ; return 1; // L
      case 83: this.kind = WRITE; return 1; // S
      case 77: this.kind = READ; this.pendingWrite = true; return 1; // M: a load, then a store
      default: return -1;
    }
  }

  /** Parses a hex number (an optional 0x, then digits) at i into address; hexEnd is where it stops. */
  private hex(i: number, end: number): boolean {
    const buf = this.buf;
    if (buf[i] === 48 && (buf[i + 1] === 120 || buf[i + 1] === 88)) i += 2;
    const from = i;
    let v = 0;
    for (; i < end; i++) {
      const c = buf[i];
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      v = v * 16 + d;
    }
    this.hexEnd = i;
    this.address = v;
    return i > from;
  }

  private nextBin(): boolean {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (this.at === this.end) {
        if (this.eof) {
          if (scale !== 1) this.fail(this.records + 1, `record ${this.records + 1} is cut off`);
          return false;
        }
        this.fill();
        continue;
      }
      const b = this.buf[this.at++];
      v += (b & 0x7f) * scale;
      if (b >= 0x80) {
        scale *= 128;
        continue;
      }
      const kind = v % 4;
      if (kind > 2) this.fail(this.records + 1, `record ${this.records + 1} has access kind ${kind}`);
      const z = (v - kind) / 4;
      this.prev += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      this.kind = kind;
      this.address = this.prev;
      this.records++;
      return true;
    }
  }

  private describe(start: number, end: number): string {
    const text = JSON.stringify(this.buf.toString('latin1', start, Math.min(end, start + 60)));
    const hint = this.format === 'din' ? 'expected "LABEL ADDRESS" with label 0, 1 or 2 and a hex address' : 'expected "I|L|S|M ADDRESS,SIZE" with a hex address';
    return `not a ${this.format} line: ${text} (${hint})`;
  }

  private fail(line: number, message: string): never {
    this.close();
    throw new InputError(`${this.file}:${line}: ${message}`);
  }
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 13;

/** Calls visit(kind, address) for every access of the file, in order; returns how many. */
export function readTrace(file: string, format: TraceFormat, visit: (kind: number, address: number) => void): number {
  const r = new TraceReader(file, format);
  let n = 0;
  try {
    while (r.next()) {
      visit(r.kind, r.address);
      n++;
    }
  } finally {
    r.close();
  }
  return n;
}

/** Writes accesses in the binary format, buffered. */
export class BinTraceWriter {
  private fd: number;
  private buf = Buffer.allocUnsafe(CHUNK);
  private at = 0;
  private prev = 0;
  count = 0;

  constructor(file: string) {
    try {
      // 'wx': a conversion never overwrites a file it did not create.
      this.fd = openSync(file, 'wx');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new InputError(`${file}: ${code === 'EEXIST' ? 'already exists; faultsweep does not overwrite it' : `cannot create: ${code ?? (e as Error).message}`}`);
    }
    MAGIC.copy(this.buf, 0);
    this.at = MAGIC.length;
  }

  write(kind: number, address: number): void {
    if (this.at > CHUNK - 16) this.flush();
    const d = address - this.prev;
    this.prev = address;
    let v = (d >= 0 ? d * 2 : -d * 2 - 1) * 4 + kind;
    while (v >= 128) {
      this.buf[this.at++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.at++] = v;
    this.count++;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    writeSync(this.fd, this.buf, 0, this.at);
    this.at = 0;
  }
}
