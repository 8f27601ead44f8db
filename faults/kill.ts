// A signal to a real command at `count` moments of each run, drawn from the trial's seed between
// `from` and `to`: an operator's Ctrl-C, the OOM killer, a job scheduler's SIGTERM. Whether the
// program dies, cleans up or leaves damage depends on where it is when the signal lands.
import * as z from 'zod';
import { faults } from '../harness/registry.js';
import type { Simulation } from '../harness/sim/simulation.js';
import { duration } from '../harness/experiment/units.js';
import type { HostSystem } from '../models/host/system.js';
import { signalFault, signalName, target } from './process-signals.js';

const config = z.strictObject({
  signal: signalName.default('SIGTERM'),
  from: duration().prefault('0 s').meta({ description: 'the earliest offset from the start' }),
  to: duration().optional().meta({ description: "the latest offset (default: the run's timeout); past the command's end it is not sent" }),
  count: z.int().nonnegative().max(1000).default(1).meta({ description: 'signals per run, each at its own moment (0: none)' }),
  target,
});

type Config = z.output<typeof config>;

faults.register({
  kind: 'kill',
  description: 'a signal to a real command (exec) at moments drawn from the seed between from and to',
  systems: ['host'],
  config,
  check: (c: Config) => (c.to !== undefined && c.to < c.from ? { path: ['to'], message: `to (${c.to / 1e6} ms) is before from (${c.from / 1e6} ms)` } : undefined),
  arm(sim: Simulation, host: HostSystem, c: Config) {
    const rng = sim.rng('fault/kill');
    return signalFault(sim, host, 'kill', (timeoutNs) => {
      const to = Math.min(c.to ?? timeoutNs, timeoutNs);
      return Array.from({ length: c.count }, () => ({ atNs: Math.round(c.from + rng.random() * Math.max(0, to - c.from)), signal: c.signal, target: c.target, phase: c.signal }));
    });
  },
});
