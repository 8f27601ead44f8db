// Linux with all memory local: the baseline the LegoOS paper states its slowdowns against.
// Every access is a DRAM access; there is no pcache, no network and nothing to fault in.
import * as z from 'zod';
import { systems } from '../../harness/registry.js';
import { duration } from '../../harness/experiment/units.js';
import type { MemoryPath } from '../../workloads/access-stream.js';

export const localProfile = z.strictObject({
  cpus: z.int().positive(),
  dram: z.strictObject({ accessTime: duration() }),
});

export const localKernel = z.strictObject({
  build: z.string().default('4.9.0 (Linux)'),
});

export interface LocalSystem {
  kernel: z.output<typeof localKernel>;
  processor: MemoryPath;
}

systems.register({
  kind: 'linux-local',
  description: 'Linux with all memory local (no pcache, no network): the baseline of LegoOS slowdowns',
  profile: localProfile,
  kernel: localKernel,
  build(_sim, profile: z.output<typeof localProfile>, kernel: z.output<typeof localKernel>): LocalSystem {
    const t = profile.dram.accessTime;
    return {
      kernel,
      processor: {
        hitTime: t,
        hit: () => t,
        *fault() {
          throw new Error('linux-local has no faults');
        },
        mapFile: () => {},
        mapResident: () => {},
      },
    };
  },
});
