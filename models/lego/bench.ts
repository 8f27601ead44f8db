// Benchmarks of the pcache model alone (no simulation): accesses per second on a hit-heavy and a
// miss-heavy page stream, the speed every LegoOS experiment and `faultsweep cachesim` rest on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { registerBench } from '../../harness/bench/index.js';
import { registerTrialBench } from '../../harness/bench/trial.js';
import { projectRoot } from '../../harness/registry.js';
import { Rng } from '../../harness/sim/rng.js';
import { readTrace } from '../../formats/trace.js';
import { CacheSim } from './cachesim.js';
import { HIT, Pcache } from './pcache.js';

const STREAM = 1 << 20;
const GEOMETRY = { size: 16 * 2 ** 20, lineSize: 4096, ways: 64 };

function stream(hotFraction: number, hotPages: number, coldPages: number): { pages: Float64Array; writes: Uint8Array } {
  const rng = new Rng(1, 'bench/pcache');
  const pages = new Float64Array(STREAM);
  const writes = new Uint8Array(STREAM);
  for (let i = 0; i < STREAM; i++) {
    pages[i] = rng.random() < hotFraction ? rng.int(hotPages) : hotPages + rng.int(coldPages);
    writes[i] = rng.random() < 0.3 ? 1 : 0;
  }
  return { pages, writes };
}

function cacheBench(name: string, target: number, hotFraction: number, hotPages: number, coldPages: number): void {
  registerBench(name, () => {
    const { pages, writes } = stream(hotFraction, hotPages, coldPages);
    const pcache = new Pcache(GEOMETRY, 'fifo', () => 0.5);
    let misses = 0;
    let accesses = 0;
    return {
      name,
      unit: 'accesses',
      opsPerCall: STREAM,
      target,
      fn: () => {
        for (let i = 0; i < STREAM; i++) if (pcache.access(pages[i], writes[i] === 1) !== HIT) misses++;
        accesses += STREAM;
      },
      note: () => `miss ratio ${(misses / accesses).toFixed(3)}`,
    };
  });
}

cacheBench('pcache-hits', 25_000_000, 0.95, 2_000, 1_000_000);
cacheBench('pcache-misses', 12_000_000, 0, 0, 1_000_000);

// `faultsweep cachesim` on a .din file against the plain C implementation of the same semantics
// (bench/reference/cachesim.c, built with the machine's cc): the target is half the C speed.
registerBench('cachesim-din', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultsweep-bench-'));
  const din = join(dir, 'trace.din');
  const geometry = { size: 2 ** 20, ways: 8, line: 64 };
  const lines = 2_000_000;
  const bench = {
    name: 'cachesim-din',
    unit: 'accesses',
    opsPerCall: lines,
    target: 0,
    note: () => '',
    setup: async () => {
      const rng = new Rng(1, 'bench/din');
      const out: string[] = [];
      let seq = 0x10000000;
      for (let i = 0; i < lines; i++) {
        const label = rng.random() < 0.3 ? 1 : 0;
        const addr = rng.random() < 0.7 ? (seq += 8) : 0x20000000 + rng.int(64 * 2 ** 20);
        out.push(`${label} ${addr.toString(16)}`);
      }
      writeFileSync(din, out.join('\n') + '\n');
      const exe = join(dir, 'cachesim-ref');
      // loaded here: every plug-in module is imported at start-up, and execa is a hundred modules
      const { execa } = await import('execa');
      await execa('cc', ['-O2', '-o', exe, join(projectRoot, 'bench', 'reference', 'cachesim.c')]);
      const t0 = performance.now();
      const c = await execa(exe, [String(geometry.size), String(geometry.ways), String(geometry.line)], { inputFile: din });
      const cRate = lines / ((performance.now() - t0) / 1000);
      const js = runJs();
      const [acc, hits, misses, comp, cap, conf, wb] = c.stdout.trim().split(' ').map(Number);
      const same = acc === js.accesses && hits === js.hits && misses === js.misses && comp === js.compulsory && cap === js.capacity && conf === js.conflict && wb === js.writeBacks;
      if (!same) throw new Error(`cachesim disagrees with the C reference: C ${c.stdout.trim()}, TS ${JSON.stringify(js)}`);
      bench.target = cRate / 2;
      bench.note = () => `C reference ${(cRate / 1e6).toFixed(2)} M/s, same counts`;
    },
    fn: () => {
      runJs();
    },
    teardown: () => rmSync(dir, { recursive: true, force: true }),
  };
  const runJs = () => {
    const sim = new CacheSim({ ...geometry, victim: 0, policy: 'fifo', random: () => 0.5 });
    readTrace(din, 'din', sim.access);
    return sim.result;
  };
  return bench;
});

// One remote-access trial through the whole LegoOS path (fault, FIT, thpool worker, reply): 4
// threads on one memory worker, 20,000 accesses each, nearly all remote misses.
registerTrialBench('lego-remote-access', {
  file: 'experiments/remote-access.yaml',
  sets: ['sweep={}', 'exclude=[]', 'workload.threads=4'],
  unit: 'accesses',
  units: 4 * 20_000,
  maxMs: 1500,
  iterations: 5,
  warmups: 1,
});
