// The charts of report.html, as Vega-Lite specs rendered to SVG when the report is written, so the
// page needs no script and works offline: each headline metric against each swept axis, the
// failure rate and the outcomes of every cell, fault coverage by phase, and paired ratios.
import type { TopLevelSpec } from 'vega-lite';
import type { Plan } from '../experiment/load.js';
import type { Summary } from './summary.js';
import { cellLabel, headlineMetrics, unitFor } from './table.js';

export interface Chart {
  /** A stable name, for the page's anchors and the browser test. */
  id: string;
  title: string;
  spec: TopLevelSpec;
}

const OUTCOME_COLORS = { domain: ['ok', 'error', 'hang', 'crash'], range: ['#4c9a2a', '#e3a21a', '#7a3db8', '#d62728'] };
const WIDTH = 460;

/** A mark with interval bars: a rule from `lo` to `hi` and a point at `value`. */
function intervalLayer(x: object, y: object, lo: string, hi: string, extra: object = {}) {
  return [
    { mark: { type: 'rule' }, encoding: { ...x, ...extra, [Object.keys(y)[0]]: { field: lo, type: 'quantitative' }, [`${Object.keys(y)[0]}2`]: { field: hi } } },
    { mark: { type: 'point', filled: true, size: 60 }, encoding: { ...x, ...y, ...extra } },
  ];
}

export function charts(plan: Plan, summary: Summary): Chart[] {
  const out: Chart[] = [];
  const axes = [...new Set(plan.cells.flatMap((c) => Object.keys(c.params)))];
  const cells = summary.cells.filter((c) => c.trials > 0);
  const label = (c: (typeof cells)[number], without?: string) => cellLabel(c.params, c.id, without);
  const height = Math.max(60, 22 * cells.length);

  for (const m of headlineMetrics(plan)) {
    for (const axis of axes) {
      const values = cells.filter((c) => c.metrics[m]).map((c) => ({ x: String(c.params[axis]), mean: c.metrics[m].mean, lo: c.metrics[m].mean - c.metrics[m].sd, hi: c.metrics[m].mean + c.metrics[m].sd, series: label(c, axis) }));
      if (values.length === 0) continue;
      const unit = unitFor(plan, m);
      out.push({
        id: `metric-${m}-by-${axis}`,
        title: `${m} by ${axis}`,
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          title: { text: `${m}${unit ? ` (${unit})` : ''} by ${axis}`, subtitle: 'mean ± one standard deviation over the cell’s trials' },
          width: WIDTH,
          height: 240,
          data: { values },
          layer: intervalLayer(
            { x: { field: 'x', type: 'ordinal', title: axis, sort: null, axis: { labelAngle: 0 } } },
            { y: { field: 'mean', type: 'quantitative', title: m } },
            'lo',
            'hi',
            // Series side by side within each axis value, so intervals do not hide each other.
            axes.length > 1 ? { color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1, labelLimit: 600 } }, xOffset: { field: 'series', type: 'nominal' } } : {},
          ),
        } as TopLevelSpec,
      });
    }
  }

  out.push({
    id: 'failure-rate',
    title: 'failure rate by cell',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'failure rate by cell', subtitle: '95% Wilson score interval' },
      width: WIDTH,
      height,
      data: { values: cells.map((c) => ({ cell: label(c), rate: c.failureRate.rate, low: c.failureRate.low, high: c.failureRate.high })) },
      layer: intervalLayer(
        { y: { field: 'cell', type: 'nominal', title: null, sort: null, axis: { labelLimit: 400 } } },
        { x: { field: 'rate', type: 'quantitative', title: 'failure rate', scale: { domain: [0, 1] }, axis: { format: '%' } } },
        'low',
        'high',
      ),
    } as TopLevelSpec,
  });

  out.push({
    id: 'outcomes',
    title: 'outcomes by class',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'outcomes by class', subtitle: 'trials per cell' },
      width: WIDTH,
      height,
      data: { values: cells.flatMap((c) => OUTCOME_COLORS.domain.map((o) => ({ cell: label(c), outcome: o, trials: c.outcomes[o as keyof typeof c.outcomes] }))).filter((v) => v.trials > 0) },
      mark: 'bar',
      encoding: {
        y: { field: 'cell', type: 'nominal', title: null, sort: null, axis: { labelLimit: 400 } },
        x: { field: 'trials', type: 'quantitative', title: 'trials', stack: 'zero' },
        color: { field: 'outcome', type: 'nominal', scale: OUTCOME_COLORS, legend: { orient: 'bottom' } },
      },
    } as TopLevelSpec,
  });

  const coverage = cells.flatMap((c) => Object.entries(c.faults ?? {}).flatMap(([kind, f]) => Object.entries(f.phases).map(([phase, fired]) => ({ cell: label(c), phase: `${kind}: ${phase}`, fired }))));
  if (cells.some((c) => Object.keys(c.faults ?? {}).length)) {
    out.push({
      id: 'fault-coverage',
      title: 'fault coverage by phase',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: { text: 'fault coverage by phase', subtitle: coverage.length ? 'firings over all the cell’s trials' : 'no injected fault fired in any trial' },
        width: WIDTH,
        height,
        data: { values: coverage },
        mark: 'bar',
        encoding: {
          y: { field: 'cell', type: 'nominal', title: null, sort: null, axis: { labelLimit: 400 } },
          x: { field: 'fired', type: 'quantitative', title: 'firings', stack: 'zero' },
          color: { field: 'phase', type: 'nominal', legend: { orient: 'bottom', columns: 2, labelLimit: 400 } },
        },
      } as TopLevelSpec,
    });
  }

  const ratios = (summary.comparisons ?? []).flatMap((cmp) =>
    Object.entries(cmp.metrics).map(([m, r]) => ({ pair: `${m}: ${cmp.axis}=${String(cmp.candidate)} vs ${String(cmp.baseline)}${Object.keys(cmp.params).length ? ` (${cellLabel(cmp.params, '')})` : ''}`, ratio: r.ratio, low: r.low, high: r.high })),
  );
  if (ratios.length) out.push(ratioChart(ratios, 'candidate / baseline on the same seeds'));
  return out;
}

/** Ratios with their intervals and a line at 1: the in-run comparison and `compare --out`. */
export function ratioChart(ratios: { pair: string; ratio: number; low: number; high: number }[], title: string): Chart {
  return {
    id: 'comparison-ratios',
    title,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: title, subtitle: 'ratio of means over completed trials, 95% bootstrap interval' },
      width: WIDTH,
      height: Math.max(60, 22 * ratios.length),
      data: { values: ratios },
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { x: { datum: 1, type: 'quantitative' } } },
        ...intervalLayer({ y: { field: 'pair', type: 'nominal', title: null, sort: null, axis: { labelLimit: 500 } } }, { x: { field: 'ratio', type: 'quantitative', title: 'ratio', scale: { zero: false } } }, 'low', 'high'),
      ],
    } as TopLevelSpec,
  };
}

/** Renders a chart to SVG with Vega (loaded on first use: it is large, and most commands never
 *  draw). The SVG renderer escapes the text it draws. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
