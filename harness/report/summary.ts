// trials.jsonl -> summary.json: per cell, outcome counts, the failure rate with its Wilson
// interval, metric statistics, and failures grouped by signature with one replay command each.
import { workloads } from '../registry.js';
import type { Cell, Params, Plan } from '../experiment/load.js';
import type { Outcome } from '../sim/simulation.js';
import type { TrialRecord } from '../run/trial.js';
import { comparePaired, type Comparison } from './compare.js';
import { classRate, summarize, wilson, type ClassRate, type Interval, type MetricSummary } from './stats.js';

export interface CellSummary {
  id: string;
  params: Params;
  trials: number;
  outcomes: Record<Outcome, number>;
  failureRate: Interval;
  /** Per outcome class, and any failure: count, rate, 95% Wilson interval (rule of three at 0). */
  classes: Record<'error' | 'hang' | 'crash' | 'failure', ClassRate>;
  metrics: Record<string, MetricSummary>;
  /** Fault coverage: per injected fault, its firings in all, the trials it fired in, by phase. */
  faults: Record<string, FaultCoverage>;
  failures: { signature: string; class: string; outcome: Outcome; count: number; replay: string }[];
}

export interface FaultCoverage {
  fired: number;
  trials: number;
  phases: Record<string, number>;
}

export interface Summary {
  experiment: string;
  cells: CellSummary[];
  comparisons?: Comparison[];
}

const COMMON_UNITS: Record<string, string> = { simSeconds: 's', events: 'events' };

export function unitOf(cell: Cell, metric: string): string {
  return workloads.get(cell.workload.kind)?.units[metric] ?? COMMON_UNITS[metric] ?? (metric.startsWith('fault.') ? 'firings' : '');
}

export function summarizeRun(plan: Plan, records: TrialRecord[]): Summary {
  const byCell = new Map<string, TrialRecord[]>();
  for (const r of records) {
    const rs = byCell.get(r.cell);
    if (rs) rs.push(r);
    else byCell.set(r.cell, [r]);
  }
  const cells = plan.cells.map((cell): CellSummary => {
    const rs = [...(byCell.get(cell.id) ?? [])].sort((a, b) => a.seed - b.seed);
    const outcomes: Record<Outcome, number> = { ok: 0, error: 0, hang: 0, crash: 0 };
    for (const r of rs) outcomes[r.outcome]++;
    const seen = new Set<string>();
    for (const r of rs) for (const k in r.metrics) seen.add(k);
    const names = [...seen].sort();
    const metrics = Object.fromEntries(
      names.map((m) => [m, summarize(rs.map((r) => r.metrics[m]).filter((v) => v !== undefined), unitOf(cell, m))]),
    );
    const groups = new Map<string, CellSummary['failures'][number]>();
    for (const r of rs) {
      if (!r.failure) continue;
      const g = groups.get(r.failure.signature);
      if (g) g.count++;
      else groups.set(r.failure.signature, { signature: r.failure.signature, class: r.failure.class, outcome: r.outcome, count: 1, replay: r.replay });
    }
    const faults: Record<string, FaultCoverage> = {};
    for (const f of cell.faults) faults[f.kind] ??= { fired: 0, trials: 0, phases: {} };
    for (const r of rs) {
      const fired = new Set<string>();
      for (const [name, n] of Object.entries(r.metrics)) {
        const [, kind, phase] = /^fault\.([^.]+)\.(.+)$/.exec(name) ?? [];
        if (!kind || !faults[kind] || !n) continue;
        faults[kind].fired += n;
        faults[kind].phases[phase] = (faults[kind].phases[phase] ?? 0) + n;
        fired.add(kind);
      }
      for (const kind of fired) faults[kind].trials++;
    }
    return {
      id: cell.id,
      params: cell.params,
      trials: rs.length,
      outcomes,
      failureRate: wilson(rs.length - outcomes.ok, rs.length),
      classes: {
        error: classRate(outcomes.error, rs.length),
        hang: classRate(outcomes.hang, rs.length),
        crash: classRate(outcomes.crash, rs.length),
        failure: classRate(rs.length - outcomes.ok, rs.length),
      },
      metrics,
      faults,
      failures: [...groups.values()].sort((a, b) => b.count - a.count || a.signature.localeCompare(b.signature)),
    };
  });
  if (!plan.compare) return { experiment: plan.experiment, cells };
  const metrics = plan.compare.metrics ?? [...new Set(plan.cells.flatMap((c) => workloads.get(c.workload.kind)?.headline ?? []))];
  return { experiment: plan.experiment, cells, comparisons: comparePaired(plan.compare, plan.cells, records, metrics) };
}
