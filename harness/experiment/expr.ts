// mathjs as the experiment language: sweep expressions ("2 .^ (4:10)") and where-conditions over
// cell parameters (`workload.threads <= 4 and kernel.fit.polling == "nowait"`). Stock mathjs
// compares strings as numbers, so == and != learn to compare text.
import { all, create } from 'mathjs';

export const math = create(all);
math.import({
  equal: math.typed('equal', { 'string, string': (a: string, b: string) => a === b }),
  unequal: math.typed('unequal', { 'string, string': (a: string, b: string) => a !== b }),
});
// Compute rates are written "16 GFLOP/s".
math.createUnit('FLOP', { prefixes: 'short', aliases: ['flop'] });

/** Sets root.a.b.c = value for path [a, b, c], making the objects on the way. */
export function setPath(root: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> = root;
  for (const k of path.slice(0, -1)) {
    if (node[k] === null || typeof node[k] !== 'object') node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Parameters keyed by dotted axis names, as nested objects mathjs can walk (`workload.threads`). */
export function paramScope(params: Record<string, unknown>): Record<string, unknown> {
  const scope: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) setPath(scope, k.split('.'), v);
  return scope;
}

/** Evaluates a condition on a cell's parameters; throws the expression's own error message. */
export function holds(expr: string, params: Record<string, unknown>): boolean {
  return Boolean(math.evaluate(expr, paramScope(params)));
}
