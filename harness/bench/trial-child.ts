// Runs one trial of an experiment cell in a process of its own and prints what it cost, so a
// benchmark can hold a trial's peak memory (maxRSS) to a target.
//   node dist/harness/bench/trial-child.js FILE SEED [--set k=v ...]
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
process.stdout.write(JSON.stringify({ wallMs, maxRssBytes: process.resourceUsage().maxRSS * 1024, outcome: r.outcome, events: r.metrics.events }) + '\n');
