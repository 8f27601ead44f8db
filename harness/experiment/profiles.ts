// Hardware profiles: YAML files in hardware-profiles/, every number a {value, source} leaf so a
// reader can check where it came from. Loading strips the leaves to their values.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { InputError } from '../errors.js';
import { projectRoot } from '../registry.js';
import { unknownKeyHint, YamlSource, type Path } from './source.js';

export const profileDir = join(projectRoot, 'hardware-profiles');

export interface Profile {
  name: string;
  description: string;
  system: string;
  values: Record<string, unknown>;
  source: YamlSource;
}

const header = z.strictObject({
  $schema: z.string().optional(),
  name: z.string(),
  description: z.string(),
  system: z.string(),
  values: z.record(z.string(), z.unknown()),
});

const leaf = z.strictObject({
  value: z.union([z.string(), z.number(), z.boolean()]),
  source: z.string().min(1, 'every value needs a source (or "estimate")'),
  note: z.string().optional(),
});

export function profileNames(): string[] {
  return readdirSync(profileDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

export function loadProfile(name: string): Profile {
  const source = YamlSource.read(join(profileDir, `${name}.yaml`));
  const parsed = header.safeParse(source.value, { error: unknownKeyHint });
  if (!parsed.success) throw source.issue(parsed.error);
  const values = stripLeaves(source, parsed.data.values, ['values']) as Record<string, unknown>;
  return { ...parsed.data, values, source };
}

function stripLeaves(source: YamlSource, node: unknown, path: Path): unknown {
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
    if ('value' in node) {
      const l = leaf.safeParse(node, { error: unknownKeyHint });
      if (!l.success) throw source.issue(l.error, path, node);
      return l.data.value;
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, stripLeaves(source, v, [...path, k])]));
  }
  throw source.error(path, 'write every profile value as {value, source} so its origin is on record');
}

/** Where a profile value sits in the profile file, for errors about it. */
export function profileError(p: Profile, path: Path, message: string): InputError {
  const at = [...path, 'value'];
  return p.source.error(p.source.has(['values', ...at]) ? ['values', ...at] : ['values', ...path], message);
}
