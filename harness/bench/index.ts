// The benchmark registry and its runner: each benchmark is timed by tinybench and reports
// ops/s in its own unit (events, accesses, trials), so speed claims are measured, not asserted.
import { Bench } from 'tinybench';
import { InputError } from '../errors.js';

export interface Benchmark {
  name: string;
  unit: string;
  /** How many units one call of fn() processes. */
  opsPerCall: number;
  /** The ops/s the project promises, if any. */
  target?: number;
  setup?: () => void | Promise<void>;
  fn: () => void;
  /** Removes what setup left behind (scratch files), whether the run succeeded or not. */
  teardown?: () => void;
  /** What the run measured besides speed (a hit ratio, a size), shown beside it. */
  note?: () => string;
  /** The most wall time one call may take, in ms. */
  maxMs?: number;
  /** The most memory one call may use, and how to measure its peak (e.g. in a fresh process). */
  memory?: { maxBytes: number; peakBytes: () => Promise<number> };
  /** Timed calls at least (default 8), and untimed warm-up calls before them (default: 250 ms
   * worth, at least 16); calls of seconds each ask for fewer. */
  iterations?: number;
  warmups?: number;
}

export interface BenchResult {
  opsPerSec: number;
  unit: string;
  meanMs: number;
  /** The fastest and slowest timed call: on a shared machine the spread says as much as the mean. */
  fastestMs: number;
  slowestMs: number;
  samples: number;
  rme: number;
  target?: number;
  maxMs?: number;
  peakBytes?: number;
  maxBytes?: number;
  pass?: boolean;
  note?: string;
}

const benches = new Map<string, () => Benchmark>();

/** Registers a benchmark factory; setup work happens only when it is run. */
export function registerBench(name: string, make: () => Benchmark): void {
  benches.set(name, make);
}

/** The benchmarks that missed a target they have. */
export function missed(results: Record<string, BenchResult>): string[] {
  return Object.entries(results).filter(([, r]) => r.pass === false).map(([n]) => n);
}

export async function runBenches(names: string[], timeMs: number, progress: (line: string) => void): Promise<Record<string, BenchResult>> {
  // These register themselves on import; a static import would be a cycle.
  await import('./hold.js');
  await import('./startup.js');
  await import('./summary.js');
  const unknown = names.filter((n) => !benches.has(n));
  if (unknown.length) throw new InputError(`bench: no benchmark ${unknown.join(', ')} (known: ${[...benches.keys()].join(', ')})`);
  const out: Record<string, BenchResult> = {};
  for (const name of names.length ? names : [...benches.keys()]) {
    const b = benches.get(name)!();
    try {
      out[name] = await runBench(name, b, timeMs, progress);
    } finally {
      b.teardown?.();
    }
  }
  return out;
}

async function runBench(name: string, b: Benchmark, timeMs: number, progress: (line: string) => void): Promise<BenchResult> {
  progress(`bench ${name} ...`);
  await b.setup?.();
  const warm = b.warmups === undefined ? { warmupTime: Math.min(250, timeMs) } : { warmup: b.warmups > 0, warmupTime: 0, warmupIterations: b.warmups };
  const bench = new Bench({ time: timeMs, ...warm, iterations: b.iterations ?? 8 });
  // async: false, or tinybench calls fn once more, untimed, to see whether it returns a promise:
  // a second 80-second trial, and a warm-up nobody asked for.
  bench.add(name, b.fn, { async: false });
  await bench.run();
  const r = bench.tasks[0].result as { latency?: { mean: number; min: number; max: number; rme: number; samplesCount: number }; error?: Error };
  if (r.error || !r.latency) throw r.error ?? new Error(`bench ${name}: no result`);
  const meanMs = r.latency.mean;
  const opsPerSec = (b.opsPerCall * 1000) / meanMs;
  const peakBytes = b.memory && (progress(`bench ${name}: peak memory in a fresh process ...`), await b.memory.peakBytes());
  const checks = [b.target === undefined || opsPerSec >= b.target, b.maxMs === undefined || meanMs <= b.maxMs, !b.memory || peakBytes! <= b.memory.maxBytes];
  const targeted = b.target !== undefined || b.maxMs !== undefined || b.memory !== undefined;
  return {
    opsPerSec, unit: `${b.unit}/s`, meanMs, fastestMs: r.latency.min, slowestMs: r.latency.max, samples: r.latency.samplesCount, rme: r.latency.rme,
    ...(b.target !== undefined ? { target: b.target } : {}),
    ...(b.maxMs !== undefined ? { maxMs: b.maxMs } : {}),
    ...(b.memory ? { peakBytes, maxBytes: b.memory.maxBytes } : {}),
    ...(targeted ? { pass: checks.every(Boolean) } : {}),
    ...(b.note ? { note: b.note() } : {}),
  };
}
