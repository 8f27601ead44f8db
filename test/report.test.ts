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
});
