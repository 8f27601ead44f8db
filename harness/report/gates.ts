// Gates: pass/fail conditions on a summary. A failure-rate gate may use the Wilson bound, so
// "no worse than 1% at 95%" is `failureRate: high, max: 0.01`. A gate that examined nothing (no
// cell matched, no trial ran, no trial reported its metric) fails: silence is not a pass.
import { condition } from '../experiment/expr.js';
import type { Plan } from '../experiment/load.js';
import type { Gate } from '../experiment/schema.js';
import type { CellSummary, Summary } from './summary.js';

export interface GateResult {
  gate: string;
  /** The cell checked, or '-' when the gate matched no cell. */
  cell: string;
  pass: boolean;
  /** The value checked; NaN when there was nothing to check. */
  value: number;
  bound: string;
}

export function gateName(g: Gate): string {
  if (g.name) return g.name;
  const what = g.outcome ? `${g.outcome} count` : g.failureRate ? `failure rate (${g.failureRate})` : `${g.metric} ${g.stat}`;
  return [what, g.min !== undefined ? `>= ${g.min}` : '', g.max !== undefined ? `<= ${g.max}` : ''].filter(Boolean).join(' ');
}

export function evaluateGates(plan: Plan, summary: Summary): GateResult[] {
  const axes = [...new Set(plan.cells.flatMap((c) => Object.keys(c.params)))];
  const results: GateResult[] = [];
  for (const g of plan.gates) {
    const gate = gateName(g);
    const bound = [g.min !== undefined ? `min ${g.min}` : '', g.max !== undefined ? `max ${g.max}` : ''].filter(Boolean).join(', ');
    const test = g.where === undefined ? () => true : condition(g.where, axes);
    const cells = summary.cells.filter((c) => test(c.params));
    if (cells.length === 0) results.push({ gate, cell: '-', pass: false, value: NaN, bound: `${bound}; matched no cell` });
    for (const c of cells) {
      const value = valueOf(g, c);
      if (value === undefined) {
        results.push({ gate, cell: c.id, pass: false, value: NaN, bound: `${bound}; ${c.trials === 0 ? 'no trials ran' : `no trial reported ${g.metric}`}` });
        continue;
      }
      const pass = (g.min === undefined || value >= g.min) && (g.max === undefined || value <= g.max);
      results.push({ gate, cell: c.id, pass, value, bound });
    }
  }
  return results;
}

function valueOf(g: Gate, c: CellSummary): number | undefined {
  if (c.trials === 0) return undefined;
  if (g.outcome) return c.outcomes[g.outcome];
  if (g.failureRate) return c.failureRate[g.failureRate];
  return c.metrics[g.metric!]?.[g.stat];
}
