// Sequential qualification: run seeds in rounds and add them only to cells whose gates are still
// open, so a decision costs the trials it needs and no more. A count gate (`crash.count == 0`)
// fails at its first excess failure and passes once the experiment's seeds ran clean; a rate gate
// (`hang.high < 1e-3`) passes once the 95% Wilson upper bound is below its bound and fails once
// even the lower bound is not; any other gate is judged at the experiment's seeds. A cell still
// open at --max-seeds is undecided, which is not a pass.
//
// Each round is a pure function of the records of the seeds before it, so a resumed qualify walks
// the same rounds and reaches the same decisions; trials already on disk are never run again.
import type { MathNode } from 'mathjs';
import type { Cell, Plan } from '../experiment/load.js';
import { checkGate, compileGates, gateCells, gateVerdict, type CompiledGate, type GateResult } from '../report/gates.js';
import { wilson } from '../report/stats.js';
import { summarizeRun, type Summary } from '../report/summary.js';
import { execute, trialPool, type ExecuteOptions, type TrialPool } from './runner.js';
import { InputError } from '../errors.js';
import { join } from 'node:path';
import { readTrials, shownPath, SUMMARY, writeAtomic } from './store.js';
import type { TrialRecord } from './trial.js';

export type Verdict = 'pass' | 'fail' | 'undecided';

export interface CellDecision {
  cell: string;
  /** The seeds the decision needed. */
  seeds: number;
  verdict: Verdict;
  /** Why it stopped where it did, in words. */
  why: string;
}

export interface Qualification {
  summary: Summary;
  records: TrialRecord[];
  gates: GateResult[];
  decisions: CellDecision[];
  rounds: number;
}

/** How a gate can be decided before the experiment's seeds have all run. */
type Form =
  | { kind: 'count'; cls: string; max: number }
  | { kind: 'upper'; cls: string; bound: number; strict: boolean }
  | { kind: 'final' };

const FIRST_ROUND = 10;

export function formOf(g: CompiledGate): Form {
  let n = g.tree as MathNode & Record<string, any>;
  while (n.type === 'ParenthesisNode') n = n.content;
  if (n.type !== 'OperatorNode' || n.args.length !== 2) return { kind: 'final' };
  const [lhs, rhs] = n.args as (MathNode & Record<string, any>)[];
  let constant = true;
  rhs.traverse((x) => (constant &&= x.type !== 'SymbolNode'));
  if (!constant || lhs.type !== 'AccessorNode' || lhs.object.type !== 'SymbolNode' || !lhs.index.dotNotation || !g.reads.classes.has(lhs.object.name)) return { kind: 'final' };
  const b = Number(g.evaluate({}, rhs));
  const stat = String(lhs.index.dimensions[0].value);
  if (stat === 'count' && (n.fn === 'smallerEq' || n.fn === 'smaller' || (n.fn === 'equal' && b === 0))) {
    return { kind: 'count', cls: lhs.object.name, max: n.fn === 'smaller' ? Math.ceil(b) - 1 : Math.floor(b) };
  }
  if (stat === 'high' && (n.fn === 'smaller' || n.fn === 'smallerEq')) return { kind: 'upper', cls: lhs.object.name, bound: b, strict: n.fn === 'smaller' };
  return { kind: 'final' };
}

/** The fewest trials, from n on, after which x failures give a Wilson upper bound below `bound`. */
export function trialsToPass(x: number, n: number, f: Extract<Form, { kind: 'upper' }>, cap: number): number {
  const ok = (m: number) => (f.strict ? wilson(x, m).high < f.bound : wilson(x, m).high <= f.bound);
  if (ok(n)) return n;
  let hi = Math.max(n, 1);
  while (!ok(hi) && hi < cap) hi = Math.min(cap, hi * 2);
  if (!ok(hi)) return cap;
  let lo = n;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The i-th seed of a cell: the experiment's seeds first, then the integers after the largest. */
export function seedAt(plan: Plan, i: number): number {
  return i < plan.seeds.length ? plan.seeds[i] : Math.max(...plan.seeds) + (i - plan.seeds.length + 1);
}

interface GateState {
  result: GateResult;
  state: Verdict | 'open';
  /** For an open gate: the trial count at which it could next be decided. */
  next: number;
}

function gateState(form: Form, r: GateResult, n: number, budget: number, maxSeeds: number, counts: Record<string, number>): GateState {
  const grow = Math.min(Math.max(2 * n, FIRST_ROUND), maxSeeds);
  if (form.kind === 'count') {
    if (counts[form.cls] > form.max) return { result: r, state: 'fail', next: n };
    return n >= budget ? { result: r, state: 'pass', next: n } : { result: r, state: 'open', next: Math.min(grow, budget) };
  }
  if (form.kind === 'upper') {
    if (r.pass) return { result: r, state: 'pass', next: n };
    const low = wilson(counts[form.cls], n).low;
    if (form.strict ? low >= form.bound : low > form.bound) return { result: r, state: 'fail', next: n };
    if (n >= maxSeeds) return { result: r, state: 'undecided', next: n };
    return { result: r, state: 'open', next: Math.min(grow, trialsToPass(counts[form.cls], n + 1, form, maxSeeds)) };
  }
  if (n >= budget) return { result: r, state: r.pass ? 'pass' : 'fail', next: n };
  return { result: r, state: 'open', next: budget };
}

export interface QualifyOptions extends ExecuteOptions {
  maxSeeds: number;
  /** false: walk the rounds on the trials already recorded, run none (`faultsweep report`). */
  run?: boolean;
  /** Told before each round: its number, the cells still open, and the trials it adds. */
  onRound?(round: number, open: number, trials: number): void;
  /** Runs a round's trials elsewhere (a Slurm job array) and returns every record of the folder;
   *  without it they run on this machine's worker threads. */
  runRound?(round: number, want: Map<string, number[]>): Promise<TrialRecord[]>;
}

export async function qualify(plan: Plan, dir: string, opts: QualifyOptions): Promise<Qualification> {
  const gates = compileGates(plan).map((g) => ({ g, form: formOf(g), cells: new Set(gateCells(plan, g).map((c) => c.id)) }));
  const budget = Math.min(plan.seeds.length, opts.maxSeeds);
  // How many seeds each cell has been given so far; the walk starts again from nothing on resume.
  const given = new Map(plan.cells.map((c) => [c.id, 0]));
  const decided = new Map<string, CellDecision>();
  let records = readTrials(dir).records;
  let rounds = 0;
  let last: GateResult[] = [];
  let pool: TrialPool | undefined;
  try {
    for (;;) {
      const bySeed = new Map(records.map((r) => [`${r.cell}/${r.seed}`, r]));
      // Gates read cell summaries only: the paired comparison waits for the final summary.
      const summary = summarizeRun({ ...plan, compare: undefined }, givenRecords(plan, records, given));
      const byId = new Map(summary.cells.map((c) => [c.id, c]));
      const targets = new Map<string, number>();
      last = [];
      for (const cell of plan.cells) {
        const n = given.get(cell.id)!;
        if (n === 0) {
          targets.set(cell.id, Math.min(FIRST_ROUND, budget));
          continue;
        }
        const c = byId.get(cell.id)!;
        const counts: Record<string, number> = { ...c.outcomes, failure: c.trials - c.outcomes.ok };
        const states = gates.filter((x) => x.cells.has(cell.id)).map((x) => gateState(x.form, checkGate(plan, x.g, c, byId), n, budget, opts.maxSeeds, counts));
        last.push(...states.map((s) => s.result));
        const open = states.filter((s) => s.state === 'open');
        const failed = states.find((s) => s.state === 'fail');
        if (failed || !open.length) {
          if (!failed && n < budget) targets.set(cell.id, budget); // no gate: the experiment's seeds
          else decided.set(cell.id, decision(cell, n, states, budget));
          continue;
        }
        targets.set(cell.id, Math.max(n + 1, Math.min(...open.map((s) => s.next))));
      }
      if (targets.size === 0) break;
      // The trials this round adds; those already recorded (a resumed qualify) are not run again.
      const want = new Map<string, number[]>();
      for (const [id, t] of targets) want.set(id, Array.from({ length: t - given.get(id)! }, (_, i) => seedAt(plan, given.get(id)! + i)));
      const missing = [...want].reduce((k, [id, seeds]) => k + seeds.filter((s) => !bySeed.has(`${id}/${s}`)).length, 0);
      rounds++;
      if (missing > 0) {
        if (opts.run === false) throw new InputError(`${shownPath(dir)}: this qualify stopped before round ${rounds} ran; finish it with faultsweep qualify --resume ${shownPath(dir)}`);
        opts.onRound?.(rounds, targets.size, missing);
        if (opts.runRound) records = await opts.runRound(rounds, want);
        else {
          pool ??= trialPool(opts.jobs);
          ({ records } = await execute(plan, dir, { ...opts, pool }, (cell: Cell) => want.get(cell.id) ?? []));
        }
      }
      for (const [id, t] of targets) given.set(id, t);
    }
  } finally {
    await pool?.destroy();
  }
  // The records the decisions were made on; summary.json says the same.
  const used = givenRecords(plan, records, given);
  const summary = summarizeRun(plan, used);
  writeAtomic(join(dir, SUMMARY), JSON.stringify(summary, null, 1) + '\n');
  return { summary, records: used, gates: last, decisions: plan.cells.map((c) => decided.get(c.id)!), rounds };
}

/** The records of the seeds each cell has been given so far. */
function givenRecords(plan: Plan, records: TrialRecord[], given: Map<string, number>): TrialRecord[] {
  const seeds = new Map([...given].map(([id, n]) => [id, new Set(Array.from({ length: n }, (_, i) => seedAt(plan, i)))]));
  return records.filter((r) => seeds.get(r.cell)?.has(r.seed));
}

function decision(cell: Cell, n: number, states: GateState[], budget: number): CellDecision {
  const at = (s: GateState) => `${s.result.gate}: ${gateVerdict(s.result)}`;
  const failed = states.find((s) => s.state === 'fail');
  if (failed) return { cell: cell.id, seeds: n, verdict: 'fail', why: at(failed) };
  const undecided = states.find((s) => s.state === 'undecided');
  if (undecided) return { cell: cell.id, seeds: n, verdict: 'undecided', why: `still undecided at --max-seeds ${n}: ${at(undecided)}` };
  if (n > budget) return { cell: cell.id, seeds: n, verdict: 'pass', why: states.map(at).join('; ') };
  return { cell: cell.id, seeds: n, verdict: 'pass', why: states.length ? `${states.length === 1 ? 'its gate' : `all ${states.length} gates`} passed at the experiment's ${budget} seeds` : `no gate; ran the experiment's ${budget} seeds` };
}
