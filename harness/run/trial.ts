// One trial: a fresh Simulation(seed) with the cell's system, workload and faults, run to its end.
// A pure function of (cell, seed, code version); everything that depends on the machine running
// it goes under `host`.
import { createHash } from 'node:crypto';
import { faults, systems, workloads } from '../registry.js';
import { canonicalJson } from '../canonical-json.js';
import type { Cell, Params, Plan } from '../experiment/load.js';
import { Simulation, type Failure, type Outcome } from '../sim/simulation.js';
import type { Tracer } from '../sim/trace.js';
import { shellQuote } from '../shell-quote.js';
import { shownPath } from './store.js';

export interface TrialRecord {
  cell: string;
  params: Params;
  seed: number;
  outcome: Outcome;
  failure: Omit<Failure, 'outcome'> | null;
  metrics: Record<string, number>;
  digest: string;
  replay: string;
  host?: { wallMs: number; worker: number };
}

export interface TrialJob {
  cell: Cell;
  seed: number;
  /** The replay command without its --cell/--seed/--digest part. */
  replayBase: string;
}

/** The replay command of a plan's trials, without its --cell/--seed/--digest part. */
export function replayBase(plan: Pick<Plan, 'file' | 'sets' | 'where'>): string {
  const args = ['faultsweep', 'replay', shownPath(plan.file)];
  for (const s of plan.sets) args.push('--set', s);
  if (plan.where) args.push('--where', plan.where);
  return args.map(shellQuote).join(' ');
}

/** What a replay may watch in a trial without changing it: its timeline, and what each fault fired. */
export interface Observer {
  tracer?: Tracer;
  /** Called after the trial with each fault's index in the cell and its schedule (FaultRun.schedule). */
  schedules?(index: number, ids: unknown[] | undefined): void;
}

export function runTrial(job: TrialJob, observer: Observer = {}): TrialRecord {
  const { cell, seed } = job;
  const sim = new Simulation(seed, cell.limits);
  sim.tracer = observer.tracer;
  const system = systems.get(cell.system)!.build(sim, cell.profile, cell.kernel);
  const plugin = workloads.get(cell.workload.kind)!;
  const workload = plugin.start(sim, system, cell.workload);
  const armed = cell.faults.map((f) => ({ kind: f.kind, run: faults.get(f.kind)!.arm(sim, system, f) }));
  const result = sim.run();
  armed.forEach(({ run }, i) => observer.schedules?.(i, run.schedule?.()));

  const metrics: Record<string, number> = { ...workload.metrics(), simSeconds: result.endNs / 1e9, events: result.events };
  for (const { kind, run } of armed) {
    for (const [phase, n] of Object.entries(run.fired())) metrics[`fault.${kind}.${phase}`] = (metrics[`fault.${kind}.${phase}`] ?? 0) + n;
  }
  const failure = result.failure && { class: result.failure.class, signature: result.failure.signature, atNs: result.failure.atNs, log: result.failure.log };
  const digest = plugin.real ? hash({ plan: workload.plan?.() }) : hash({ events: result.digest, outcome: result.outcome, failure, metrics });
  return {
    cell: cell.id,
    params: cell.params,
    seed,
    outcome: result.outcome,
    failure,
    metrics,
    digest,
    replay: `${job.replayBase} --cell ${cell.id} --seed ${seed} --digest ${digest}`,
  };
}

/** What a replay must reproduce: the event stream and everything the trial concluded from it
 *  (two trials with one event stream but another outcome, console or metric are not the same);
 *  of a real command, what it was asked to do. */
function hash(what: object): string {
  return createHash('sha256').update(canonicalJson(what)).digest('hex').slice(0, 16);
}
