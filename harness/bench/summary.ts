// Summarising a big run: one cell of 100,000 trial records, as a qualify or a long nightly leaves
// it, through the same summary, gates and report tables every command uses. The records are
// copies of one real trial with spread metrics and some hangs, so every statistic has work to do.
import { resolve } from 'node:path';
import { loadExperiment, type Plan } from '../experiment/load.js';
import { evaluateGates } from '../report/gates.js';
import { summarizeRun } from '../report/summary.js';
import { summaryTable } from '../report/table.js';
import { projectRoot } from '../registry.js';
import { runTrial, type TrialRecord } from '../run/trial.js';
import { Rng } from '../sim/rng.js';
import { registerBench } from './index.js';

const RECORDS = 100_000;

registerBench('summary-100k', () => {
  let plan: Plan;
  let records: TrialRecord[] = [];
  return {
    name: 'summary-100k',
    unit: 'records',
    opsPerCall: RECORDS,
    maxMs: 5000,
    iterations: 3,
    warmups: 1,
    setup: () => {
      plan = loadExperiment(resolve(projectRoot, 'experiments', 'xpmem-clamp-qualify.yaml'), { where: 'kernel.xpmemMaxaddrClamp == true' });
      const cell = plan.cells[0];
      const template = runTrial({ cell, seed: 1, replayBase: 'faultsweep replay' });
      const rng = new Rng(1, 'bench/summary');
      records = Array.from({ length: RECORDS }, (_, i) => {
        const hang = i % 997 === 0;
        return {
          ...template,
          seed: i + 1,
          outcome: hang ? 'hang' : 'ok',
          failure: hang ? { class: 'hang', signature: `bench hang ${i % 3}`, atNs: i, log: '' } : null,
          metrics: Object.fromEntries(Object.entries(template.metrics).map(([k, v]) => [k, v * (0.9 + 0.2 * rng.random())])),
        } as TrialRecord;
      });
      plan = { ...plan, gates: [{ check: 'hang.high < 0.01 and messagesPerSec.mean > 0', stat: 'mean' }] };
    },
    fn: () => {
      const summary = summarizeRun(plan, records);
      evaluateGates(plan, summary);
      summaryTable(plan, summary);
    },
  };
});
