// A pool worker: loads the plug-ins once, then turns (cell, seed) jobs into trial records.
import { threadId } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { loadPlugins } from '../registry.js';
import { runTrial, type TrialJob, type TrialRecord } from './trial.js';

await loadPlugins();

export default function work(job: TrialJob): TrialRecord {
  const t0 = performance.now();
  const record = runTrial(job);
  record.host = { wallMs: Math.round((performance.now() - t0) * 1000) / 1000, worker: threadId };
  return record;
}
