// A nightly suite: a list of experiment files, each with its overrides and seed count, run
// together every night. Every entry is loaded (and so checked) before a night begins, so bad
// input stops the nightly before anything is run or written.
import { dirname, resolve } from 'node:path';
import * as z from 'zod';
import { InputError } from '../errors.js';
import { loadExperiment, type Plan } from '../experiment/load.js';
import { unknownKeyHint, YamlSource } from '../experiment/source.js';

const entrySchema = z.strictObject({
  file: z.string().min(1).meta({ description: 'experiment YAML file, relative to the suite file' }),
  name: z
    .string()
    .regex(/^[\w.-]+$/, 'letters, digits, _ . - only: it names a results folder')
    .optional()
    .meta({ description: "the entry's name in the history (default: the experiment's name); a cell is the same cell across nights when its entry name and parameters are" }),
  seeds: z.int().positive().optional().meta({ description: "seeds per cell each night (default: the experiment's count)" }),
  set: z.array(z.string()).default([]).meta({ description: 'overrides, as --set KEY=VALUE' }),
  where: z.string().optional().meta({ description: 'only the cells where this mathjs condition holds' }),
});

export const suiteSchema = z.strictObject({
  name: z.string().regex(/^[\w.-]+$/, 'letters, digits, _ . - only: it names a results folder'),
  description: z.string().optional(),
  seeds: z.enum(['fresh', 'same']).default('fresh').meta({ description: "'fresh': night N runs seeds (N-1)*count+1 .. N*count, so nights add coverage and are compared unpaired; 'same': seeds 1..count every night, compared paired" }),
  experiments: z.array(entrySchema).min(1),
});

export interface SuiteEntry {
  name: string;
  /** Seeds per cell; a night's seeds are drawn from it by the suite's seed policy. */
  count: number;
  plan: Plan;
}

export interface Suite {
  file: string;
  name: string;
  description: string;
  seeds: 'fresh' | 'same';
  entries: SuiteEntry[];
}

/** Whether a YAML file is a suite (a list of experiments) rather than an experiment. */
export function isSuite(file: string): boolean {
  const v = YamlSource.read(file).value as Record<string, unknown>;
  return 'experiments' in v && !('workload' in v);
}

export function loadSuite(file: string): Suite {
  const src = YamlSource.read(file);
  const parsed = suiteSchema.safeParse(src.value, { error: unknownKeyHint });
  if (!parsed.success) throw src.issue(parsed.error);
  const s = parsed.data;
  const names = new Map<string, number>();
  const entries = s.experiments.map((e, i): SuiteEntry => {
    let plan: Plan;
    try {
      plan = loadExperiment(resolve(dirname(file), e.file), { sets: e.set, where: e.where, seeds: e.seeds });
    } catch (err) {
      // The entry's seed count reaches the loader as --seeds would; the complaint is about the entry's key.
      if (err instanceof InputError && err.message.startsWith('--seeds: ')) throw src.error(['experiments', i, 'seeds'], err.message.slice('--seeds: '.length).replace(/ \(raise it with --max-trials\)$/, ''));
      if (err instanceof InputError) throw src.error(['experiments', i], err.message);
      throw err;
    }
    const name = e.name ?? plan.experiment;
    if (names.has(name)) throw src.error(['experiments', i], `a second entry named '${name}' (the first is item ${names.get(name)}); give one a name:`);
    names.set(name, i);
    return { name, count: plan.seeds.length, plan };
  });
  return { file, name: s.name, description: s.description ?? '', seeds: s.seeds, entries };
}

/** The seeds of a suite's entry on its `ordinal`-th night (1 for the first). */
export function nightSeeds(policy: 'fresh' | 'same', count: number, ordinal: number): number[] {
  const base = policy === 'fresh' ? (ordinal - 1) * count : 0;
  return Array.from({ length: count }, (_, i) => base + i + 1);
}
