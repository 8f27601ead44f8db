// Benchmarks of whole trials: one cell of an experiment file, timed in this process by tinybench
// and, where a memory target is set, run once more in a fresh process to read its peak RSS.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cell } from '../experiment/load.js';
import { projectRoot } from '../registry.js';
import { runTrial } from '../run/trial.js';
import { registerBench } from './index.js';

export interface TrialBenchOptions {
  /** An experiment file under the project root, and --set overrides that pick one cell. */
  file: string;
  sets: string[];
  unit: string;
  /** How many units one trial processes (messages, accesses). */
  units: number;
  maxMs?: number;
  maxBytes?: number;
  /** Timed trials, after this many untimed ones that warm the JIT up. */
  iterations: number;
  warmups: number;
}

const child = fileURLToPath(new URL('./trial-child.js', import.meta.url));

export function registerTrialBench(name: string, o: TrialBenchOptions): void {
  registerBench(name, () => {
    const file = join(projectRoot, o.file);
    let cell: Cell;
    let outcome = '';
    return {
      name,
      unit: o.unit,
      opsPerCall: o.units,
      iterations: o.iterations,
      warmups: o.warmups,
      maxMs: o.maxMs,
      // Model files register these, and every worker thread loads the model files: the loader
      // and execa load only when a benchmark runs.
      setup: async () => {
        const { loadExperiment } = await import('../experiment/load.js');
        cell = loadExperiment(file, { sets: o.sets }).cells[0];
      },
      fn: () => {
        outcome = runTrial({ cell, seed: 1, replayBase: '' }).outcome;
      },
      memory: o.maxBytes === undefined ? undefined : {
        maxBytes: o.maxBytes,
        peakBytes: async () => {
          const { execa } = await import('execa');
          const r = await execa(process.execPath, [child, file, '1', ...o.sets.flatMap((s) => ['--set', s])]);
          return (JSON.parse(r.stdout) as { maxRssBytes: number }).maxRssBytes;
        },
      },
      note: () => `outcome ${outcome}`,
    };
  });
}
