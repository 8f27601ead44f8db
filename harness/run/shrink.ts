// Shrinking a failing trial's fault schedule: delta debugging (Zeller's ddmin) over the fault
// events that fired in it. Each candidate is replayed as an explicit schedule (the fault fires at
// those events and nowhere else) and kept when the trial still fails with the same outcome and
// signature; the result is a schedule from which no one event can be removed.
import { stringify } from 'yaml';
import { InputError } from '../errors.js';
import { loadExperiment, type Cell, type Plan } from '../experiment/load.js';
import { YamlSource } from '../experiment/source.js';
import { faults } from '../registry.js';
import { canonicalJson } from '../canonical-json.js';
import { replayBase, runTrial, type TrialRecord } from './trial.js';

export interface ShrinkInput {
  file: string;
  sets: string[];
  where?: string;
  cell: string;
  seed: number;
}

/** One fault event: the index of its fault in the cell, and its id in that fault's schedule. */
interface FaultEvent {
  fault: number;
  id: unknown;
}

export interface ShrinkResult {
  original: TrialRecord;
  /** Fault events that fired in the original trial, and in the shrunk schedule. */
  from: number;
  to: number;
  /** Faults that cannot be replayed as a schedule: left as the experiment configures them. */
  kept: string[];
  tests: number;
  /** The shrunk schedule: the experiment's faults list, and the --set overrides that make it
   *  (with the original run's). */
  faults: unknown[];
  sets: string[];
  record: TrialRecord;
  replay: string;
}

export function shrink(input: ShrinkInput, progress: (line: string) => void = () => {}): ShrinkResult {
  const load = (sets: string[], which: (c: Cell) => boolean): { plan: Plan; cell: Cell } => {
    const plan = loadExperiment(input.file, { sets, where: input.where });
    const cell = plan.cells.find(which);
    if (!cell) throw new InputError(`${input.file}: no cell ${input.cell} (cells: ${plan.cells.map((c) => c.id).join(', ')})`);
    return { plan, cell };
  };
  const original = load(input.sets, (c) => c.id === input.cell);
  // A schedule's overrides change the cell's id (a hash of its configuration), not its parameters.
  const params = canonicalJson(original.cell.params);
  const scheduled = (sets: string[]) => load(sets, (c) => canonicalJson(c.params) === params);
  const schedules = new Map<number, unknown[] | undefined>();
  const first = runTrial({ cell: original.cell, seed: input.seed, replayBase: replayBase(original.plan) }, { schedules: (i, ids) => schedules.set(i, ids) });
  if (!first.failure) throw new InputError(`cell ${input.cell} seed ${input.seed}: the trial does not fail (${first.outcome}); there is nothing to shrink`);
  const kinds = original.cell.faults.map((f) => f.kind);
  const shrinkable = kinds.map((k, i) => faults.get(k)?.explicit !== undefined && schedules.get(i) !== undefined);
  const events: FaultEvent[] = kinds.flatMap((_, i) => (shrinkable[i] ? schedules.get(i)!.map((id) => ({ fault: i, id })) : []));
  const kept = kinds.flatMap((k, i) => (shrinkable[i] ? [] : [`faults.${i} (${k})`]));

  const setsFor = (subset: FaultEvent[]) => {
    const schedule = kinds.flatMap((k, i) => {
      if (!shrinkable[i]) return [];
      const keys = faults.get(k)!.explicit!(subset.filter((e) => e.fault === i).map((e) => e.id));
      return Object.entries(keys).map(([key, v]) => `faults.${i}.${key}=${JSON.stringify(v)}`);
    });
    // An override the schedule replaces (the drop probability) would only be overridden again.
    const replaced = new Set(schedule.map((s) => s.slice(0, s.indexOf('='))));
    return [...input.sets.filter((s) => !replaced.has(s.slice(0, s.indexOf('=')))), ...schedule];
  };
  let tests = 0;
  const run = (subset: FaultEvent[]) => {
    const { plan, cell } = scheduled(setsFor(subset));
    tests++;
    return runTrial({ cell, seed: input.seed, replayBase: replayBase(plan) });
  };
  const fails = (subset: FaultEvent[]) => {
    const r = run(subset);
    const same = r.outcome === first.outcome && r.failure?.signature === first.failure!.signature;
    progress(`test ${tests}: ${subset.length} fault event${subset.length === 1 ? '' : 's'}: ${same ? 'fails the same way' : r.failure ? `fails otherwise (${r.failure.signature})` : 'passes'}`);
    return same;
  };

  // The whole schedule, replayed explicitly, must be the original trial: otherwise a subset's
  // verdict would say nothing about it.
  const whole = run(events);
  if (whole.digest !== first.digest) throw new Error(`the explicit schedule of ${events.length} fault events did not replay the trial (digest ${whole.digest}, not ${first.digest})`);
  progress(`the trial fails with ${first.failure.signature} after ${events.length} fault events; replayed as an explicit schedule: the same trial (digest ${whole.digest})`);
  const minimal = events.length === 0 || fails([]) ? [] : ddmin(events, fails);
  const sets = setsFor(minimal);
  const { plan, cell } = scheduled(sets);
  const record = runTrial({ cell, seed: input.seed, replayBase: replayBase(plan) });
  const raw = (YamlSource.read(input.file).value as { faults?: Record<string, unknown>[] }).faults ?? [];
  const shrunk = kinds.map((k, i) => ({ ...(raw[i] ?? { kind: k }), ...(shrinkable[i] ? faults.get(k)!.explicit!(minimal.filter((e) => e.fault === i).map((e) => e.id)) : {}) }));
  return { original: first, from: events.length, to: minimal.length, kept, tests, faults: shrunk, sets, record, replay: record.replay };
}

/** ddmin: the smallest subset (no one element can go) for which `fails` holds, given it holds
 *  for all of `items` and not for none. */
export function ddmin<T>(items: T[], fails: (subset: T[]) => boolean): T[] {
  let c = items;
  let n = 2;
  while (c.length >= 2) {
    const size = Math.ceil(c.length / n);
    const chunks = Array.from({ length: Math.ceil(c.length / size) }, (_, i) => c.slice(i * size, (i + 1) * size));
    const chunk = chunks.find((d) => fails(d));
    if (chunk) {
      c = chunk;
      n = 2;
      continue;
    }
    const complement = chunks.length > 2 ? chunks.map((_, i) => chunks.filter((_, j) => j !== i).flat()).find((d) => fails(d)) : undefined;
    if (complement) {
      c = complement;
      n = Math.max(n - 1, 2);
      continue;
    }
    if (n >= c.length) break;
    n = Math.min(c.length, 2 * n);
  }
  return c;
}

/** The shrunk schedule as the experiment's faults, in YAML. */
export const scheduleYaml = (r: ShrinkResult) => stringify({ faults: r.faults }, { flow: false }).trimEnd();
