// Segment destruction under a running job: an owner removes its segments (xpmem_remove) or its
// process exits (the thread group's teardown) at given times, at a random time in a window, or
// after the job's Nth XPMEM call. What follows - ENOENT on the next get or attach, SIGBUS on the
// next copy through a cached attachment, nothing if nobody looks again - depends on who holds
// what at that instant.
import * as z from 'zod';
import { faults } from '../harness/registry.js';
import { Firings } from '../harness/sim/firings.js';
import type { Co, Simulation } from '../harness/sim/simulation.js';
import { duration } from '../harness/experiment/units.js';
import type { UvMachine } from '../models/uv/machine.js';
import { hex } from '../harness/sim/console.js';
import { LIVE, Task, settle } from '../models/uv/xpmem.js';

const config = z
  .strictObject({
    owner: z.int().nonnegative().optional().meta({ description: "the rank whose segments go (default: one picked from the fault's stream)" }),
    action: z.enum(['remove', 'exit']).default('remove').meta({ description: 'remove: xpmem_remove of its segments; exit: the whole process exits' }),
    at: z.array(duration()).min(1).optional().meta({ description: 'simulated times to strike, e.g. ["200 us"]' }),
    window: z.strictObject({ from: duration().prefault('0 s'), until: duration() }).optional().meta({ description: 'strike once at a uniform random time in [from, until)' }),
    afterCalls: z.int().positive().optional().meta({ description: "strike when the job's XPMEM calls reach this count" }),
  })
  .refine((c) => [c.at, c.window, c.afterCalls].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of at, window, afterCalls' });

type Config = z.output<typeof config>;

faults.register({
  kind: 'segment-destroy',
  description: 'an owner removes its segments or exits mid-run: at given times, at a random time in a window, or after N XPMEM calls',
  systems: ['uv'],
  config,
  arm(sim: Simulation, uv: UvMachine, c: Config) {
    const rng = sim.rng('fault/segment-destroy');
    const fired = new Firings(sim, 'segment-destroy');
    const strike = () => {
      const victim = uv.tasks[c.owner ?? rng.int(uv.tasks.length)];
      if (!victim || victim.tg.state !== LIVE) return;
      // Another thread of the owner's process makes the call while its main thread runs on.
      const t = new Task(victim.tg, `${victim.name}/thread`, victim.cpu);
      // The console shows the calls as the owner's thread makes them, below.
      fired.fire(c.action, `${victim.name} (tgid ${hex(victim.tg.tgid)}): ${c.action}`, { log: false });
      sim.spawn('segment-destroy', (function* (): Co {
        if (c.action === 'exit') {
          sim.console.log(`[fault] ${victim.name} (tgid ${hex(victim.tg.tgid)}) exits`);
          yield* uv.xpmem.exit(t);
          uv.onKilled?.(victim);
        } else {
          for (const s of [...victim.tg.segments]) {
            sim.console.log(`[fault] ${victim.name} (tgid ${hex(victim.tg.tgid)}) removes segid ${hex(s.segid)}`);
            yield* settle(uv.xpmem.remove(t, s.segid));
          }
        }
        yield t.pay();
      })());
    };
    if (c.afterCalls !== undefined) {
      uv.xpmem.watchOps = c.afterCalls;
      uv.xpmem.onOps = strike;
    } else {
      const times = c.at ?? [c.window!.from + rng.int(Math.max(1, c.window!.until - c.window!.from))];
      for (const at of times) sim.after(at, strike);
    }
    return { fired: () => fired.counts };
  },
});
