// The LegoOS system: a processor node (CPUs, pcache, optional victim cache), a memory node and a
// storage node joined by FIT. The profile holds the machine's numbers; the kernel holds what a
// LegoOS build chooses (Kconfig eviction options, sysctl timeouts) and its bug-fix switches.
import * as z from 'zod';
import { systems } from '../../harness/registry.js';
import type { Simulation } from '../../harness/sim/simulation.js';
import { bandwidth, duration, parseQuantity, size } from '../../harness/experiment/units.js';
import { cpuContext } from './cpu.js';
import { Fit } from './fit.js';
import { MemoryNode } from './memory-node.js';
import { Pcache } from './pcache.js';
import { Processor } from './processor.js';
import { StorageNode } from './storage-node.js';
import { VictimCache } from './victim.js';

const latencyTable = z.record(z.string(), duration()).transform((table, ctx) =>
  Object.entries(table).map(([key, ns]) => {
    const bytes = parseQuantity(key, 'size');
    if (typeof bytes === 'string') ctx.addIssue({ code: 'custom', message: `rpcLatency key: ${bytes}`, path: [key] });
    return { bytes: Number(bytes), ns };
  }),
);

export const legoProfile = z.strictObject({
  cpus: z.int().positive(),
  cpu: z.strictObject({ lockStep: duration() }),
  nic: z.strictObject({ bandwidth: bandwidth(), rpcLatency: latencyTable, sendCqeDelay: duration(), requestCqeDelay: duration(), processorSendWqes: z.int().positive(), jitter: duration() }),
  pcache: z.strictObject({
    size: size(),
    lineSize: size(),
    ways: z.int().positive(),
    hitTime: duration(),
    faultTime: duration(),
    recvTime: duration(),
    copyTime: duration(),
    zeroFillTime: duration(),
  }),
  memory: z.strictObject({ workers: z.int().positive(), handlerTime: duration() }),
  storage: z.strictObject({ readTime: duration() }),
  victim: z.strictObject({ flushCpu: z.int().nonnegative() }),
});

export const legoKernel = z.strictObject({
  build: z.string().default('4.0.0-lego+ #435').meta({ description: 'the kernel release printed in console logs' }),
  pcache: z
    .strictObject({
      eviction: z.enum(['per-set', 'victim']).default('per-set').meta({ description: 'CONFIG_PCACHE_EVICTION_PERSET_LIST or CONFIG_PCACHE_EVICTION_VICTIM' }),
      policy: z.enum(['fifo', 'lru', 'random']).default('fifo').meta({ description: "LegoOS's LRU never reorders on a hit: it is FIFO by insertion" }),
      allocTimeout: duration().prefault('30 s'),
    })
    .prefault({}),
  victim: z
    .strictObject({
      entries: z.int().min(1).max(128).default(8),
      allocTimeout: duration().prefault('20 s').meta({ description: 'the victim allocation sysctl (older builds: 10 s)' }),
    })
    .prefault({}),
  victimNohitFix: z.boolean().default(true).meta({ description: 'false restores the pre-31-August-2018 victim fill path (the double free)' }),
});

export type LegoProfile = z.output<typeof legoProfile>;
export type LegoKernel = z.output<typeof legoKernel>;

export interface LegoSystem {
  profile: LegoProfile;
  kernel: LegoKernel;
  fit: Fit;
  memory: MemoryNode;
  storage: StorageNode;
  processor: Processor;
}

systems.register({
  kind: 'lego',
  description: 'LegoOS: a processor node (pcache, victim cache), a memory node and a storage node over FIT',
  profile: legoProfile,
  kernel: legoKernel,
  build(sim: Simulation, profile: LegoProfile, kernel: LegoKernel): LegoSystem {
    const fit = new Fit(sim, profile.nic.rpcLatency, profile.nic.jitter);
    const rng = sim.rng('pcache');
    const pcache = new Pcache(profile.pcache, kernel.pcache.policy, () => rng.random());
    const storage = new StorageNode(sim, profile.storage.readTime);
    let processor: Processor | undefined;
    const memory = new MemoryNode(sim, fit, storage, profile.pcache.lineSize, { ...profile.memory, sendCqeDelay: profile.nic.sendCqeDelay }, (r) => processor!.deliver(r));
    processor = new Processor(sim, pcache, fit, memory, {
      ...profile.pcache,
      allocTimeout: kernel.pcache.allocTimeout,
      sendWqes: profile.nic.processorSendWqes,
      requestCqeDelay: profile.nic.requestCqeDelay,
    });
    if (kernel.pcache.eviction === 'victim') {
      const p = processor;
      processor.victim = new VictimCache(
        sim,
        { entries: kernel.victim.entries, allocTimeout: kernel.victim.allocTimeout, lockStep: profile.cpu.lockStep, copyTime: profile.pcache.copyTime, nohitFix: kernel.victimNohitFix },
        { flush: (ctx, page) => p.flush(ctx, page), nrLru: (s) => pcache.nrLru[s], lineSize: profile.pcache.lineSize },
        cpuContext(profile.victim.flushCpu, 20, 'kvictim_flushd', kernel.build),
      );
    }
    return { profile, kernel, fit, memory, storage, processor };
  },
});
