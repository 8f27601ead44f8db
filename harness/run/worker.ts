// A pool worker: loads the plug-ins once, then turns (cell, seed) jobs into trial records.
import { threadId } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { InputError } from '../errors.js';
import { loadPlugins } from '../registry.js';
import { runTrial, type TrialJob, type TrialRecord } from './trial.js';

await loadPlugins();

/** Bad input found only while running (a malformed line deep in a trace file) crosses the
 *  thread boundary as a value, since an error's class does not survive it. */
export type WorkResult = TrialRecord | { inputError: string };

export default function work(job: TrialJob): WorkResult {
  const t0 = performance.now();
  try {
    const record = runTrial(job);
    record.host = { wallMs: Math.round((performance.now() - t0) * 1000) / 1000, worker: threadId };
    return record;
  } catch (e) {
    if (e instanceof InputError) return { inputError: e.message };
    throw e;
  }
}
