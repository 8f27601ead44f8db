// What code made a result: the package version, and a digest of the compiled code itself, since
// a trial is a pure function of (cell, seed, code version) and a version number alone does not
// change when a model does. Shards from two builds must not be merged into one result.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compiledRoot, projectRoot } from './registry.js';

export interface CodeVersion {
  faultsweep: string;
  /** sha256 of the compiled modules (their paths and contents), first 16 hex digits. */
  code: string;
}

const CODE_FOLDERS = ['harness', 'models', 'workloads', 'faults', 'formats', 'commands'];
let cached: CodeVersion | undefined;

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

export function codeVersion(): CodeVersion {
  if (cached) return cached;
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) hash.update(relative(compiledRoot, p)).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  for (const f of CODE_FOLDERS) walk(join(compiledRoot, f));
  cached = { faultsweep: packageVersion(), code: hash.digest('hex').slice(0, 16) };
  return cached;
}

export const versionText = (v: CodeVersion | undefined) => (v ? `faultsweep ${v.faultsweep} (code ${v.code})` : 'an unknown faultsweep version');
