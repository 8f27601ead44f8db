// Statistics and units: the numbers every report rests on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clopperPearson, fisherExact, mannWhitneyU, ruleOfThree, wilcoxonSignedRank, wilson, summarize, bootstrapRatio, classRate } from '../harness/report/stats.js';
import { parseQuantity } from '../harness/experiment/units.js';
import { cellLabel, paramText } from '../harness/report/table.js';

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
  const { mcnemarExact } = await import('../harness/report/stats.js');
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

test('a gate that examined nothing fails as vacuous: no cell matched, no trial ran, no trial reported the metric, the fault never fired', async () => {
  const { evaluateGates, gateVerdict } = await import('../harness/report/gates.js');
  await (await import('../harness/registry.js')).loadPlugins();
  const { classRate } = await import('../harness/report/stats.js');
  const cls = (k: number, n: number) => ({ error: classRate(0, n), hang: classRate(k, n), crash: classRate(0, n), failure: classRate(k, n) });
  const cell = (id: string, trials: number, hangs: number, metrics: Record<string, unknown>, fired: number) => ({
    id, params: { 'workload.threads': id === 'a' ? 1 : 2 }, trials, outcomes: { ok: trials - hangs, error: 0, hang: hangs, crash: 0 }, failureRate: classRate(hangs, trials), classes: cls(hangs, trials), metrics,
    faults: { 'dropped-cqe': { fired, trials: fired ? 1 : 0, phases: {} } },
    failures: hangs ? [{ signature: 'lost CQE', class: 'lost-cqe', outcome: 'hang', count: hangs, replay: 'faultsweep replay x --cell b --seed 3' }] : [],
  });
  const summary = { experiment: 'x', cells: [cell('a', 0, 0, {}, 0), cell('b', 40, 2, { accessesPerSec: { mean: 5, median: 5, sd: 1, p5: 4, p95: 6, unit: 'accesses/s' } }, 0)] };
  const plan = {
    cells: summary.cells.map((c) => ({ id: c.id, params: c.params, workload: { kind: 'remote-access' }, faults: [{ kind: 'dropped-cqe' }] })),
    compare: undefined,
    gates: [
      { outcome: 'hang', max: 0, stat: 'mean' },
      { metric: 'accessesPerSec', min: 1, stat: 'mean' },
      { outcome: 'crash', max: 0, stat: 'mean', where: 'workload.threads > 8' },
      { check: 'hang.high < 0.2', stat: 'mean' },
      { check: 'fault["dropped-cqe"].fired > 0', stat: 'mean' },
    ],
  };
  const results = evaluateGates(plan as never, summary as never);
  const by = (check: string) => results.filter((r) => r.check === check);
  assert.deepEqual(by('hang.count <= 0').map((r) => [r.cell, r.pass, r.vacuous]), [['a', false, 'no trials ran'], ['b', false, undefined]]);
  // the failing check names its statistic, interval, bound and a replay of a hung trial
  const hang = by('hang.count <= 0')[1];
  assert.equal(gateVerdict(hang), 'hang.count = 2, needs <= 0 (hang 2 of 40 trials, 95% Wilson [0.01382, 0.165])');
  assert.equal(hang.replay, 'faultsweep replay x --cell b --seed 3');
  assert.deepEqual(by('accessesPerSec.mean >= 1').map((r) => [r.cell, r.pass]), [['a', false], ['b', true]]);
  assert.deepEqual(by('crash.count <= 0').map((r) => [r.cell, r.pass, r.vacuous]), [['-', false, 'matched no cell']]);
  // 2 of 40: Wilson upper bound 0.165 < 0.2
  assert.deepEqual(by('hang.high < 0.2').map((r) => [r.cell, r.pass, r.value]), [['a', false, NaN], ['b', true, results.find((r) => r.check === 'hang.high < 0.2' && r.cell === 'b')!.value]]);
  assert.ok(Math.abs(by('hang.high < 0.2')[1].value - 0.16502) < 1e-4);
  assert.deepEqual(by('fault["dropped-cqe"].fired > 0').map((r) => [r.cell, r.pass, r.vacuous]), [['a', false, 'no trials ran'], ['b', false, 'fault dropped-cqe never fired in 40 trials']]);
});

// Reference values from scipy 1.10.1 (Debian's python3-scipy), printed by
//   /usr/bin/python3 -c "from scipy import stats; r = stats.binomtest(k, n);
//     print(r.proportion_ci(method='exact'), r.proportion_ci(method='wilson'))"
// and, for the tests, stats.fisher_exact([[k1, n1-k1], [k2, n2-k2]]).pvalue,
// stats.wilcoxon(x, y) (exact; with tied differences method='approx', correction=True) and
// stats.mannwhitneyu(x, y, method='asymptotic').
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(b), 1e-12) + 1e-15, `${what}: ${a} against scipy's ${b}`);

test('Clopper-Pearson and Wilson intervals match scipy', () => {
  const ref: [number, number, number, number, number, number][] = [
    [0, 10, 0.0, 0.30849710781876294, 0.0, 0.27753279986288926],
    [3, 10, 0.06673951117773447, 0.652452850060008, 0.10779126740630102, 0.6032218525388546],
    [10, 10, 0.6915028921812371, 1.0, 0.7224672001371109, 1.0],
    [1, 1000, 2.5317487491674634e-5, 0.0055589242798499, 0.00017654637062607809, 0.0056425585979579355],
    [50, 100, 0.3983211295033011, 0.6016788704966989, 0.4038315303659956, 0.5961684696340044],
    [0, 3838, 0.0, 0.0009606845349580104, 0.0, 0.0009999004024162188],
  ];
  for (const [k, n, cpLow, cpHigh, wLow, wHigh] of ref) {
    const cp = clopperPearson(k, n), w = wilson(k, n);
    close(cp.low, cpLow, `CP low ${k}/${n}`);
    close(cp.high, cpHigh, `CP high ${k}/${n}`);
    close(w.low, wLow, `Wilson low ${k}/${n}`);
    close(w.high, wHigh, `Wilson high ${k}/${n}`);
  }
  // 3,838 clean seeds are the fewest whose Wilson bound is under 1e-3
  assert.ok(wilson(0, 3838).high < 1e-3 && wilson(0, 3837).high >= 1e-3);
  assert.equal(ruleOfThree(300), 0.01);
  assert.deepEqual(classRate(0, 300), { count: 0, ...wilson(0, 300), ruleOfThree: 0.01 });
  assert.equal(classRate(2, 300).ruleOfThree, undefined);
});

test("Fisher's exact test matches scipy", () => {
  const ref: [number, number, number, number, number][] = [
    [0, 8, 3, 8, 0.2], [0, 8, 7, 8, 0.0013986013986013986], [33, 200, 0, 200, 5.524076354399971e-11],
    [5, 100, 5, 100, 1.0], [1, 3838, 10, 3838, 0.011662830325636957], [2, 10, 0, 12, 0.19480519480519481],
  ];
  for (const [k1, n1, k2, n2, p] of ref) close(fisherExact(k1, n1, k2, n2), p, `Fisher ${k1}/${n1} vs ${k2}/${n2}`);
});

test('Wilcoxon signed-rank and Mann-Whitney U match scipy', () => {
  const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3], y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
  const a = [20.1, 21.3, 19.8, 22.4, 20.9, 21.7, 20.2, 22.9, 21.1, 20.6, 21.9, 22.2], b = [20.5, 21.0, 20.3, 22.0, 21.4, 21.2, 20.0, 23.3, 21.5, 20.1, 22.6, 21.8];
  const w1 = wilcoxonSignedRank(x, y)!, w2 = wilcoxonSignedRank(a, b)!;
  assert.equal(w1.statistic, 5);
  close(w1.pValue, 0.0390625, 'Wilcoxon exact');
  assert.equal(w2.statistic, 31);
  close(w2.pValue, 0.5532299666570705, 'Wilcoxon with ties, normal approximation');
  assert.equal(wilcoxonSignedRank([1, 2], [1, 2]), undefined);
  // three pairs split two to one: p = 1 (scipy.stats.wilcoxon([1, 2, 3], [2, 3, 1]).pvalue), never above
  assert.equal(wilcoxonSignedRank([1, 2, 3], [2, 3, 1])!.pValue, 1);
  const u1 = mannWhitneyU([1, 2, 2, 3, 4, 5, 5, 5, 9], [3, 4, 5, 6, 6, 7, 8, 8, 10, 11]);
  assert.equal(u1.statistic, 17.5);
  close(u1.pValue, 0.02647386632155614, 'Mann-Whitney with ties');
  const u2 = mannWhitneyU([0.8, 1.1, 1.3, 0.9, 1.7], [1.2, 1.9, 2.2, 1.6, 2.0, 2.5]);
  assert.equal(u2.statistic, 3);
  close(u2.pValue, 0.03576376659097789, 'Mann-Whitney');
});

test('a bootstrap ratio is deterministic, brackets the ratio of means, and is absent rather than NaN', () => {
  const base = [10, 11, 9, 10, 12, 10], cand = [20, 21, 19, 22, 20, 23];
  const r = bootstrapRatio(base, cand, true)!;
  assert.deepEqual(bootstrapRatio(base, cand, true), r);
  assert.ok(r.low <= r.ratio && r.ratio <= r.high && Math.abs(r.ratio - 125 / 62) < 1e-12, JSON.stringify(r));
  const u = bootstrapRatio(base, [20, 21, 19], false)!;
  assert.ok(u.low <= u.ratio && u.ratio <= u.high, JSON.stringify(u));
  assert.equal(bootstrapRatio([], [], true), undefined);
  assert.equal(bootstrapRatio([0, 0], [1, 1], true), undefined);
});

test('a parameter that is a list or an object shows as JSON in a table cell, cut short, never [object Object]', () => {
  assert.equal(paramText('per-send'), 'per-send');
  assert.equal(paramText(4), '4');
  assert.equal(paramText([{ rank: 0, call: 'exit' }]), '[{"rank":0,"call":"exit"}]');
  const long = paramText([{ rank: 0, call: 'make', vaddr: 65536, size: 65536, as: 's' }]);
  assert.equal(long, '[{"rank":0,"call":"make","vaddr":6553...');
  assert.equal(cellLabel({ 'workload.script': [{ rank: 1 }], threads: 4 }, 'c1'), 'workload.script=[{"rank":1}], threads=4');
  assert.equal(cellLabel({}, 'c1'), 'c1');
});
