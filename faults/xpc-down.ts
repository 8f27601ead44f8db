// XPC not running on a partition (sgi-xp's xpc_partition.c): from the start, or stopping
// mid-run and perhaps coming back. Its peers see it UNINITIALIZED/DOWN, so a cross-partition
// xpmem_get or attach of a segment it owns returns EINVAL - the "false alarm" of the 2013 log.
import * as z from 'zod';
import { faults } from '../harness/registry.js';
import { Firings } from '../harness/sim/firings.js';
import type { Simulation } from '../harness/sim/simulation.js';
import { duration } from '../harness/experiment/units.js';
import type { UvMachine } from '../models/uv/machine.js';

const config = z.strictObject({
  partition: z.int().nonnegative(),
  from: duration().prefault('0 s').meta({ description: 'when XPC stops (0: never started)' }),
  until: duration().optional().meta({ description: 'when it runs again (default: never)' }),
});

type Config = z.output<typeof config>;

faults.register({
  kind: 'xpc-down',
  description: "a partition's XPC is not running: from the start, or stopping mid-run (and optionally coming back)",
  systems: ['uv'],
  config,
  arm(sim: Simulation, uv: UvMachine, c: Config) {
    const fired = new Firings(sim, 'xpc-down');
    const set = (up: boolean) => {
      uv.setXpc(c.partition, up);
      fired.fire(up ? 'up' : 'down', `XPC on partition ${c.partition} ${up ? 'running again' : 'down'}`);
    };
    if (c.from === 0) set(false);
    else sim.after(c.from, () => set(false));
    if (c.until !== undefined) sim.after(c.until, () => set(true));
    return { fired: () => fired.counts };
  },
});
