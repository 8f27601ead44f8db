// Statistics and units: the numbers every report rests on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wilson, summarize } from '../harness/report/stats.js';
import { parseQuantity } from '../harness/experiment/units.js';

test('Wilson interval matches published values', () => {
  // 0 of 10: upper bound 0.2775 (rule of three would say 0.3); 5 of 10: [0.2366, 0.7634].
  const zero = wilson(0, 10);
  assert.equal(zero.low, 0);
  assert.ok(Math.abs(zero.high - 0.2775) < 1e-4, String(zero.high));
  const half = wilson(5, 10);
  assert.ok(Math.abs(half.low - 0.2366) < 1e-4 && Math.abs(half.high - 0.7634) < 1e-4, JSON.stringify(half));
  assert.equal(wilson(10, 10).high, 1);
});

test('metric summaries', () => {
  const s = summarize([1, 2, 3, 4, 100], 'us');
  assert.equal(s.median, 3);
  assert.equal(s.mean, 22);
  assert.equal(s.unit, 'us');
  assert.ok(s.p95 > 4 && s.p95 <= 100);
});

test('quantities parse to base units and reject the wrong dimension', () => {
  assert.equal(parseQuantity('6.5 us', 'duration'), 6500);
  assert.equal(parseQuantity('20 s', 'duration'), 20e9);
  assert.equal(parseQuantity('128 MiB', 'size'), 128 * 2 ** 20);
  assert.equal(parseQuantity('40 Gb/s', 'bandwidth'), 40e9);
  assert.match(String(parseQuantity('4 GHz', 'size')), /not a size/);
  assert.match(String(parseQuantity(4096, 'size')), /bare number/);
});

test('McNemar exact p-values', async () => {
  const { mcnemarExact } = await import('../harness/report/compare.js');
  assert.equal(mcnemarExact(0, 0), 1);
  assert.equal(mcnemarExact(0, 6), 0.03125);
  assert.ok(Math.abs(mcnemarExact(2, 8) - 0.109375) < 1e-12);
  // Beyond 1,074 discordant pairs 2^-n underflows; 600 against 600 printed p = 0. Reference values
  // are exact rationals: python3 -c "from fractions import Fraction; from math import comb;
  // n=b+c; print(float(min(1, 2*Fraction(sum(comb(n,i) for i in range(min(b,c)+1)), 2**n))))"
  const exact: [number, number, number][] = [[600, 600, 1], [537, 538, 1], [100, 150, 0.001883300935076157], [5000, 5300, 0.003215819673645239], [30, 70, 7.85013964559367e-5]];
  for (const [b, c, p] of exact) assert.ok(Math.abs(mcnemarExact(b, c) - p) <= 1e-12 * Math.max(p, 1e-300) + 1e-15, `${b}/${c}: ${mcnemarExact(b, c)} against ${p}`);
  // 2^-1074 and less: zero is the nearest double, never NaN and never above the true value
  assert.ok(mcnemarExact(0, 1075) <= 5e-324 && mcnemarExact(0, 2000) === 0);
});

test('a gate that examined nothing fails: no cell matched, no trial ran, no trial reported the metric', async () => {
  const { evaluateGates } = await import('../harness/report/gates.js');
  const cell = (id: string, trials: number, metrics: Record<string, unknown>) => ({ id, params: { 'workload.threads': id === 'a' ? 1 : 2 }, trials, outcomes: { ok: trials, error: 0, hang: 0, crash: 0 }, failureRate: { rate: 0, low: 0, high: trials ? 0.3 : 1 }, metrics, failures: [] });
  const summary = { experiment: 'x', cells: [cell('a', 0, {}), cell('b', 4, {})] };
  const plan = { cells: summary.cells.map((c) => ({ id: c.id, params: c.params })), gates: [
    { outcome: 'hang', max: 0, stat: 'mean' },
    { metric: 'accessesPerSec', min: 1, stat: 'mean' },
    { outcome: 'crash', max: 0, stat: 'mean', where: 'workload.threads > 8' },
  ] };
  const results = evaluateGates(plan as never, summary as never);
  const by = (gate: number) => results.filter((r) => r.gate === ['hang count <= 0', 'accessesPerSec mean >= 1', 'crash count <= 0'][gate]);
  assert.deepEqual(by(0).map((r) => [r.cell, r.pass]), [['a', false], ['b', true]]);
  assert.match(by(0)[0].bound, /no trials ran/);
  assert.deepEqual(by(1).map((r) => [r.cell, r.pass]), [['a', false], ['b', false]]);
  assert.match(by(1)[1].bound, /no trial reported accessesPerSec/);
  assert.deepEqual(by(2).map((r) => [r.cell, r.pass]), [['-', false]]);
  assert.match(by(2)[0].bound, /matched no cell/);
});
