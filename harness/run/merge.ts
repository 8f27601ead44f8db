// Joins the shard folders of one run (`run --shard I/N`) into the plan and records of the run
// that was never split: the same trials.jsonl records and summary.json. Only shards of one
// experiment, with the same overrides, seeds and code, each given once and each complete, merge;
// anything else is refused with what is wrong and, for a gap, the (cell, seed) pairs missing.
import { InputError } from '../errors.js';
import { canonicalJson } from '../canonical-json.js';
import type { Plan } from '../experiment/load.js';
import { versionText } from '../version.js';
import { partition, seedRanges, shardName } from './shard.js';
import { shownPath } from './store.js';
import type { TrialRecord } from './trial.js';

export interface ShardFolder {
  dir: string;
  plan: Plan;
  records: TrialRecord[];
}

/** The ways two shards' plans can differ, in the order a user would look for them. */
const SAME: [string, (p: Plan) => unknown][] = [
  ['experiment', (p) => p.experiment],
  ['overrides (--set, --where)', (p) => [p.sets, p.where ?? null]],
  ['seeds', (p) => p.seeds],
  ['number of shards', (p) => p.shard?.count],
  ['faultsweep version', (p) => p.version ?? null],
  ['cells (the experiment or a profile it names changed between them)', (p) => p.cells],
  ['gates or comparison', (p) => [p.gates, p.compare ?? null]],
];

const SHOWN_CELLS = 20;
const SHOWN_SEEDS = 16;

/** Per cell, the seeds in `wanted` and not in `have`, as "cell ID: seeds 1-4, 9" lines. */
function pairsText(plan: Plan, wanted: Map<string, number[]>, have: Set<string>): { lines: string[]; count: number } {
  const lines: string[] = [];
  let count = 0;
  let cells = 0;
  for (const cell of plan.cells) {
    const missing = (wanted.get(cell.id) ?? []).filter((s) => !have.has(`${cell.id}/${s}`));
    if (!missing.length) continue;
    count += missing.length;
    if (++cells > SHOWN_CELLS) continue;
    const more = missing.length > SHOWN_SEEDS ? `, ... (${missing.length} in all)` : '';
    lines.push(`  cell ${cell.id}: seed${missing.length === 1 ? '' : 's'} ${seedRanges(missing.slice(0, SHOWN_SEEDS))}${more}`);
  }
  if (cells > SHOWN_CELLS) lines.push(`  ... and ${cells - SHOWN_CELLS} more cells`);
  return { lines, count };
}

export function mergeShards(shards: ShardFolder[]): { plan: Plan; records: TrialRecord[] } {
  for (const s of shards) if (!s.plan.shard) throw new InputError(`${shownPath(s.dir)}: not a shard (faultsweep run --shard I/N makes one)`);
  const [first] = shards;
  for (const s of shards.slice(1)) {
    for (const [what, key] of SAME) {
      if (canonicalJson(key(s.plan)) === canonicalJson(key(first.plan))) continue;
      const shown = what === 'faultsweep version' ? ` (${versionText(first.plan.version)} and ${versionText(s.plan.version)})` : what === 'experiment' ? ` (${first.plan.experiment} and ${s.plan.experiment})` : '';
      throw new InputError(`merge: ${shownPath(first.dir)} and ${shownPath(s.dir)} differ in their ${what}${shown}; only shards of one run merge`);
    }
  }
  const count = first.plan.shard!.count;
  const byIndex = new Map<number, ShardFolder>();
  for (const s of shards) {
    const other = byIndex.get(s.plan.shard!.index);
    if (other) throw new InputError(`merge: shard ${shardName(s.plan.shard!)} is given twice (${shownPath(other.dir)} and ${shownPath(s.dir)}); their trials would overlap`);
    byIndex.set(s.plan.shard!.index, s);
  }

  const { shard: _shard, ...plan } = first.plan;
  const parts = partition(plan, count);
  const have = new Set<string>();
  for (const s of shards) {
    const mine = new Set([...parts.seeds[s.plan.shard!.index]].flatMap(([cell, seeds]) => seeds.map((seed) => `${cell}/${seed}`)));
    for (const r of s.records) {
      if (!mine.has(`${r.cell}/${r.seed}`)) throw new InputError(`merge: ${shownPath(s.dir)} holds cell ${r.cell} seed ${r.seed}, which is not shard ${shardName(s.plan.shard!)}'s; the folder was not made by faultsweep run --shard`);
      have.add(`${r.cell}/${r.seed}`);
    }
  }

  const gaps: string[] = [];
  let missingPairs = 0;
  for (let i = 0; i < count; i++) {
    const { lines, count: n } = pairsText(plan, parts.seeds[i], have);
    if (!n) continue;
    missingPairs += n;
    const s = byIndex.get(i);
    const head = s ? `shard ${i}/${count} (${shownPath(s.dir)}) lacks ${n} trials; finish it with: faultsweep run --resume ${shownPath(s.dir)}` : `shard ${i}/${count} is missing: ${n} trials; run it as the others were run, with --shard ${i}/${count}`;
    gaps.push(head, ...lines);
  }
  if (gaps.length) throw new InputError(`merge: ${missingPairs} (cell, seed) pairs of ${plan.experiment} are in none of the ${shards.length} folders given:\n${gaps.join('\n')}`);

  // One record per (cell, seed), in the plan's order, whatever order the shards finished in.
  const index = new Map(plan.cells.map((c, i) => [c.id, i]));
  const records = shards.flatMap((s) => s.records).sort((a, b) => index.get(a.cell)! - index.get(b.cell)! || a.seed - b.seed);
  return { plan, records };
}
