// The LegoOS system as one processor node (P) and one memory node (M) over FIT: the profile's
// numbers become a pcache, a transport, M's worker pool and P's fault path.
import * as z from 'zod';
import { systems } from '../../harness/registry.js';
import type { Simulation } from '../../harness/sim/simulation.js';
import { bandwidth, duration, parseQuantity, size } from '../../harness/experiment/units.js';
import { Fit } from './fit.js';
import { MemoryNode } from './memory-node.js';
import { Pcache } from './pcache.js';
import { Processor } from './processor.js';

const latencyTable = z.record(z.string(), duration()).transform((table, ctx) =>
  Object.entries(table).map(([key, ns]) => {
    const bytes = parseQuantity(key, 'size');
    if (typeof bytes === 'string') ctx.addIssue({ code: 'custom', message: `rpcLatency key: ${bytes}`, path: [key] });
    return { bytes: Number(bytes), ns };
  }),
);

export const legoProfile = z.strictObject({
  cpus: z.int().positive(),
  nic: z.strictObject({ bandwidth: bandwidth(), rpcLatency: latencyTable, sendCqeDelay: duration() }),
  pcache: z.strictObject({
    size: size(),
    lineSize: size(),
    ways: z.int().positive(),
    policy: z.enum(['fifo', 'lru', 'random']).default('fifo'),
    hitTime: duration(),
    faultTime: duration(),
    recvTime: duration(),
  }),
  memory: z.strictObject({ workers: z.int().positive(), handlerTime: duration() }),
});

export const legoKernel = z.strictObject({
  build: z.string().default('4.0.0-lego').meta({ description: 'the kernel version string printed in console logs' }),
});

export type LegoProfile = z.output<typeof legoProfile>;
export type LegoKernel = z.output<typeof legoKernel>;

export interface LegoSystem {
  profile: LegoProfile;
  kernel: LegoKernel;
  fit: Fit;
  memory: MemoryNode;
  processor: Processor;
}

systems.register({
  kind: 'lego',
  description: 'LegoOS: a processor node with its pcache and a memory node, joined by FIT over InfiniBand',
  profile: legoProfile,
  kernel: legoKernel,
  build(sim: Simulation, profile: LegoProfile, kernel: LegoKernel): LegoSystem {
    const fit = new Fit(sim, profile.nic.rpcLatency);
    const pcacheRng = sim.rng('pcache');
    const pcache = new Pcache(profile.pcache, profile.pcache.policy, () => pcacheRng.random());
    let processor: Processor | undefined;
    const memory = new MemoryNode(sim, fit, { ...profile.memory, sendCqeDelay: profile.nic.sendCqeDelay }, (r) => processor!.deliver(r));
    processor = new Processor(sim, pcache, fit, memory, { ...profile.pcache });
    return { profile, kernel, fit, memory, processor };
  },
});
