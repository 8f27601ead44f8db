// Replays a real memory trace file (din, lackey or bin) as one workload thread, streamed in
// constant memory: the file is read a chunk at a time, and the accesses to one page in a row
// become one compressed access.
import * as z from 'zod';
import { workloads } from '../harness/registry.js';
import type { Simulation } from '../harness/sim/simulation.js';
import { duration } from '../harness/experiment/units.js';
import { threadContext } from '../models/lego/cpu.js';
import { runStream, type Access, type MemoryPath, type ThreadStats } from './access-stream.js';
import { TraceReader, TRACE_FORMATS, WRITE } from '../formats/trace.js';
import type { Latencies } from '../harness/sim/latencies.js';

const config = z.strictObject({
  file: z.string().meta({ description: 'the trace file, relative to the experiment file' }),
  format: z.enum(TRACE_FORMATS),
  computeTime: duration().prefault('1 ns').meta({ description: 'CPU time between two accesses of the trace' }),
});

type Config = z.output<typeof config>;

const PAGE = 4096;

/** The file's accesses as compressed page accesses: consecutive accesses to one page with the
 *  same direction become one access with a repeat count. Pulled from the file as it goes. */
function* traceStream(c: Config): Generator<Access> {
  const r = new TraceReader(c.file, c.format);
  const a: Access = { page: -1, write: false, repeat: 0, computeNs: 0, barrier: false, mm: 0, files: 0 };
  try {
    let more = r.next();
    while (more) {
      const page = Math.floor(r.address / PAGE);
      const write = r.kind === WRITE;
      let repeat = 1;
      while ((more = r.next()) && Math.floor(r.address / PAGE) === page && (r.kind === WRITE) === write) repeat++;
      a.page = page;
      a.write = write;
      a.repeat = repeat;
      a.computeNs = c.computeTime * repeat;
      yield a;
    }
  } finally {
    r.close();
  }
}

workloads.register({
  kind: 'trace',
  description: 'replays a memory trace file (DineroIV din, Valgrind lackey, or faultsweep bin) as one thread',
  systems: ['lego', 'linux-local'],
  config,
  files: ['file'],
  units: { accessesPerSec: 'accesses/s', slowdown: 'x linux-local', missLatencyMeanUs: 'us', missLatencyP99Us: 'us' },
  headline: ['accessesPerSec', 'slowdown'],
  start(sim: Simulation, sys: { processor: MemoryPath & { missLatency?: Latencies }; kernel: { build: string } }, c: Config) {
    const stats: ThreadStats = { accesses: 0, localNs: 0 };
    const body = runStream(sim, sys.processor, threadContext(0, 'trace', sys.kernel.build), traceStream(c), undefined, stats);
    sim.spawn('trace/0', (function* () {
      yield* body;
      sim.finish();
    })());
    return {
      metrics: () => ({
        accessesPerSec: sim.now > 0 ? stats.accesses / (sim.now / 1e9) : 0,
        slowdown: stats.localNs > 0 ? sim.now / stats.localNs : 0,
        ...sys.processor.missLatency?.metrics('missLatency'),
      }),
    };
  },
});
