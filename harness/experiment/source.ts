// A YAML file kept with its positions, so every complaint about it names FILE:LINE:COL and the
// key path, and zod's issues become one-line messages with a "did you mean" where it helps.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { closest } from 'fastest-levenshtein';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type * as z from 'zod';
import { InputError, located } from '../errors.js';
import { FORBIDDEN_KEYS } from './expr.js';

/** An experiment or profile is a page of YAML; anything near this size is a mistake. */
export const MAX_YAML_BYTES = 1 << 20;
/** Aliases a document may expand: enough for anchors reused by hand, too few for an alias bomb. */
const MAX_ALIASES = 100;

export type Path = (string | number)[];

export class YamlSource {
  readonly value: unknown;
  /** Paths that --set assigned, with the assignment: errors under them blame the flag, not a line. */
  private readonly sets: { path: Path; text: string }[] = [];

  private constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {
    this.value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  }

  static read(file: string): YamlSource {
    return YamlSource.parse(file, readText(file));
  }

  static parse(file: string, text: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true });
    // A warning (an unknown tag or directive) is an error here: the value would not be what was meant.
    const err = doc.errors[0] ?? doc.warnings[0];
    if (err) {
      const { line, col } = lines.linePos(err.pos[0]);
      throw located(file, line, col, `YAML syntax: ${err.message.split('\n')[0]}`);
    }
    const bad = badKey(doc);
    if (bad) throw located(file, ...lineCol(lines, bad.node), bad.message);
    exactIntegers(doc);
    let src: YamlSource;
    try {
      src = new YamlSource(file, doc, lines);
    } catch (e) {
      // toJS refuses an alias bomb; point at the first alias.
      let alias: Node | undefined;
      visit(doc, { Alias: (_, n) => ((alias = n as Node), visit.BREAK) });
      const [line, col] = alias ? lineCol(lines, alias) : [1, 1];
      throw located(file, line, col, `YAML: ${(e as Error).message} (at most ${MAX_ALIASES} aliases expand)`);
    }
    if (src.value === null || typeof src.value !== 'object' || Array.isArray(src.value)) {
      throw located(file, 1, 1, 'expected a mapping of keys at the top level');
    }
    return src;
  }

  has(path: Path): boolean {
    return this.doc.hasIn(path);
  }

  /** Records that `--set text` assigned `path`. */
  overridden(path: Path, text: string): void {
    this.sets.push({ path, text });
  }

  /** Whether a --set assigned `path` or a key above it. */
  isOverridden(path: Path): boolean {
    return this.sets.some((s) => isPrefix(s.path, path));
  }

  /** Whether a --set assigned `path`, a key above it or a key below it. */
  touchedBySet(path: Path): boolean {
    return this.sets.some((s) => nested(s.path, path));
  }

  /** The error for `path`, pointing at its key (keyOf) or its value; under a --set, at the flag. */
  error(path: Path, message: string, keyOf?: string): InputError {
    const full = [...path, ...(keyOf === undefined ? [] : [keyOf])];
    const where = full.join('.');
    // A --set that assigned the path or a key above it; or, where the file lacks the path, one that
    // created it by assigning a key below it (hardware.fit.qps=1 is where an unknown 'fit' came from).
    const set = this.sets.findLast((s) => isPrefix(s.path, full)) ?? (this.has(full) ? undefined : this.sets.findLast((s) => isPrefix(full, s.path)));
    if (set) return new InputError(`--set ${set.text}: ${where}: ${message}`);
    const { line, col } = this.position(path, keyOf);
    return located(this.file, line, col, where ? `${where}: ${message}` : message);
  }

  /** The deepest existing node on `path` (or the key named keyOf inside it). */
  position(path: Path, keyOf?: string): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = (node as Node | null)?.range?.[0] ?? 0;
    for (const key of keyOf === undefined ? path : [...path, keyOf]) {
      const found = childOf(node, key);
      if (!found) break;
      node = found.value;
      offset = (key === keyOf ? found.key : found.value)?.range?.[0] ?? found.key?.range?.[0] ?? offset;
    }
    return this.lines.linePos(offset);
  }

  /** Turns the telling zod issue into a located one-line error. `prefix` is where `value` sits. */
  issue(error: z.ZodError, prefix: Path = [], value: unknown = this.value): InputError {
    return combined(tellingIssues(error).map((iss) => this.oneIssue(iss, prefix, value)));
  }

  private oneIssue(iss: z.core.$ZodIssue, prefix: Path, value: unknown): InputError {
    const path = [...prefix, ...(iss.path as Path)];
    if (iss.code === 'unrecognized_keys') {
      return this.error(path, iss.message, iss.keys[0]);
    }
    if (iss.code === 'invalid_union' && 'discriminator' in iss) {
      const options = ((iss as { options?: unknown[] }).options ?? []).map(String);
      const got = valueAt(value, iss.path as Path);
      const hint = typeof got === 'string' && options.length ? `; did you mean '${closest(got, options)}'?` : '';
      return this.error(path, `unknown kind ${JSON.stringify(got)} (known: ${options.join(', ') || 'none registered'})${hint}`);
    }
    // exactIntegers kept an integer beyond 2^53 as its digits; a key that wants a number says why
    const got = valueAt(value, iss.path as Path);
    if (iss.code !== 'custom' && typeof got === 'string' && /^-?\d+$/.test(got) && (BigInt(got) > 2n ** 53n || BigInt(got) < -(2n ** 53n))) {
      return this.error(path, `${got} is beyond 2^53, larger than any number this key takes`);
    }
    return this.error(path, iss.message);
  }
}

export function isPrefix(prefix: Path, path: Path): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => String(path[i]) === String(k));
}

/** Whether one path lies within the other. */
export function nested(a: Path, b: Path): boolean {
  return isPrefix(a, b) || isPrefix(b, a);
}

/** The issues to report: the unknown keys if there are any, since a misspelt key ("kernl") is
 *  why the key it stands for is missing; otherwise all of them, so one pass shows every bad value. */
export function tellingIssues(error: z.ZodError): z.core.$ZodIssue[] {
  const unknown = error.issues.filter((i) => i.code === 'unrecognized_keys');
  return unknown.length ? unknown : error.issues;
}

/** Several located errors as one, a line each, in the order found and each once. */
export function combined(errors: InputError[]): InputError {
  return errors.length === 1 ? errors[0] : new InputError([...new Set(errors.map((e) => e.message))].join('\n'));
}

/** The zod `error` option: an unknown key's message suggests the closest known key. */
export function unknownKeyHint(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code !== 'unrecognized_keys') return undefined;
  const shape = (iss.inst as { shape?: Record<string, unknown> } | undefined)?.shape;
  const known = shape ? Object.keys(shape) : [];
  return known.length ? `unknown key; did you mean '${closest(iss.keys[0], known)}'?` : 'unknown key';
}

function lineCol(lines: LineCounter, node: Node): [number, number] {
  const { line, col } = lines.linePos(node.range?.[0] ?? 0);
  return [line, col];
}

/** The first key a configuration may not have: one that reaches a prototype, or one JavaScript
 *  cannot hold as it is (a list, a mapping, a !!binary or !!timestamp value). */
function badKey(doc: Document): { node: Node; message: string } | undefined {
  let bad: { node: Node; message: string } | undefined;
  visit(doc, {
    Pair: (_, pair) => {
      const key = pair.key as Node | null;
      // A merge key (<<) is held as a symbol.
      const plain = key === null || (isScalar(key) && (key.value === null || ['string', 'number', 'boolean', 'symbol'].includes(typeof key.value)));
      if (!plain) bad = { node: key!, message: 'a key must be plain text or a number' };
      else if (key && FORBIDDEN_KEYS.has(String((key as { value?: unknown }).value))) bad = { node: key, message: `'${String((key as { value?: unknown }).value)}' may not be used as a key` };
      return bad ? visit.BREAK : undefined;
    },
  });
  return bad;
}

/** One YAML value typed on the command line (--set KEY=VALUE), held to the file's rules. */
export function parseFlagValue(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, merge: true, prettyErrors: false });
  const err = doc.errors[0] ?? doc.warnings[0];
  if (err) throw new Error(err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''));
  const bad = badKey(doc);
  if (bad) throw new Error(bad.message);
  exactIntegers(doc);
  return doc.toJS({ maxAliasCount: 0 });
}

/**
 * An integer literal beyond 2^53 becomes its exact decimal digits, a string, instead of the
 * double nearest it: a 64-bit id written 0x00ff0001000004e7 must not arrive rounded. A key that
 * wants a number then refuses it (oneIssue says why) instead of using a value nobody wrote.
 */
function exactIntegers(doc: Document): void {
  visit(doc, {
    Scalar: (_, node) => {
      const text = node.source?.replace(/^\+/, '');
      if (typeof node.value !== 'number' || Number.isSafeInteger(node.value) || !text || !/^-?(0x[0-9a-f]+|0o[0-7]+|\d+)$/i.test(text)) return;
      const digits = BigInt(text.replace(/^-/, ''));
      node.value = String(text.startsWith('-') ? -digits : digits);
    },
  });
}

/** Reads a YAML file of at most MAX_YAML_BYTES; a device or a pipe is refused, not read forever. */
function readText(file: string): string {
  return readBounded(file, MAX_YAML_BYTES, { tooLarge: 'an experiment or profile is a page of YAML' }).toString('utf8');
}

/** Reads a regular file ('-': standard input) in pieces, refusing a device, and refusing input
 *  past maxBytes as soon as it is read rather than after: an endless input is not read forever. */
export function readBounded(file: string, maxBytes: number, hints: { tooLarge: string; notFile?: string }): Buffer {
  let fd: number | undefined;
  try {
    fd = file === '-' ? 0 : openSync(file, 'r');
    if (file !== '-' && !fstatSync(fd).isFile()) throw new InputError(`${file}: not a regular file${hints.notFile ? `; ${hints.notFile}` : ''}`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(Math.min(1 << 20, maxBytes + 1));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue; // a non-blocking standard input with nothing yet
        throw e;
      }
      if (n === 0) return Buffer.concat(chunks);
      total += n;
      if (total > maxBytes) throw new InputError(`${file === '-' ? 'standard input' : file}: larger than ${maxBytes / 2 ** 20} MiB; ${hints.tooLarge}`);
      chunks.push(buf.subarray(0, n));
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    if (fd !== undefined && fd !== 0) closeSync(fd);
  }
}

function childOf(node: unknown, key: string | number): { key?: Node; value?: Node } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === key);
    return pair ? { key: pair.key as Node, value: pair.value as Node } : undefined;
  }
  if (isSeq(node) && typeof key === 'number') {
    const item = node.items[key] as Node | undefined;
    return item ? { value: item } : undefined;
  }
  return undefined;
}

export function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const k of path) v = v == null ? undefined : (v as Record<string | number, unknown>)[k];
  return v;
}
