// mathjs as the experiment language: sweep expressions ("2 .^ (4:10)") and where-conditions over
// cell parameters (`workload.threads <= 4 and kernel.fit.polling == "nowait"`).
//
// An experiment file is input, not a program: an expression may not define functions, assign,
// create units or reach mathjs itself (`createUnit('GiB', '1 B', {override: true})` would
// silently redefine every size). So each expression is parsed, its syntax tree checked against
// the allow-lists below, and only then evaluated, in an instance of its own that the unit parser
// does not share; ranges and results are bounded in size.
import type { MathJsInstance, MathNode } from 'mathjs';
import { InputError } from '../errors.js';
import { mathjs } from '../mathjs.js';

/** For units only ("128 MiB", "16 GFLOP/s"); never sees user expressions. */
export function unitMath(): MathJsInstance {
  return (units ??= makeUnitMath());
}
let units: MathJsInstance | undefined;

function makeUnitMath(): MathJsInstance {
  const m = mathjs().create(mathjs().all);
  m.createUnit('FLOP', { prefixes: 'short', aliases: ['flop'] });
  return m;
}

/** The largest expression, range and result an experiment may write. */
export const EXPR_LIMITS = { chars: 1000, values: 100_000 };

/** The functions an expression may call; README "Expressions" lists them. */
export const ALLOWED_FUNCTIONS = ['abs', 'ceil', 'floor', 'round', 'min', 'max', 'sqrt', 'exp', 'log', 'log2', 'log10', 'pow', 'mod'];
const ALLOWED_OPERATORS = new Set([
  'add', 'subtract', 'multiply', 'divide', 'pow', 'mod', 'unaryMinus', 'unaryPlus', 'dotMultiply', 'dotDivide', 'dotPow',
  'and', 'or', 'xor', 'not', 'equal', 'unequal', 'smaller', 'larger', 'smallerEq', 'largerEq',
]);
const CONSTANTS = new Set(['pi', 'e', 'true', 'false']);

let expressions: MathJsInstance | undefined;

function exprMath(): MathJsInstance {
  if (expressions) return expressions;
  const m = mathjs().create(mathjs().all);
  const range = m.range;
  // `a:b` in an expression is mathjs's range transform (end included); both names are bounded.
  const boundedRange = (start: number, end: number, step = 1) => {
    if (!((end - start) / step < EXPR_LIMITS.values)) throw new Error(`the range ${start}:${step === 1 ? '' : `${step}:`}${end} holds more than ${EXPR_LIMITS.values.toLocaleString('en-US')} values`);
    return range(start, end, step, true);
  };
  // Stock mathjs compares strings as numbers; parameters such as "nowait" are text. (Merged into
  // the typed functions, so numbers still compare as numbers.)
  m.import({
    equal: m.typed('equal', { 'string, string': (a: string, b: string) => a === b }),
    unequal: m.typed('unequal', { 'string, string': (a: string, b: string) => a !== b }),
  });
  m.import({ range: Object.assign(boundedRange, { transform: boundedRange }) }, { override: true });
  return (expressions = m);
}

/** Parses and checks an expression; `symbols` are the names it may read (beyond pi, e, true, false);
 *  `keys` lets it index by a quoted name (`fault["dropped-cqe"]`), which gates need. */
function check(expr: string, symbols: ReadonlySet<string>, keys = false): MathNode {
  if (expr.length > EXPR_LIMITS.chars) throw new Error(`longer than ${EXPR_LIMITS.chars} characters`);
  let tree: MathNode;
  try {
    tree = exprMath().parse(expr);
  } catch (e) {
    throw new Error(e instanceof RangeError ? 'nested too deeply' : (e as Error).message);
  }
  tree.traverse((node, _path, parent) => {
    const n = node as MathNode & Record<string, any>;
    switch (n.type) {
      case 'ConstantNode':
      case 'ParenthesisNode':
      case 'RangeNode':
      case 'ArrayNode':
      case 'ConditionalNode':
        return;
      case 'OperatorNode':
        if (!ALLOWED_OPERATORS.has(n.fn)) throw new Error(`the operator '${n.op}' is not allowed`);
        return;
      case 'FunctionNode':
        if (n.fn.type !== 'SymbolNode' || !ALLOWED_FUNCTIONS.includes(n.fn.name)) throw new Error(`only these functions may be called: ${ALLOWED_FUNCTIONS.join(', ')}`);
        return;
      case 'SymbolNode':
        if ((parent as { type?: string } | null)?.type === 'FunctionNode' && (parent as any).fn === n) return;
        if (!symbols.has(n.name) && !CONSTANTS.has(n.name)) {
          throw new Error(`unknown symbol '${n.name}'`);
        }
        return;
      case 'AccessorNode':
        return;
      case 'IndexNode':
        if (n.dotNotation) return;
        if (!keys || n.dimensions.length !== 1 || n.dimensions[0].type !== 'ConstantNode' || typeof n.dimensions[0].value !== 'string') {
          throw new Error(keys ? 'index only by a quoted name, as in fault["dropped-cqe"]' : 'indexing is not allowed');
        }
        return;
      case 'BlockNode':
        throw new Error('one expression only (no ";" or line breaks)');
      case 'AssignmentNode':
      case 'FunctionAssignmentNode':
        throw new Error('assignments and function definitions are not allowed (write == to compare)');
      default:
        throw new Error(`${n.type} is not allowed`);
    }
  });
  return tree;
}

function compile(expr: string, symbols: ReadonlySet<string>) {
  return check(expr, symbols).compile();
}

/** A checked expression over named values (a gate over cell statistics): its syntax tree, to see
 *  what it reads, and its evaluation on a scope. */
export function checkedExpression(expr: string, symbols: ReadonlySet<string>): { tree: MathNode; evaluate(scope: Record<string, unknown>, node?: MathNode): unknown } {
  const tree = check(expr, symbols, true);
  const code = tree.compile();
  return {
    tree,
    // mathjs may write into the scope it is given: it gets a Map of its own.
    evaluate: (scope, node) => bounded((node ? node.compile() : code).evaluate(new Map(Object.entries(scope)))),
  };
}

function sizeOf(v: unknown): number {
  const a = v && typeof v === 'object' && 'toArray' in v ? (v as { toArray(): unknown }).toArray() : v;
  return Array.isArray(a) ? a.flat(Infinity).length : 1;
}

function bounded(result: unknown): unknown {
  if (sizeOf(result) > EXPR_LIMITS.values) throw new Error(`the result holds more than ${EXPR_LIMITS.values.toLocaleString('en-US')} values`);
  return result;
}

/** Evaluates a checked expression without parameters (a sweep axis such as "2 .^ (4:10)"). */
export function evaluate(expr: string): unknown {
  return bounded(compile(expr, new Set()).evaluate(new Map()));
}

/** Checks a condition over the axes once and returns it as a predicate on a cell's parameters;
 *  throws the expression's own message (the caller adds where it was written). */
export function condition(expr: string, axes: string[]): (params: Record<string, unknown>) => boolean {
  const code = compile(expr, new Set(axes.map((a) => a.split('.')[0])));
  return (params) => {
    // mathjs may write into the scope it is given: it gets a Map of its own.
    const r = code.evaluate(new Map(Object.entries(paramScope(params))));
    if (typeof r !== 'boolean' && typeof r !== 'number') throw new Error('a condition must give true or false');
    return Boolean(r);
  };
}

/** Sets root.a.b.c = value for path [a, b, c], making the objects on the way. */
export function setPath(root: Record<string, unknown>, path: string[], value: unknown): void {
  const bad = path.find((k) => FORBIDDEN_KEYS.has(k));
  if (bad !== undefined) throw new InputError(`'${bad}' may not be used as a key`);
  let node: Record<string, unknown> = root;
  for (const k of path.slice(0, -1)) {
    if (!Object.hasOwn(node, k) || node[k] === null || typeof node[k] !== 'object') node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Keys that would reach an object's prototype; never valid in an experiment or a profile. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Parameters keyed by dotted axis names, as nested objects mathjs can walk (`workload.threads`). */
export function paramScope(params: Record<string, unknown>): Record<string, unknown> {
  const scope: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) setPath(scope, k.split('.'), v);
  return scope;
}
