// Timer interrupts: on a LegoOS processor node another HZ, jitter on the tick, or a storm of
// extra interrupts at a rate for a while; on UV CPUs a storm. An interrupt is an event; on LegoOS
// whether it deadlocks a CPU depends on whether that CPU holds its rq->lock with interrupts on at
// that instant, on UV it takes its handler's time from the task there and so moves the interleaving.
import * as z from 'zod';
import { faults } from '../harness/registry.js';
import { Firings } from '../harness/sim/firings.js';
import type { Co, Simulation } from '../harness/sim/simulation.js';
import { duration, frequency } from '../harness/experiment/units.js';
import type { LegoSystem } from '../models/lego/system.js';
import type { UvMachine } from '../models/uv/machine.js';

const config = z.strictObject({
  hz: z.int().positive().optional().meta({ description: 'the tick rate, instead of the profile HZ' }),
  jitter: duration().optional().meta({ description: 'uniform extra delay added to every tick' }),
  storm: z
    .strictObject({
      rate: frequency().meta({ description: 'extra interrupts per second on each CPU, e.g. "20 kHz"' }),
      duration: duration(),
      start: duration().prefault('0 s'),
      cpus: z.array(z.int().nonnegative()).optional().meta({ description: 'the CPUs it hits (default: all; on UV the CPUs running tasks)' }),
    })
    .optional(),
});

type Config = z.output<typeof config>;

faults.register({
  kind: 'timer-irq',
  description: 'timer interrupts: on LegoOS processor CPUs another HZ, tick jitter or storms at a rate; on UV CPUs storms',
  systems: ['lego', 'uv'],
  config,
  // UV's scheduler tick is not modeled, so there is no HZ to change there.
  check: (c: Config, system: string) =>
    system === 'uv' && (c.hz || c.jitter) ? { path: [c.hz ? 'hz' : 'jitter'], message: 'hz and jitter apply to the LegoOS scheduler tick; on uv give a storm' } : undefined,
  arm(sim: Simulation, sys: LegoSystem | UvMachine, c: Config) {
    let target: { interrupt(cpu: number, why: 'storm'): void; interrupts: Record<string, number> };
    let cpus: number[];
    if ('processor' in sys) {
      const sched = sys.processor.sched!;
      if (c.hz) sched.tickPeriod = Math.round(1e9 / c.hz);
      if (c.jitter) sched.tickJitter = c.jitter;
      target = sched;
      cpus = Array.from({ length: sched.nrCpus }, (_, i) => i);
    } else {
      target = sys;
      cpus = [...new Set(sys.tasks.map((t) => t.cpu))];
    }
    const storm = c.storm;
    if (storm && storm.rate > 0) {
      const meanGap = 1e9 / storm.rate;
      for (const cpu of storm.cpus ?? cpus) {
        const rng = sim.rng(`fault/timer-irq/CPU${cpu}`);
        const marks = new Firings(sim, 'timer-irq');
        sim.spawn(`storm/CPU${cpu}`, (function* (): Co {
          yield storm.start;
          const end = storm.start + storm.duration;
          for (;;) {
            yield rng.exponentialNs(meanGap);
            if (sim.now >= end) return;
            marks.mark('storm', `interrupt on CPU${cpu}`);
            target.interrupt(cpu, 'storm');
          }
        })(), { daemon: true });
      }
    }
    return { fired: () => ({ ...target.interrupts }) };
  },
});
