// An SGI UV 2000-class machine (SGI UV 2000 system user guide; sgi-xp's xpc_partition.c for
// partition state): partitions, each a single system image of blades with one hub and two
// 8-core sockets, 8 blades a chassis, XPC between partitions, and XPMEM in each kernel. Ranks
// are placed on cores in blocks or round robin over partitions.
import * as z from 'zod';
import { systems } from '../../harness/registry.js';
import type { Simulation } from '../../harness/sim/simulation.js';
import { bandwidth, duration } from '../../harness/experiment/units.js';
import { Xpmem } from './xpmem.js';

export const uvProfile = z.strictObject({
  partitions: z.int().positive(),
  bladesPerPartition: z.int().positive(),
  socketsPerBlade: z.int().positive(),
  coresPerSocket: z.int().positive(),
  bladesPerChassis: z.int().positive(),
  grusPerHub: z.int().positive(),
  gruContextsPerChiplet: z.int().positive(),
  numalink: z.strictObject({ bandwidth: bandwidth(), hopLatency: duration() }),
  localMemoryLatency: duration(),
});

export const uvKernel = z.strictObject({
  build: z.string().default('SGI XPMEM 2013'),
  xpmemMaxaddrClamp: z.boolean().default(true).meta({ description: 'false: XPMEM_MAXADDR_SIZE covers GRU space (before the 2013 fix)' }),
});

export type UvProfile = z.output<typeof uvProfile>;
export type UvKernel = z.output<typeof uvKernel>;

export type Placement = 'block' | 'round-robin';

export class UvMachine {
  readonly xpmem: Xpmem;
  private xpcDown = new Set<number>();

  constructor(readonly profile: UvProfile, readonly kernel: UvKernel) {
    this.xpmem = new Xpmem({ maxaddrClamp: kernel.xpmemMaxaddrClamp, xpcUp: (p) => !this.xpcDown.has(p) });
  }

  setXpc(partition: number, up: boolean): void {
    if (up) this.xpcDown.delete(partition);
    else this.xpcDown.add(partition);
  }

  /** The partition rank r of n runs in. */
  partitionOf(rank: number, ranks: number, placement: Placement): number {
    const parts = this.profile.partitions;
    return placement === 'round-robin' ? rank % parts : Math.min(parts - 1, Math.floor((rank * parts) / ranks));
  }
}

systems.register({
  kind: 'uv',
  description: 'SGI UV: partitions of blades (hub, two 8-core sockets) over NUMAlink, XPC between them, XPMEM',
  profile: uvProfile,
  kernel: uvKernel,
  build: (_sim: Simulation, profile: UvProfile, kernel: UvKernel) => new UvMachine(profile, kernel),
});
