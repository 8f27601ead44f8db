// Benchmarks of the pcache model alone (no simulation): accesses per second on a hit-heavy and a
// miss-heavy page stream, the speed every LegoOS experiment and `faultsweep cachesim` rest on.
import { registerBench } from '../../harness/bench/index.js';
import { Rng } from '../../harness/sim/rng.js';
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
