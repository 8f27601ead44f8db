// junit.xml, the format every CI reads (Jenkins, GitLab, GitHub Actions' test reporters): one
// test suite per experiment, one test case per (cell, gate). A failed, vacuous or undecided gate
// is a <failure> whose message names the statistic, its interval, the bound, and the replay
// command of a failing trial. Checked against the JUnit XSD Jenkins uses (test/junit.test.ts).
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { create as Create } from 'xmlbuilder2';
import type { Plan } from '../experiment/load.js';
import { gateVerdict, type GateResult } from './gates.js';
import { cellLabel } from './table.js';

export interface JunitOptions {
  /** Seconds the command took. */
  seconds: number;
  /** Per cell: the seeds a qualify needed and why it stopped there. */
  decisions?: Map<string, { seeds: number; verdict: string; why: string }>;
}

/** xmlbuilder2 and its dependencies are some 150 modules: loaded when a junit.xml is written, not
 *  at every start of faultsweep and of every worker thread. */
let xml: typeof Create | undefined;
const xmlbuilder = (): typeof Create => (xml ??= (createRequire(import.meta.url)('xmlbuilder2') as { create: typeof Create }).create);

export function junitXml(plan: Plan, gates: GateResult[], opts: JunitOptions): string {
  const failures = gates.filter((g) => !g.pass).length;
  const params = (id: string) => cellLabel(plan.cells.find((c) => c.id === id)?.params ?? {}, '');
  const doc = xmlbuilder()({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', { name: 'faultsweep', tests: gates.length, failures, errors: 0, time: opts.seconds.toFixed(3) });
  const suite = doc.ele('testsuite', {
    name: plan.experiment,
    tests: gates.length,
    failures,
    errors: 0,
    skipped: 0,
    time: opts.seconds.toFixed(3),
    timestamp: new Date().toISOString().replace(/\.\d+Z$/, ''),
    hostname: hostname(),
  });
  const props = suite.ele('properties');
  props.ele('property', { name: 'experiment.file', value: plan.file });
  for (const s of plan.sets) props.ele('property', { name: 'set', value: s });
  if (plan.where) props.ele('property', { name: 'where', value: plan.where });
  props.ele('property', { name: 'seeds', value: String(plan.seeds.length) });
  for (const g of gates) {
    const cellParams = g.cell === '-' ? '' : params(g.cell);
    const tc = suite.ele('testcase', { name: `${g.gate} [${g.cell === '-' ? 'no cell' : cellParams || g.cell}]`, classname: `${plan.experiment}.${g.cell === '-' ? 'gates' : g.cell}` });
    const decided = opts.decisions?.get(g.cell);
    if (!g.pass) {
      const kind = g.vacuous ? 'vacuous' : decided?.verdict === 'undecided' ? 'undecided' : 'gate';
      const message = `${g.gate} in cell ${g.cell}${cellParams ? ` (${cellParams})` : ''}: ${gateVerdict(g)}${g.replay ? `; replay: ${g.replay}` : ''}`;
      tc.ele('failure', { type: kind, message }).txt([`check: ${g.check}`, ...(decided ? [`seeds: ${decided.seeds}`] : [])].join('\n'));
    }
    tc.ele('system-out').txt([`${g.check}: ${gateVerdict(g)}`, ...(decided ? [`seeds: ${decided.seeds}, ${decided.verdict}: ${decided.why}`] : [])].join('\n'));
  }
  return doc.end({ prettyPrint: true }) + '\n';
}
