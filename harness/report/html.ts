// report.html: one self-contained page that works offline and runs no script. The charts are SVG
// rendered when the report is written; every string that came from a user (names, descriptions,
// parameters, signatures, replay commands) is escaped, and the page's Content-Security-Policy
// forbids scripts besides, so a payload in an experiment file stays text.
import escapeHtml from 'escape-html';
import type { Plan } from '../experiment/load.js';
import type { TopLevelSpec } from 'vega-lite';
import { charts, ratioChart, renderSvg, type Chart } from './charts.js';
import type { CellVerdict } from './compare-runs.js';
import { gateVerdict, type GateResult } from './gates.js';
import type { JunitOptions } from './junit.js';
import type { Summary } from './summary.js';
import type { Series } from './changes.js';
import type { NightReport } from './digest.js';
import { cellLabel, COMPARISON_NOTE, comparisonRows, entryCellLabel, fmt, SUMMARY_NOTE, summaryRows } from './table.js';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1180px; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.meta, .note { color: #666; } .desc { max-width: 80ch; white-space: pre-wrap; }
table { border-collapse: collapse; margin: 0.6em 0; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font: 12px ui-monospace, monospace; background: #f6f6f6; padding: 1px 3px; word-break: break-all; }
.pass { color: #fff; background: #2e7d32; padding: 0 6px; border-radius: 3px; } .fail { color: #fff; background: #c62828; padding: 0 6px; border-radius: 3px; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; } figure { margin: 0; border: 1px solid #eee; padding: 0.5em; }
nav a { margin-right: 1em; }`;

function table(rows: string[][], numeric = (v: string) => /^[\d.,%±\s[\]e+-]+$/.test(v)): string {
  if (rows.length === 0) return '';
  const [head, ...body] = rows;
  const cell = (v: string) => `<td${numeric(v) ? ' class="num"' : ''}>${escapeHtml(v)}</td>`;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table>`;
}

const badge = (pass: boolean, text = pass ? 'PASS' : 'FAIL') => `<span class="${pass ? 'pass' : 'fail'}">${escapeHtml(text)}</span>`;

/** A chart as the page shows it: its SVG in a figure named for the browser test. */
async function figure(c: Chart): Promise<string> {
  return `<figure data-chart="${escapeHtml(c.id)}" id="chart-${escapeHtml(c.id)}">${await renderSvg(c.spec)}</figure>`;
}

/** The page around the sections: title, description, a line of facts, links to each section. */
function page(title: string, description: string, meta: string, sections: string[]): string {
  const nav = [...sections.join('').matchAll(/<h2 id="([\w-]+)">([^<]+)<\/h2>/g)].map(([, id, text]) => `<a href="#${id}">${text}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`faultsweep: ${title}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${description ? `<p class="desc">${escapeHtml(description.trim())}</p>` : ''}
<p class="meta">${escapeHtml(meta)}</p>
<nav>${nav}</nav>
${sections.join('\n')}
</body>
</html>
`;
}

export async function reportHtml(plan: Plan, summary: Summary, gates: GateResult[], decisions?: JunitOptions['decisions']): Promise<string> {
  const trials = summary.cells.reduce((n, c) => n + c.trials, 0);
  const figures = await Promise.all(charts(plan, summary).map(figure));
  const sections: string[] = [];
  if (decisions?.size) {
    const rows = [...decisions].map(([cell, d]) => `<tr><td><code>${escapeHtml(cell)}</code></td><td class="num">${fmt(d.seeds)}</td><td>${badge(d.verdict === 'pass', d.verdict.toUpperCase())}</td><td>${escapeHtml(d.why)}</td></tr>`);
    sections.push(`<h2 id="qualify">Qualification</h2><table><thead><tr><th>cell</th><th>seeds</th><th>verdict</th><th>why it stopped</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  if (gates.length) {
    const rows = gates.map((g) => `<tr><td>${escapeHtml(g.gate)}</td><td><code>${escapeHtml(g.cell)}</code></td><td>${badge(g.pass)}</td><td>${escapeHtml(gateVerdict(g))}${g.replay && !g.pass ? `<br><code>${escapeHtml(g.replay)}</code>` : ''}</td></tr>`);
    sections.push(`<h2 id="gates">Gates</h2><table><thead><tr><th>gate</th><th>cell</th><th>result</th><th>why</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  sections.push(`<h2 id="charts">Charts</h2><div class="charts">${figures.join('')}</div>`);
  sections.push(`<h2 id="summary">Cells</h2>${table(summaryRows(plan, summary))}<p class="note">${escapeHtml(SUMMARY_NOTE)}</p>`);
  const cmp = comparisonRows(summary);
  if (cmp.length) sections.push(`<h2 id="comparisons">Paired on the same seeds</h2>${table(cmp)}<p class="note">${escapeHtml(COMPARISON_NOTE)}</p>`);
  const failures = summary.cells.flatMap((c) => c.failures.map((f) => ({ ...f, cell: c.id })));
  if (failures.length) {
    const rows = failures.map((f) => `<tr><td><code>${escapeHtml(f.cell)}</code></td><td>${escapeHtml(f.outcome)}</td><td class="num">${f.count}</td><td>${escapeHtml(f.signature)}</td><td><code>${escapeHtml(f.replay)}</code></td></tr>`);
    sections.push(`<h2 id="failures">Failures by signature</h2><table><thead><tr><th>cell</th><th>outcome</th><th>count</th><th>signature</th><th>replay one</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  const sets = plan.sets.length ? `; ${plan.sets.map((s) => `--set ${s}`).join(' ')}` : '';
  return page(plan.experiment, plan.description, `${summary.cells.length} cells, ${fmt(trials)} trials; ${plan.file}${sets}${plan.where ? `; --where ${plan.where}` : ''}`, sections);
}

/** `faultsweep compare --out`: the verdicts, the ratios and both sides' failure rates. */
export async function compareHtml(a: string, b: string, verdicts: CellVerdict[], text: string): Promise<string> {
  const where = (v: CellVerdict) => cellLabel(v.params, '(the only cell)');
  const ratios = verdicts.flatMap((v) => Object.entries(v.metrics).map(([m, r]) => ({ pair: `${m}: ${where(v)}`, ratio: r.ratio, low: r.low, high: r.high })));
  const rates = verdicts.flatMap((v) => [
    { cell: where(v), side: `A ${a}`, ...v.failures.a },
    { cell: where(v), side: `B ${b}`, ...v.failures.b },
  ]);
  const failureChart: Chart = {
    id: 'failure-rates',
    title: 'failure rates, A and B',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'failure rate of each side', subtitle: '95% Wilson score interval' },
      width: 460,
      height: Math.max(60, 30 * verdicts.length),
      data: { values: rates },
      encoding: { y: { field: 'cell', type: 'nominal', title: null, sort: null, axis: { labelLimit: 400 } }, yOffset: { field: 'side' }, color: { field: 'side', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 600 } } },
      layer: [
        { mark: 'rule', encoding: { x: { field: 'low', type: 'quantitative', title: 'failure rate', scale: { domain: [0, 1] }, axis: { format: '%' } }, x2: { field: 'high' } } },
        { mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { field: 'rate', type: 'quantitative' } } },
      ],
    } as TopLevelSpec,
  };
  const figures = await Promise.all([...(ratios.length ? [ratioChart(ratios, 'B / A')] : []), failureChart].map(figure));
  const sections = [`<h2 id="charts">Charts</h2><div class="charts">${figures.join('')}</div>`, `<h2 id="verdicts">Verdicts</h2><pre>${escapeHtml(text)}</pre>`];
  return page(`compare: ${b} against ${a}`, '', `A ${a}, B ${b}; ${verdicts.length} cells matched`, sections);
}

/** The nightly trend page: the digest, then every headline metric and failure rate of every cell
 *  over the nights with its interval and E-Divisive's steps marked, then the triage table. */
export async function trendHtml(r: NightReport, digest: string): Promise<string> {
  const chart = (s: Series, i: number): Chart => {
    const rate = s.what.endsWith(' rate');
    const y = { field: 'value', type: 'quantitative', title: `${s.what}${s.unit ? ` (${s.unit})` : ''}`, scale: { zero: rate }, ...(rate ? { axis: { format: '%' } } : {}) };
    return {
      id: `trend-${i}`,
      title: `${s.key}: ${s.what}`,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: { text: `${entryCellLabel(s.experiment, s.params)}: ${s.what}`, subtitle: rate ? 'per night, 95% Wilson interval; dashed: a step (E-Divisive)' : 'mean per night, 95% interval; dashed: a step (E-Divisive)', limit: 560 },
        width: 460,
        height: 160,
        layer: [
          {
            data: { values: s.points },
            encoding: { x: { field: 'night', type: 'ordinal', title: 'night', axis: { labelAngle: 0 } } },
            layer: [{ mark: { type: 'rule' }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } }, { mark: { type: 'line', point: true }, encoding: { y } }],
          },
          ...(s.steps.length ? [{ data: { values: s.steps }, mark: { type: 'rule', strokeDash: [5, 4], color: '#c62828' }, encoding: { x: { field: 'night', type: 'ordinal' } } }] : []),
        ],
      } as TopLevelSpec,
    };
  };
  const figures = await Promise.all(r.series.map(chart).map(figure));
  const signatures = [
    ['signature', 'outcome', 'status', 'experiments', 'first seen', 'last seen', 'nights seen / run', 'latest night', 'replay the latest'],
    ...r.signatures.map((s) => [s.signature, s.outcome, s.status, s.experiments.join(', '), `night ${s.firstSeen}`, `night ${s.lastSeen}`, `${s.nightsSeen} / ${s.nightsRun}`, `${s.latest.count} of ${s.latest.trials} trials`, s.latest.replay]),
  ];
  const sections = [
    `<h2 id="digest">Digest</h2><pre style="white-space: pre-wrap">${escapeHtml(digest)}</pre>`,
    `<h2 id="trends">Trends</h2><div class="charts">${figures.join('')}</div>`,
    `<h2 id="triage">Failures across nights</h2>${r.signatures.length ? table(signatures) : '<p>No trial of any night failed.</p>'}`,
  ];
  const n = r.night;
  return page(`${r.suite}: night ${n.id}`, '', `${r.ordinal} nights; ${r.counts.trials} trials tonight; faultsweep ${n.faultsweep} (code ${n.code}); experiments ${n.experimentsCommit ?? 'not in git'}${n.label ? `; label ${n.label}` : ''}`, sections);
}
