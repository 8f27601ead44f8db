// Runs one trial of an experiment cell in a process of its own and prints what it cost, so a
// benchmark can hold a trial's peak memory (its peak RSS) to a target.
//   node dist/harness/bench/trial-child.js FILE SEED [--set k=v ...]
import { readFileSync } from 'node:fs';
import { loadPlugins } from '../registry.js';
import { loadExperiment } from '../experiment/load.js';
import { runTrial } from '../run/trial.js';

const [file, seed, ...rest] = process.argv.slice(2);
const sets = rest.filter((_, i) => rest[i - 1] === '--set');
await loadPlugins();
const plan = loadExperiment(file, { sets });
const t0 = performance.now();
const r = runTrial({ cell: plan.cells[0], seed: Number(seed), replayBase: '' });
const wallMs = performance.now() - t0;
process.stdout.write(JSON.stringify({ wallMs, maxRssBytes: peakRss(), outcome: r.outcome, events: r.metrics.events }) + '\n');

/**
 * This process's peak RSS. On Linux getrusage's maxrss starts at the parent's RSS when it
 * forked us (a bench process holding gigabytes reports gigabytes here); VmHWM belongs to the
 * address space exec gave us, so it is ours alone.
 */
function peakRss(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // Not Linux: maxrss is the best there is.
  }
  return process.resourceUsage().maxRSS * 1024;
}
