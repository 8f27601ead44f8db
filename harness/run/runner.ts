// Runs a plan's missing (cell, seed) trials on a pool of worker threads, appending each record
// as it arrives, then writes the summary. Starting and resuming are the same operation: resume
// is a run whose trials.jsonl already holds some records.
import { join } from 'node:path';
import { Piscina } from 'piscina';
import cliProgress from 'cli-progress';
import type { Cell, Plan } from '../experiment/load.js';
import { summarizeRun, type Summary } from '../report/summary.js';
import { readTrials, shownPath, SUMMARY, TrialLog, writeAtomic } from './store.js';
import type { TrialJob, TrialRecord } from './trial.js';
import type { WorkResult } from './worker.js';
import { InputError } from '../errors.js';

export interface ExecuteOptions {
  jobs: number;
  /** Show a progress bar (only on a terminal). */
  progress: boolean;
  replayBase: string;
  /** The command that finishes an interrupted run of this folder, for the interrupt message
   *  (default: faultsweep run --resume DIR). */
  resumeCommand?: string;
  /** A pool kept across calls (qualify's rounds); made and destroyed here when absent. */
  pool?: TrialPool;
}

export type TrialPool = Piscina<TrialJob, WorkResult>;

export function trialPool(jobs: number): TrialPool {
  return new Piscina<TrialJob, WorkResult>({ filename: workerFile.href, minThreads: jobs, maxThreads: jobs, idleTimeout: 1000 });
}

const workerFile = new URL('./worker.js', import.meta.url);

/** Runs the missing trials of `seedsOf` each cell (all the plan's seeds unless told otherwise). */
export async function execute(plan: Plan, dir: string, opts: ExecuteOptions, seedsOf: (cell: Cell) => number[] = () => plan.seeds): Promise<{ summary: Summary; records: TrialRecord[] }> {
  const { records, duplicates } = readTrials(dir, { repair: true });
  if (duplicates) process.stderr.write(`${dir}: ${duplicates} records repeat a (cell, seed) already recorded; each counts once\n`);
  const done = new Set(records.map((r) => `${r.cell}/${r.seed}`));
  const todo: TrialJob[] = [];
  let wanted = 0;
  for (const cell of plan.cells) {
    const seeds = seedsOf(cell);
    wanted += seeds.length;
    for (const seed of seeds) if (!done.has(`${cell.id}/${seed}`)) todo.push({ cell, seed, replayBase: opts.replayBase });
  }

  if (todo.length > 0) {
    const log = new TrialLog(dir);
    const bar = opts.progress ? progressBar(wanted, wanted - todo.length) : undefined;
    const jobs = Math.min(opts.jobs, todo.length);
    const pool = opts.pool ?? trialPool(jobs);
    let failures = records.filter((r) => r.outcome !== 'ok').length;
    // Finished trials are already on disk; say how to pick up the rest (Ctrl-C, or a Slurm or
    // `timeout` SIGTERM).
    const onInterrupt = (signal: NodeJS.Signals) => {
      bar?.stop();
      process.stderr.write(`\n${signal}: stopped after ${records.length} trials; finish with: ${opts.resumeCommand ?? `faultsweep run --resume ${shownPath(dir)}`}\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onInterrupt);
    try {
      // A bounded window of trials in flight keeps memory flat on sweeps of any size.
      let next = 0;
      let inputError: string | undefined;
      const lane = async () => {
        while (next < todo.length && inputError === undefined) {
          const r = await pool.run(todo[next++]);
          if ('inputError' in r) {
            inputError = r.inputError;
            continue;
          }
          log.append(r);
          records.push(r);
          if (r.outcome !== 'ok') failures++;
          bar?.increment({ failures });
        }
      };
      await Promise.all(Array.from({ length: jobs * 2 }, lane));
      if (inputError !== undefined) throw new InputError(inputError);
    } finally {
      process.removeListener('SIGINT', onInterrupt);
      process.removeListener('SIGTERM', onInterrupt);
      bar?.stop();
      log.close();
      if (!opts.pool) await pool.destroy();
    }
  }
  const summary = summarizeRun(plan, records);
  writeAtomic(join(dir, SUMMARY), JSON.stringify(summary, null, 1) + '\n');
  return { summary, records };
}

function progressBar(total: number, start: number): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {value}/{total} trials | {rate} trials/s | ETA {eta_formatted} | failures {failures}', stream: process.stderr, hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  const t0 = Date.now();
  bar.start(total, start, { failures: 0, rate: '0' });
  const tick = setInterval(() => bar.update({ rate: (((bar.getProgress() * total - start) * 1000) / Math.max(1, Date.now() - t0)).toFixed(1) }), 500);
  const stop = bar.stop.bind(bar);
  bar.stop = () => {
    clearInterval(tick);
    stop();
  };
  return bar;
}
