// Gates: pass/fail conditions on a summary. A failure-rate gate may use the Wilson bound, so
// "no worse than 1% at 95%" is `failureRate: high, max: 0.01`.
import { holds } from '../experiment/expr.js';
import type { Plan } from '../experiment/load.js';
import type { Gate } from '../experiment/schema.js';
import type { CellSummary, Summary } from './summary.js';

export interface GateResult {
  gate: string;
  cell: string;
  pass: boolean;
  value: number;
  bound: string;
}

export function gateName(g: Gate): string {
  if (g.name) return g.name;
  const what = g.outcome ? `${g.outcome} count` : g.failureRate ? `failure rate (${g.failureRate})` : `${g.metric} ${g.stat}`;
  return [what, g.min !== undefined ? `>= ${g.min}` : '', g.max !== undefined ? `<= ${g.max}` : ''].filter(Boolean).join(' ');
}

export function evaluateGates(plan: Plan, summary: Summary): GateResult[] {
  const results: GateResult[] = [];
  for (const g of plan.gates) {
    for (const c of summary.cells) {
      if (g.where && !holds(g.where, c.params)) continue;
      const value = valueOf(g, c);
      if (value === undefined) continue;
      const pass = (g.min === undefined || value >= g.min) && (g.max === undefined || value <= g.max);
      results.push({ gate: gateName(g), cell: c.id, pass, value, bound: [g.min !== undefined ? `min ${g.min}` : '', g.max !== undefined ? `max ${g.max}` : ''].filter(Boolean).join(', ') });
    }
  }
  return results;
}

function valueOf(g: Gate, c: CellSummary): number | undefined {
  if (g.outcome) return c.outcomes[g.outcome];
  if (g.failureRate) return c.failureRate[g.failureRate];
  return c.metrics[g.metric!]?.[g.stat];
}
