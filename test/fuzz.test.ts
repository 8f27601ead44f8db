// Property-based fuzzing of everything a user types: experiment files (a valid one, mutated key by
// key, and its text broken character by character), --set assignments, --where and sweep
// expressions. Whatever the input: exit 0 or 2, never 3 and never a stack trace; every 2 is a
// line per bad value, and one about the file names FILE:LINE:COL; time and memory stay bounded;
// nothing is written under results/ on a 2; Object.prototype is untouched.
// FAULTSWEEP_FUZZ_RUNS=N runs N cases per property (default 60).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { cli, tempDir } from './helpers.js';

const runs = Number(process.env.FAULTSWEEP_FUZZ_RUNS ?? 60);
const home = tempDir('fuzz');
const file = join(home, 'fuzz.yaml');
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort().join();

const base = {
  name: 'fuzz',
  hardware: { profile: 'lego-testbed' },
  workload: { kind: 'remote-access', threads: 1, accesses: 200 },
  sweep: { 'workload.threads': [1, 2] },
  seeds: 2,
  gates: [{ outcome: 'hang', max: 0 }],
};

const keys = fc.constantFrom('name', 'hardware', 'workload', 'faults', 'sweep', 'zip', 'exclude', 'where', 'seeds', 'limits', 'gates', 'compare', 'kind', 'threads', 'accesses', 'region', 'profile', 'pcache', 'size', 'metric', 'max', 'min', 'axis', 'baseline', '__proto__', 'constructor', 'prototype', 'workload.threads', 'hardware.memory.workers', '<<', '');
const expressions = fc.oneof(
  fc.constantFrom('1:3', '2 .^ (0:3)', 'workload.threads > 1', 'workload.threads == 2 and true', '1:1e9', 'zeros(1e5, 1e5)', 'createUnit("B", "1 b")', 'f(x) = f(x)', 'import({})', 'a = 1', '1; 2', '"x" == "y"', '(((((((1)))))))', '['.repeat(200), 'max(1, 2) * pi', 'evaluate("1")', 'x[1]', 'cos(1)'),
  fc.string({ maxLength: 40 }),
);
const scalars = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 20 }), fc.constantFrom('4 GiB', '0 B', '-1 ns', '1e400', '${threads}', '${nope}', 'per-send', 'nowait', 'remote-access', 'trace', 'lego-testbed', 'uv2000-4p'), expressions);
const values = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalars, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(keys, tie('value'), { maxKeys: 4 })),
})).value;

/** A path into the base experiment: an existing key or a new one. */
const paths = fc.array(keys, { minLength: 1, maxLength: 3 });

function setIn(root: Record<string, unknown>, path: string[], v: unknown): void {
  let node: Record<string, unknown> = root;
  for (const k of path.slice(0, -1)) {
    const next = Object.hasOwn(node, k) ? node[k] : undefined;
    if (next === null || typeof next !== 'object') Object.defineProperty(node, k, { value: {}, enumerable: true, writable: true, configurable: true });
    node = node[k] as Record<string, unknown>;
  }
  Object.defineProperty(node, path[path.length - 1], { value: v, enumerable: true, writable: true, configurable: true });
}

function check(r: { exitCode: number; stdout: string; stderr: string }, ms: number, what: string, fileError: boolean): void {
  assert.ok(r.exitCode === 0 || r.exitCode === 2, `${what}: exit ${r.exitCode}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+|internal error/, `${what}: a stack trace or an internal error\n${r.stderr}`);
  if (r.exitCode === 2) {
    // One line per bad value, each located.
    const lines = r.stderr.trim().split('\n');
    assert.equal(new Set(lines).size, lines.length, `${what}: a line twice\n${r.stderr}`);
    if (fileError) for (const l of lines) assert.match(l, /^(\S+):\d+:\d+: |^--set |^--where |^error: option /, `${what}: not located\n${r.stderr}`);
  }
  assert.ok(ms < 10_000, `${what}: took ${ms} ms`);
  assert.ok(process.memoryUsage().heapUsed < 1.5 * 2 ** 30, `${what}: heap ${process.memoryUsage().heapUsed}`);
  assert.equal(Object.getOwnPropertyNames(Object.prototype).sort().join(), prototypeBefore, `${what}: Object.prototype changed`);
  assert.deepEqual(warnings.splice(0), [], `${what}: warnings printed`);
}

/** Exit codes seen per property: a fuzz run that never got past the loader, or never was
 *  refused, examined less than it claims. */
let seen = new Map<number, number>();
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(w.message));

async function attempt(text: string, extra: string[]): Promise<void> {
  writeFileSync(file, text);
  const out = join(home, 'out');
  let t0 = Date.now();
  const v = await cli(['validate', file]);
  check(v, Date.now() - t0, `validate\n${text}`, true);
  // A run of input that is refused writes nothing; --dry-run stands in for a run that would go on.
  t0 = Date.now();
  const r = await cli(['run', file, '--out', out, ...extra, ...(v.exitCode === 0 ? ['--dry-run'] : [])]);
  check(r, Date.now() - t0, `run ${extra.join(' ')}\n${text}`, true);
  seen.set(r.exitCode, (seen.get(r.exitCode) ?? 0) + 1);
  if (r.exitCode === 2) assert.equal(existsSync(out), false, `a refused run wrote ${out}`);
  assert.equal(existsSync(join(home, 'results')), false);
}

test('generated experiments: exit 0 or 2, located, bounded, nothing written, no prototype change', async () => {
  mkdirSync(home, { recursive: true });
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(paths, values), { maxLength: 4 }), async (edits) => {
      const exp = structuredClone(base) as Record<string, unknown>;
      for (const [path, v] of edits) setIn(exp, path, v);
      await attempt(stringify(exp, { aliasDuplicateObjects: false }), []);
    }),
    { numRuns: runs },
  );
  await assertBoth('generated experiments');
});

async function assertBoth(what: string): Promise<void> {
  await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  assert.deepEqual(warnings.splice(0), [], `${what}: warnings printed`);
  console.log(`${what}: ${[...seen].map(([code, n]) => `exit ${code} x${n}`).join(', ')}`);
  assert.ok((seen.get(0) ?? 0) > 0 && (seen.get(2) ?? 0) > 0, `${what}: only ${[...seen.keys()].join(', ')}`);
  seen = new Map();
}

test('broken YAML text: exit 0 or 2 with the line and column', async () => {
  const text = stringify(base);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat(text.length), fc.nat(3), fc.constantFrom(':', '-', '[', ']', '{', '}', '&a', '*a', '<<: *a', '\n', '  ', '"', "'", '#', '!!binary', '%YAML 1.1\n', '\t', '\u0000')), { maxLength: 4 }), async (cuts) => {
      let t = text;
      for (const [at, len, insert] of cuts) t = t.slice(0, at) + insert + t.slice(at + len);
      await attempt(t, []);
    }),
    { numRuns: runs },
  );
  await assertBoth('broken YAML');
});

test('--set and --where as typed: exit 0 or 2, one line naming the flag', async () => {
  const text = stringify(base);
  const assignment = fc.tuple(fc.array(keys, { minLength: 1, maxLength: 3 }), fc.oneof(fc.string({ maxLength: 20 }), expressions, fc.constantFrom('[1,', '{a: 1', '*x', '&x [1]', '1e309', '4 GiB', '-0'))).map(([p, v]) => `${p.join('.')}=${v}`);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(assignment, fc.string({ maxLength: 15 })), { maxLength: 3 }), fc.option(expressions), async (sets, where) => {
      await attempt(text, [...sets.flatMap((s) => ['--set', s]), ...(where === null ? [] : ['--where', where])]);
    }),
    { numRuns: runs },
  );
  await assertBoth('--set and --where');
  assert.deepEqual(readdirSync(home).sort(), ['fuzz.yaml']);
});
