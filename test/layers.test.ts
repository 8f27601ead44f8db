// The layering ARCHITECTURE.md promises: harness/ finds models, workloads, faults, failure classes
// and commands only through the registry, and what a trial runs (models, workloads, faults, the
// failure catalog) does not reach for the command line, the report code or the results store.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { root } from './helpers.js';

function imports(dir: string): { file: string; from: string }[] {
  return readdirSync(join(root, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [...readFileSync(join(root, dir, f), 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]|import\(['"]([^'"]+)['"]\)/gm)].map((m) => ({ file: join(dir, f), from: m[1] ?? m[2] })));
}

test('harness/ imports nothing from the plug-in folders', () => {
  const all = imports('harness');
  assert.ok(all.length > 50, `only ${all.length} imports read`);
  const crossing = all.filter((i) => /(^|\/)(models|workloads|faults|failures|commands|formats)\//.test(i.from));
  assert.deepEqual(crossing, []);
});

test('models, workloads and faults do not import the CLI, the reports or the results store', () => {
  const all = ['models', 'workloads', 'faults', 'failures'].flatMap(imports);
  assert.ok(all.length > 50, `only ${all.length} imports read`);
  const crossing = all.filter((i) => i.from === 'commander' || /harness\/(cli|report\/|run\/store)/.test(i.from));
  assert.deepEqual(crossing, []);
});
