// Run-time estimate for --dry-run, from the wall time earlier runs of the same experiment took
// per trial (their records' host.wallMs); nothing is run to make it.
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Plan } from '../experiment/load.js';
import { projectRoot } from '../registry.js';
import { readTrials } from './store.js';

export function estimateSeconds(plan: Plan, jobs = availableParallelism()): { seconds: number | undefined; text: string } {
  const root = join(projectRoot, 'results', plan.experiment);
  const runs = existsSync(root) ? readdirSync(root).sort().reverse() : [];
  const perCell = new Map<string, number[]>();
  for (const run of runs.slice(0, 5)) {
    for (const r of readTrials(join(root, run))) if (r.host) perCell.set(r.cell, [...(perCell.get(r.cell) ?? []), r.host.wallMs]);
  }
  const all = [...perCell.values()].flat();
  if (all.length === 0) return { seconds: undefined, text: `unknown: no earlier run of '${plan.experiment}' in results/ to time it from` };
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const fallback = avg(all);
  const ms = plan.cells.reduce((sum, c) => sum + (perCell.has(c.id) ? avg(perCell.get(c.id)!) : fallback) * plan.seeds.length, 0);
  const seconds = ms / 1000 / jobs;
  return { seconds, text: `about ${seconds < 1 ? seconds.toFixed(2) : seconds.toFixed(0)} s on ${jobs} worker threads (from ${all.length} trials of earlier runs)` };
}
