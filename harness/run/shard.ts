// Shards: a deterministic partition of a plan's (cell, seed) trials into N parts of about equal
// estimated cost, the same whoever computes it and however many cores they have, so each task of
// a job array finds its own part from the plan alone. Largest trials first, each to the part with
// the least cost so far (ties: the lower index), so no part is left with only the expensive cells.
import { InputError } from '../errors.js';
import type { Cell, Plan } from '../experiment/load.js';
import { workloads } from '../registry.js';

export interface ShardSpec {
  index: number;
  count: number;
}

export function parseShard(text: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const [index, count] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(count >= 1 && index < count)) throw new InputError(`--shard ${text}: expected I/N with 0 <= I < N, e.g. 0/4 for the first of four shards`);
  return { index, count };
}

export const shardName = (s: ShardSpec) => `${s.index}/${s.count}`;

/** A trial's estimated cost: its workload's own estimate, else 1. */
export function cellCost(cell: Cell): number {
  return workloads.get(cell.workload.kind)?.cost?.(cell.workload) ?? 1;
}

export interface Partition {
  /** Per shard, the seeds it runs of each cell (cell id -> seeds, ascending). */
  seeds: Map<string, number[]>[];
  /** Per shard, its estimated cost and its number of trials. */
  cost: number[];
  trials: number[];
}

type Trials = Pick<Plan, 'cells' | 'seeds' | 'only'>;

/** The seeds of a cell that a plan runs before any sharding. */
const allSeeds = (plan: Trials) => (cell: Cell) => (plan.only ? (plan.only[cell.id] ?? []) : plan.seeds);

export function partition(plan: Trials, count: number): Partition {
  const total = trialCount(plan.cells, allSeeds(plan));
  if (count > total) throw new InputError(`${count} shards for ${total} trials: a shard needs at least one trial, so give at most ${total}`);
  const costs = plan.cells.map(cellCost);
  const order = plan.cells.map((_, i) => i).sort((a, b) => costs[b] - costs[a] || a - b);
  const seeds = Array.from({ length: count }, () => new Map<string, number[]>());
  const cost = new Array<number>(count).fill(0);
  const trials = new Array<number>(count).fill(0);
  const seedsOf = allSeeds(plan);
  for (const i of order) {
    for (const seed of seedsOf(plan.cells[i])) {
      let least = 0;
      for (let s = 1; s < count; s++) if (cost[s] < cost[least]) least = s;
      cost[least] += costs[i];
      trials[least]++;
      const mine = seeds[least].get(plan.cells[i].id);
      if (mine) mine.push(seed);
      else seeds[least].set(plan.cells[i].id, [seed]);
    }
  }
  for (const m of seeds) for (const list of m.values()) list.sort((a, b) => a - b);
  return { seeds, cost, trials };
}

/** The seeds of each cell that a results folder's plan runs: all of them, or its shard's. */
export function planSeeds(plan: Trials & Pick<Plan, 'shard'>): (cell: Cell) => number[] {
  if (!plan.shard) return allSeeds(plan);
  const mine = partition(plan, plan.shard.count).seeds[plan.shard.index];
  return (cell) => mine.get(cell.id) ?? [];
}

/** How many trials the cells have, `seedsOf` each. */
export const trialCount = (cells: Cell[], seedsOf: (cell: Cell) => number[]) => cells.reduce((n, c) => n + seedsOf(c).length, 0);

/** "0-3, 7, 9-12": a seed list as ranges, for messages. */
export function seedRanges(seeds: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < seeds.length; ) {
    let j = i;
    while (j + 1 < seeds.length && seeds[j + 1] === seeds[j] + 1) j++;
    parts.push(j === i ? `${seeds[i]}` : `${seeds[i]}-${seeds[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
