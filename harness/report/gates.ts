// Gates: conditions on a cell's statistics that decide a run. A gate is a mathjs condition over
// the names below (`hang.high < 1e-3`, `crash.count == 0`, `fault["dropped-cqe"].fired > 0`,
// `remoteRequestsPerSec.mean >= 0.95 * baseline.remoteRequestsPerSec.mean`); the older min/max
// form is translated to the same condition, so both take one path. A gate that examined nothing
// (no cell matched, no trial ran, no trial reported its metric, its fault never fired) fails as
// vacuous: silence is not a pass.
import type { MathNode } from 'mathjs';
import { checkedExpression, condition } from '../experiment/expr.js';
import { metricNames, type Cell, type Plan } from '../experiment/load.js';
import type { Gate } from '../experiment/schema.js';
import { baselineCell } from './compare.js';
import type { CellSummary, Summary } from './summary.js';
import { classRate } from './stats.js';
import { fmt } from './table.js';

/** Outcome classes a gate can read: each is { count, rate, low, high } over the cell's trials. */
export const GATE_CLASSES = ['ok', 'error', 'hang', 'crash', 'failure'] as const;
type GateClass = (typeof GATE_CLASSES)[number];
/** Names a gate reads besides metrics: classes, trials, fault["kind"], metric["name"], baseline. */
const RESERVED = new Set<string>([...GATE_CLASSES, 'trials', 'fault', 'metric', 'baseline']);

export interface GateResult {
  gate: string;
  check: string;
  /** The cell checked, or '-' when the gate matched no cell. */
  cell: string;
  pass: boolean;
  /** The left side of the condition (hang.high, crash.count, ...) and its value; NaN when none. */
  left?: string;
  value: number;
  /** The right side, as "< 0.001"; the whole condition when it is not one comparison. */
  bound: string;
  /** The statistic the gate read, with its interval: "hang 0 of 3,838 trials, 95% [0, 0.000999]". */
  detail: string;
  /** Why the gate examined nothing; such a gate fails. */
  vacuous?: string;
  /** How to see a failing trial of the class the gate reads, when one failed. */
  replay?: string;
}

/** The condition a gate checks, for either way of writing it. */
export function gateCheck(g: Gate): string {
  if (g.check !== undefined) return g.check;
  const lhs = g.outcome ? `${g.outcome}.count` : g.failureRate ? `failure.${g.failureRate}` : /^[A-Za-z_]\w*$/.test(g.metric!) ? `${g.metric}.${g.stat}` : `metric[${JSON.stringify(g.metric)}].${g.stat}`;
  return [g.min !== undefined ? `${lhs} >= ${g.min}` : '', g.max !== undefined ? `${lhs} <= ${g.max}` : ''].filter(Boolean).join(' and ');
}

export function gateName(g: Gate): string {
  return g.name ?? gateCheck(g);
}

/** What a compiled gate reads, to tell a vacuous check from a failed one. */
interface Reads {
  classes: Set<GateClass>;
  metrics: Set<string>;
  faults: Set<string>;
  baseline: Set<string>;
}

export interface CompiledGate {
  gate: Gate;
  name: string;
  check: string;
  tree: MathNode;
  reads: Reads;
  evaluate(scope: Record<string, unknown>, node?: MathNode): unknown;
}

/** Parses and checks a gate's condition; throws the expression's own message on bad input. */
export function compileGate(g: Gate, metrics: Iterable<string>): CompiledGate {
  const check = gateCheck(g);
  const { tree, evaluate } = checkedExpression(check, new Set([...RESERVED, ...metrics]));
  checkFields(tree);
  return { gate: g, name: gateName(g), check, tree, evaluate, reads: readsOf(tree) };
}

/** The values a gate may read of each name: a misspelt one is refused at load, not at the end
 *  of a run. */
const FIELDS = {
  class: ['count', 'rate', 'low', 'high'],
  metric: ['mean', 'median', 'sd', 'p5', 'p95'],
  fault: ['fired', 'trials'],
};

function checkFields(tree: MathNode): void {
  tree.traverse((node) => {
    const n = node as MathNode & Record<string, any>;
    if (n.type !== 'AccessorNode' || !n.index.dotNotation) return;
    const field = String(n.index.dimensions[0].value);
    const obj = n.object as MathNode & Record<string, any>;
    const [what, fields] =
      obj.type === 'SymbolNode' && (GATE_CLASSES as readonly string[]).includes(obj.name) ? [obj.name, FIELDS.class]
      : obj.type === 'SymbolNode' && !RESERVED.has(obj.name) ? [obj.name, FIELDS.metric]
      : obj.type === 'AccessorNode' && obj.object.type === 'SymbolNode' && obj.object.name === 'fault' ? [`fault[${obj.index.dimensions[0].toString()}]`, FIELDS.fault]
      : [undefined, []];
    if (what !== undefined && !fields.includes(field)) throw new Error(`${what} has no '${field}'; it has ${fields.join(', ')}`);
  });
}

function readsOf(tree: MathNode): Reads {
  const reads: Reads = { classes: new Set(), metrics: new Set(), faults: new Set(), baseline: new Set() };
  tree.traverse((node, _path, parent) => {
    const n = node as MathNode & Record<string, any>;
    if (n.type === 'SymbolNode' && !((parent as any)?.type === 'FunctionNode' && (parent as any).fn === n)) {
      if ((GATE_CLASSES as readonly string[]).includes(n.name)) reads.classes.add(n.name);
      else if (!RESERVED.has(n.name)) reads.metrics.add(n.name);
    }
    if (n.type === 'AccessorNode' && n.object.type === 'SymbolNode' && n.index.dimensions[0]?.type === 'ConstantNode') {
      const key = String(n.index.dimensions[0].value);
      if (n.object.name === 'fault') reads.faults.add(key);
      if (n.object.name === 'metric') reads.metrics.add(key);
      if (n.object.name === 'baseline') reads.baseline.add(key);
    }
  });
  return reads;
}

/** Every gate of a plan, compiled once. */
export function compileGates(plan: Pick<Plan, 'gates' | 'cells'>): CompiledGate[] {
  const names = metricNames(plan.cells);
  return plan.gates.map((g) => compileGate(g, names));
}

/** The values a gate reads for one cell. */
function scopeOf(c: CellSummary, faults: string[]): Record<string, unknown> {
  const classes = Object.fromEntries(GATE_CLASSES.map((k) => [k, k === 'ok' ? classRate(c.outcomes.ok, c.trials) : c.classes[k]]));
  const fault = Object.fromEntries(faults.map((k) => [k, c.faults?.[k] ?? { fired: 0, trials: 0, phases: {} }]));
  return { ...c.metrics, ...classes, trials: c.trials, fault, metric: c.metrics };
}

/** The cells a gate examines: those its `where` selects and, for a gate that reads the
 *  baseline, the cells that have one (a baseline set beside itself proves nothing). */
export function gateCells(plan: Plan, g: CompiledGate): Cell[] {
  const axes = [...new Set(plan.cells.flatMap((c) => Object.keys(c.params)))];
  const test = g.gate.where === undefined ? () => true : condition(g.gate.where, axes);
  return plan.cells.filter((c) => test(c.params) && (g.reads.baseline.size === 0 || (plan.compare !== undefined && baselineCell(plan.compare, plan.cells, c) !== undefined)));
}

/** One gate on one cell: its verdict, what it read, and why it is vacuous if it is. */
export function checkGate(plan: Plan, g: CompiledGate, c: CellSummary, byId: Map<string, CellSummary>): GateResult {
  const cell = plan.cells.find((x) => x.id === c.id)!;
  const faults = cell.faults.map((f) => f.kind);
  const baseCell = plan.compare && baselineCell(plan.compare, plan.cells, cell);
  const base = baseCell ? byId.get(baseCell.id) : undefined;
  const scope = { ...scopeOf(c, faults), ...(base ? { baseline: scopeOf(base, baseCell!.faults.map((f) => f.kind)) } : {}) };
  const result: GateResult = { gate: g.name, check: g.check, cell: c.id, pass: false, value: NaN, bound: g.check, detail: detailOf(g, c) };
  const vacuous = vacuity(g, c, base, scope);
  if (vacuous) return { ...result, vacuous };
  const verdict = g.evaluate(scope);
  if (typeof verdict !== 'boolean') return { ...result, vacuous: `the check gives ${String(verdict)}, not true or false` };
  const cmp = comparison(g.tree);
  if (cmp) {
    result.left = cmp.args[0].toString();
    result.value = Number(g.evaluate(scope, cmp.args[0]));
    result.bound = `${cmp.op} ${exact(Number(g.evaluate(scope, cmp.args[1])))}`;
  }
  result.pass = verdict;
  if (!verdict) result.replay = replayOf(g, c);
  return result;
}

function vacuity(g: CompiledGate, c: CellSummary, base: CellSummary | undefined, scope: Record<string, any>): string | undefined {
  if (c.trials === 0) return 'no trials ran';
  for (const m of g.reads.metrics) if (!c.metrics[m]) return `no trial reported ${m}`;
  for (const k of g.reads.faults) {
    if (!(k in scope.fault)) return `the cell injects no fault ${k}`;
    if (scope.fault[k].fired === 0) return `fault ${k} never fired in ${c.trials} trials`;
  }
  if (g.reads.baseline.size) {
    if (!base || base.trials === 0) return 'the baseline cell ran no trials';
    for (const m of g.reads.baseline) if (!RESERVED.has(m) && !base.metrics[m]) return `no baseline trial reported ${m}`;
  }
  return undefined;
}

/** The comparison a condition makes: itself, or the first of an `and` (as min/max gates are). */
function comparison(tree: MathNode): { op: string; args: MathNode[] } | undefined {
  let n = tree as MathNode & Record<string, any>;
  while (n.type === 'ParenthesisNode') n = n.content;
  if (n.type !== 'OperatorNode') return undefined;
  if (n.fn === 'and') return comparison(n.args[0]);
  return ['smaller', 'smallerEq', 'larger', 'largerEq', 'equal', 'unequal'].includes(n.fn) ? { op: n.op, args: n.args } : undefined;
}

/** The statistics a gate read, in words, for its report line and its JUnit message. */
function detailOf(g: CompiledGate, c: CellSummary): string {
  const parts: string[] = [];
  for (const k of g.reads.classes) {
    const r = k === 'ok' ? classRate(c.outcomes.ok, c.trials) : c.classes[k];
    parts.push(`${k} ${fmt(r.count)} of ${fmt(c.trials)} trials, 95% Wilson [${exact(r.low)}, ${exact(r.high)}]`);
  }
  for (const m of g.reads.metrics) {
    const s = c.metrics[m];
    if (s) parts.push(`${m} mean ${fmt(s.mean)} ${s.unit}, median ${fmt(s.median)}, sd ${fmt(s.sd)}`.replace(/ {2,}/g, ' '));
  }
  for (const k of g.reads.faults) {
    const f = c.faults?.[k];
    parts.push(`fault ${k} fired ${fmt(f?.fired ?? 0)} times in ${fmt(f?.trials ?? 0)} of ${fmt(c.trials)} trials`);
  }
  return parts.join('; ');
}

/** A failing trial of the class the gate reads (any failure for a gate on metrics). */
function replayOf(g: CompiledGate, c: CellSummary): string | undefined {
  const classes = [...g.reads.classes].filter((k) => k !== 'ok' && k !== 'failure');
  const f = c.failures.find((f) => classes.length === 0 || (classes as string[]).includes(f.outcome));
  return f?.replay;
}

/** Every gate on every cell it selects, on a finished summary. */
export function evaluateGates(plan: Plan, summary: Summary): GateResult[] {
  const byId = new Map(summary.cells.map((c) => [c.id, c]));
  const results: GateResult[] = [];
  for (const g of compileGates(plan)) {
    const cells = gateCells(plan, g);
    if (cells.length === 0) results.push({ gate: g.name, check: g.check, cell: '-', pass: false, value: NaN, bound: g.check, detail: '', vacuous: 'matched no cell' });
    for (const cell of cells) results.push(checkGate(plan, g, byId.get(cell.id)!, byId));
  }
  return results;
}

/** Four significant digits: a bound of 0.001 and a statistic of 0.0009999 must not look equal. */
function exact(x: number): string {
  return Math.abs(x) >= 1 || x === 0 || !Number.isFinite(x) ? fmt(x) : String(Number(x.toPrecision(4)));
}

/** One gate check in words, the same in the terminal, report.md, report.html and junit.xml:
 *  "hang.high = 0.0312, needs < 0.001 (hang 0 of 96 trials, 95% Wilson [0, 0.0385])". */
export function gateVerdict(r: GateResult): string {
  if (r.vacuous) return `vacuous: ${r.vacuous}`;
  const what = r.left !== undefined ? `${r.left} = ${exact(r.value)}, needs ${r.bound}` : `${r.check} is ${r.pass}`;
  return r.detail ? `${what} (${r.detail})` : what;
}
