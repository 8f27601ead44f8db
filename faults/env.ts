// Environment variables that switch on a real program's own fault hooks (a failpoint, a debug
// delay, an allocator's failure rate): set for every run of an exec trial.
import * as z from 'zod';
import { faults } from '../harness/registry.js';
import type { Simulation } from '../harness/sim/simulation.js';
import type { HostSystem } from '../models/host/system.js';

const config = z.strictObject({
  vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name'), z.union([z.string(), z.number(), z.boolean()]).transform(String)).refine((v) => Object.keys(v).length > 0, 'name at least one variable'),
});

type Config = z.output<typeof config>;

faults.register({
  kind: 'env',
  description: "environment variables that switch on a real command's (exec) own fault hooks",
  systems: ['host'],
  config,
  arm(_sim: Simulation, host: HostSystem, c: Config) {
    Object.assign(host.env, c.vars);
    return { fired: () => ({ set: 1 }) };
  },
});
