// The LegoOS paper's remote-memory microbenchmark: each thread touches uniformly random pages of
// a region far larger than the pcache, so nearly every access is a remote fetch. With the
// testbed profile it reproduces the measured throughput (1 thread 125 K accesses/s; 4 threads
// with 1/2/4 memory workers 202/376/426 K).
import * as z from 'zod';
import { workloads } from '../harness/registry.js';
import type { Body, Simulation } from '../harness/sim/simulation.js';
import { duration, size } from '../harness/experiment/units.js';
import type { LegoSystem } from '../models/lego/system.js';
import { threadContext, type CpuContext } from '../models/lego/cpu.js';

const config = z.strictObject({
  threads: z.int().positive().default(1),
  region: size().prefault('4 GiB').meta({ description: 'the remote region the threads touch, e.g. "4 GiB"' }),
  accesses: z.int().positive().default(20_000).meta({ description: 'accesses per thread' }),
  writeRatio: z.number().min(0).max(1).default(0),
  computeTime: duration().prefault('0 ns').meta({ description: 'CPU time between two accesses' }),
});

type Config = z.output<typeof config>;

workloads.register({
  kind: 'remote-access',
  description: "LegoOS paper microbenchmark: threads touch random 4 KiB pages of a large remote region",
  systems: ['lego'],
  config,
  units: { accessesPerSec: 'accesses/s', missRatio: 'ratio', remoteRequestsPerSec: 'requests/s', missLatencyMeanUs: 'us', missLatencyP99Us: 'us', flushLatencyMeanUs: 'us', flushLatencyP99Us: 'us', flushNetLatencyMeanUs: 'us', flushNetLatencyP99Us: 'us', flushes: 'flushes' },
  headline: ['accessesPerSec', 'missLatencyMeanUs', 'missLatencyP99Us'],
  start(sim: Simulation, sys: LegoSystem, c: Config) {
    const p = sys.processor;
    const pages = Math.floor(c.region / sys.profile.pcache.lineSize);
    p.mapResident(0, pages);
    let running = c.threads;
    function* thread(ctx: CpuContext, rng: ReturnType<Simulation['rng']>): Body {
      let debt = 0;
      for (let i = 0; i < c.accesses; i++) {
        const page = rng.int(pages);
        const write = rng.random() < c.writeRatio;
        const t = p.hit(page, write);
        debt += c.computeTime;
        if (t >= 0) {
          debt += t;
          continue;
        }
        if (debt > 0) yield debt;
        debt = 0;
        yield* p.fault(ctx, page, write);
        if (sim.isStopped) return;
      }
      if (debt > 0) yield debt;
      if (--running === 0) sim.finish();
    }
    for (let t = 0; t < c.threads; t++) sim.spawn(`remote-access/${t}`, thread(threadContext(t, 'remote-access', sys.kernel.build), sim.rng(`remote-access/${t}`)));
    return {
      metrics: () => {
        const secs = sim.now / 1e9;
        const accesses = p.hits + p.misses;
        return {
          accessesPerSec: secs > 0 ? accesses / secs : 0,
          missRatio: accesses ? p.misses / accesses : 0,
          remoteRequestsPerSec: secs > 0 ? sys.memory.served / secs : 0,
          flushes: p.flushes,
          ...p.missLatency.metrics('missLatency'),
          ...p.flushLatency.metrics('flushLatency'),
          ...p.flushNetLatency.metrics('flushNetLatency'),
        };
      },
    };
  },
});
