// SIGSTOP, then SIGCONT `duration` later, to a real command, at moments drawn from the trial's
// seed (`rate` a second on average): the scheduler preempting a process at a bad instant, for
// long. What a stop does depends on where the program is when it lands: inside a lock's lease,
// between a read and its write, or nowhere that matters.
import * as z from 'zod';
import { faults } from '../harness/registry.js';
import type { Simulation } from '../harness/sim/simulation.js';
import { duration, frequency } from '../harness/experiment/units.js';
import type { Signal } from '../harness/exec/run.js';
import type { HostSystem } from '../models/host/system.js';
import { signalFault, target } from './process-signals.js';

const config = z.strictObject({
  rate: frequency().meta({ description: 'stops per second of the run, on average, e.g. "5 Hz"' }),
  duration: duration({ zero: false }).meta({ description: 'how long each stop lasts, e.g. "150 ms"' }),
  start: duration().prefault('0 s').meta({ description: 'no stop before this offset from the start' }),
  target,
});

type Config = z.output<typeof config>;

faults.register({
  kind: 'pause',
  description: 'SIGSTOP then SIGCONT to a real command (exec), at moments drawn from the seed, at a rate and for a duration',
  systems: ['host'],
  config,
  arm(sim: Simulation, host: HostSystem, c: Config) {
    const rng = sim.rng('fault/pause');
    return signalFault(sim, host, 'pause', (timeoutNs) => {
      const plan: Omit<Signal, 'fault'>[] = [];
      if (c.rate <= 0) return plan;
      for (let t = c.start + rng.exponentialNs(1e9 / c.rate); t < timeoutNs; t += c.duration + rng.exponentialNs(1e9 / c.rate)) {
        plan.push({ atNs: t, signal: 'SIGSTOP', target: c.target, phase: 'stop' });
        plan.push({ atNs: t + c.duration, signal: 'SIGCONT', target: c.target, phase: 'cont' });
      }
      return plan;
    });
  },
});
