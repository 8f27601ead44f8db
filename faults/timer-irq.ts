// Timer interrupts on the processor node's CPUs: another HZ, jitter on the tick, or a storm of
// extra interrupts at a rate for a while. An interrupt is an event; whether it deadlocks a CPU
// depends on whether that CPU holds its rq->lock with interrupts on at that instant.
import * as z from 'zod';
import { faults } from '../harness/registry.js';
import type { Co, Simulation } from '../harness/sim/simulation.js';
import { duration, frequency } from '../harness/experiment/units.js';
import type { LegoSystem } from '../models/lego/system.js';

const config = z.strictObject({
  hz: z.int().positive().optional().meta({ description: 'the tick rate, instead of the profile HZ' }),
  jitter: duration().optional().meta({ description: 'uniform extra delay added to every tick' }),
  storm: z
    .strictObject({
      rate: frequency().meta({ description: 'extra interrupts per second on each CPU, e.g. "20 kHz"' }),
      duration: duration(),
      start: duration().prefault('0 s'),
      cpus: z.array(z.int().nonnegative()).optional().meta({ description: 'the CPUs it hits (default: all)' }),
    })
    .optional(),
});

type Config = z.output<typeof config>;

faults.register({
  kind: 'timer-irq',
  description: 'timer interrupts on the processor CPUs: another HZ, tick jitter, or interrupt storms at a rate',
  systems: ['lego'],
  config,
  arm(sim: Simulation, sys: LegoSystem, c: Config) {
    const sched = sys.processor.sched!;
    if (c.hz) sched.tickPeriod = Math.round(1e9 / c.hz);
    if (c.jitter) sched.tickJitter = c.jitter;
    const storm = c.storm;
    if (storm && storm.rate > 0) {
      const meanGap = 1e9 / storm.rate;
      for (const cpu of storm.cpus ?? Array.from({ length: sched.nrCpus }, (_, i) => i)) {
        const rng = sim.rng(`fault/timer-irq/CPU${cpu}`);
        sim.spawn(`storm/CPU${cpu}`, (function* (): Co {
          yield storm.start;
          const end = storm.start + storm.duration;
          for (;;) {
            yield rng.exponentialNs(meanGap);
            if (sim.now >= end) return;
            sched.interrupt(cpu, 'storm');
          }
        })(), { daemon: true });
      }
    }
    return { fired: () => ({ ...sched.interrupts }) };
  },
});
