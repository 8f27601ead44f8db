// Run-time estimate for --dry-run, from the wall time earlier runs of the same experiment took
// per trial (their records' host.wallMs); nothing is run to make it.
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Plan } from '../experiment/load.js';
import { readTrials } from './store.js';

export function estimateSeconds(plan: Plan, jobs = availableParallelism(), results = resolve('results')): { seconds: number | undefined; text: string } {
  const root = join(results, plan.experiment);
  const runs = existsSync(root) ? readdirSync(root).sort().reverse() : [];
  const perCell = new Map<string, number[]>();
  let unreadable = 0;
  for (const run of runs.slice(0, 5)) {
    let records;
    try {
      ({ records } = readTrials(join(root, run)));
    } catch {
      unreadable++; // a damaged old run says nothing about time; it must not stop a new one
      continue;
    }
    for (const r of records) if (r.host) perCell.set(r.cell, [...(perCell.get(r.cell) ?? []), r.host.wallMs]);
  }
  // A cell's id is a hash of its whole configuration: only a cell that ran before says anything
  // about its time (a 16-rank run of an experiment says nothing about its 1024-rank cells).
  const timed = plan.cells.filter((c) => perCell.has(c.id));
  if (timed.length === 0) return { seconds: undefined, text: `unknown: none of these cells of '${plan.experiment}' ran before (results/ keeps earlier runs to time them from)` };
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ms = timed.reduce((sum, c) => sum + avg(perCell.get(c.id)!) * plan.seeds.length, 0);
  const trials = timed.reduce((n, c) => n + perCell.get(c.id)!.length, 0);
  const seconds = ms / 1000 / jobs;
  const untimed = plan.cells.length - timed.length;
  const missing = (untimed ? `; ${untimed} of ${plan.cells.length} cells never ran and are not counted` : '') + (unreadable ? `; ${unreadable} unreadable runs skipped` : '');
  return { seconds, text: `about ${seconds < 1 ? seconds.toFixed(2) : seconds.toFixed(0)} s on ${jobs} worker thread${jobs === 1 ? '' : 's'} (from ${trials} trials of earlier runs${missing})` };
}
