// A YAML file kept with its positions, so every complaint about it names FILE:LINE:COL and the
// key path, and zod's issues become one-line messages with a "did you mean" where it helps.
import { readFileSync } from 'node:fs';
import { closest } from 'fastest-levenshtein';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type * as z from 'zod';
import { InputError, located } from '../errors.js';

export type Path = (string | number)[];

export class YamlSource {
  readonly value: unknown;
  private constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {
    this.value = doc.toJS({ maxAliasCount: 100 });
  }

  static read(file: string): YamlSource {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return YamlSource.parse(file, text);
  }

  static parse(file: string, text: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const err = doc.errors[0];
    if (err) {
      const { line, col } = lines.linePos(err.pos[0]);
      throw located(file, line, col, `YAML syntax: ${err.message.split('\n')[0]}`);
    }
    const src = new YamlSource(file, doc, lines);
    if (src.value === null || typeof src.value !== 'object' || Array.isArray(src.value)) {
      throw located(file, 1, 1, 'expected a mapping of keys at the top level');
    }
    return src;
  }

  has(path: Path): boolean {
    return this.doc.hasIn(path);
  }

  /** The error for `path`, pointing at its key (keyOf) or its value. */
  error(path: Path, message: string, keyOf?: string): InputError {
    const { line, col } = this.position(path, keyOf);
    const where = [...path, ...(keyOf === undefined ? [] : [keyOf])].join('.');
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

  /** Turns the first zod issue into a located one-line error. `prefix` is where `value` sits. */
  issue(error: z.ZodError, prefix: Path = [], value: unknown = this.value): InputError {
    const iss = error.issues[0];
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
    return this.error(path, iss.message);
  }
}

/** The zod `error` option: an unknown key's message suggests the closest known key. */
export function unknownKeyHint(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code !== 'unrecognized_keys') return undefined;
  const shape = (iss.inst as { shape?: Record<string, unknown> } | undefined)?.shape;
  const known = shape ? Object.keys(shape) : [];
  return known.length ? `unknown key; did you mean '${closest(iss.keys[0], known)}'?` : 'unknown key';
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
