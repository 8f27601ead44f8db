// The LegoOS system: a processor node (CPUs, pcache, optional victim cache), a memory node and a
// storage node joined by FIT. The profile holds the machine's numbers; the kernel holds what a
// LegoOS build chooses (Kconfig eviction options, sysctl timeouts) and its bug-fix switches.
import * as z from 'zod';
import { systems } from '../../harness/registry.js';
import type { Simulation } from '../../harness/sim/simulation.js';
import { bandwidth, duration, parseQuantity, size } from '../../harness/experiment/units.js';
import { cpuContext } from './cpu.js';
import { Fit, wireTable } from './fit.js';
import { MemoryNode } from './memory-node.js';
import { Pcache } from './pcache.js';
import { Processor } from './processor.js';
import { Scheduler } from './sched.js';
import { StorageNode } from './storage-node.js';
import { VictimCache } from './victim.js';

/** A table of times by message size ("128 B: 4.63 us"), sorted by size. */
const latencyTable = z.record(z.string(), duration()).transform((table, ctx) =>
  Object.entries(table)
    .map(([key, ns]) => {
      const bytes = parseQuantity(key, 'size');
      if (typeof bytes === 'string') ctx.addIssue({ code: 'custom', message: `key: ${bytes}`, path: [key] });
      return { bytes: Number(bytes), ns };
    })
    .sort((a, b) => a.bytes - b.bytes),
);

export const legoProfile = z
  .strictObject({
    cpus: z.int().positive(),
    cpu: z.strictObject({ lockStep: duration(), hz: z.int().positive(), wakeupTime: duration(), tickTime: duration(), kmallocTime: duration(), tlbShootdownTime: duration() }),
    nic: z.strictObject({
      bandwidth: bandwidth(),
      rpcLatency: latencyTable,
      postTime: duration(),
      cqeDelay: latencyTable,
      jitter: duration(),
      qps: z.int().positive(),
      sendWqes: z.strictObject({ processor: z.int().positive(), memory: z.int().positive(), storage: z.int().positive() }),
      pollCost: duration(),
      ringAckEvery: size(),
    }),
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
    memory: z.strictObject({ workers: z.int().positive(), recvTime: duration(), thpoolTime: duration(), handlerTime: duration() }),
    storage: z.strictObject({ readTime: duration() }),
    victim: z.strictObject({ flushCpu: z.int().nonnegative() }),
  })
  .superRefine((p, ctx) => {
    const charged = nullRpcCharged(p);
    for (const { bytes, ns } of p.nic.rpcLatency) {
      if (ns <= charged) ctx.addIssue({ code: 'custom', path: ['nic', 'rpcLatency'], message: `a null RPC of ${bytes} B (${ns} ns) must take longer than the ${charged} ns the models charge on its path (2 x nic.postTime + 2 x nic.jitter + memory.recvTime + memory.thpoolTime + pcache.recvTime)` });
    }
  });

/** What a null FIT RPC spends off the wire that the models charge themselves: P and M each post
 *  a WQE, M's receive thread dispatches, a thpool worker takes it, P's receive thread completes
 *  it, and each message waits its mean queueing jitter. */
function nullRpcCharged(p: { nic: { postTime: number; jitter: number }; memory: { recvTime: number; thpoolTime: number }; pcache: { recvTime: number } }): number {
  return 2 * p.nic.postTime + 2 * p.nic.jitter + p.memory.recvTime + p.memory.thpoolTime + p.pcache.recvTime;
}

export const legoKernel = z.strictObject({
  build: z.string().default('4.0.0-lego+ #435').meta({ description: 'the kernel release printed in console logs' }),
  pcache: z
    .strictObject({
      eviction: z.enum(['per-set', 'victim']).default('per-set').meta({ description: 'CONFIG_PCACHE_EVICTION_PERSET_LIST or CONFIG_PCACHE_EVICTION_VICTIM' }),
      policy: z.enum(['fifo', 'lru', 'random']).default('fifo').meta({ description: "LegoOS's LRU never reorders on a hit: it is FIFO by insertion" }),
      allocTimeout: duration({ zero: false }).prefault('30 s'),
      kmallocBuffers: z.boolean().default(false).meta({ description: 'true restores the kmalloc of every fill\'s rmap and every flush\'s buffers that static arrays replaced on 6 September 2018' }),
    })
    .prefault({}),
  victim: z
    .strictObject({
      entries: z.int().min(1).max(128).default(8),
      allocTimeout: duration({ zero: false }).prefault('20 s').meta({ description: 'the victim allocation sysctl (older builds: 10 s)' }),
    })
    .prefault({}),
  memory: z
    .strictObject({
      missCopy: z.boolean().default(false).meta({ description: 'true restores the memcpy of each missed page into the thpool TX buffer (31 August to 7 September 2018)' }),
      flushCopyToUser: z.boolean().default(false).meta({ description: 'true restores the flush handler that wrote the line with lego_copy_to_user, walking the page table twice (before 27 April 2018)' }),
      // Without a default: a switch added later leaves the id of every cell that does not set it as it was.
      pageTableLock: z.boolean().optional().meta({ description: "true restores the process-wide page_table_lock every thpool worker's handler took on M from the thpool's start (8 April 2018) until per-PTE locks (13 April, 5ca788a0)" }),
    })
    .prefault({}),
  victimNohitFix: z.boolean().default(true).meta({ description: 'false restores the pre-31-August-2018 victim fill path (the double free)' }),
  fit: z
    .strictObject({
      polling: z.enum(['per-send', 'nowait']).default('per-send').meta({ description: "the memory node's send-CQ polling: per send, or CONFIG_FIT_NOWAIT batching (on by default in August 2018)" }),
      pollTimeoutReturns: z.boolean().default(true).meta({ description: 'false restores the August 2018 per-send poll that only warned after 20 s and kept spinning' }),
      rpcTimeout: duration({ zero: false }).prefault('30 s'),
      sequentialIbapi: z.boolean().optional().meta({ description: "true turns on CONFIG_FIT_SEQUENTIAL_IBAPI on P: a spinlock around every ibapi_send_reply, so one RPC is outstanding at a time (a debugging option, a186eeb8; on in the 29 August 2018 TensorFlow runs)" }),
    })
    .prefault({}),
  piLockIrqsaveFix: z.boolean().default(true).meta({ description: 'false restores the pre-30-August-2018 wake-up path that took rq->lock with interrupts on' }),
  watchdogPeriod: duration({ zero: false }).prefault('5 s').meta({ description: "the memory node's watchdog interval" }),
});

/** The watchdog calls a request stuck after 20*HZ jiffies: 20 s whatever HZ is. */
const STUCK_AFTER_NS = 20e9;

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
    const { nic } = profile;
    const fit = new Fit(sim, {
      ...nic,
      wire: wireTable(nic.rpcLatency, nullRpcCharged(profile)),
      sendWqes: [nic.sendWqes.processor, nic.sendWqes.memory, nic.sendWqes.storage],
      memoryPolling: kernel.fit.polling,
      pollTimeoutReturns: kernel.fit.pollTimeoutReturns,
    });
    const rng = sim.rng('pcache');
    const pcache = new Pcache(profile.pcache, kernel.pcache.policy, () => rng.random());
    const storage = new StorageNode(sim, fit, profile.storage.readTime, profile.pcache.lineSize, kernel.build);
    let processor: Processor | undefined;
    const memory = new MemoryNode(
      sim,
      fit,
      storage,
      { ...profile.memory, ...kernel.memory, copyTime: profile.pcache.copyTime, ringAckBytes: nic.ringAckEvery, watchdogPeriod: kernel.watchdogPeriod, stuckAfter: STUCK_AFTER_NS, release: kernel.build },
      (r) => processor!.deliver(r),
    );
    processor = new Processor(sim, pcache, fit, memory, {
      ...profile.pcache,
      allocTimeout: kernel.pcache.allocTimeout,
      rpcTimeout: kernel.fit.rpcTimeout,
      kmallocTime: profile.cpu.kmallocTime,
      tlbShootdownTime: profile.cpu.tlbShootdownTime,
      kmallocBuffers: kernel.pcache.kmallocBuffers,
      sequentialIbapi: kernel.fit.sequentialIbapi,
    });
    processor.sched = new Scheduler(sim, { cpus: profile.cpus, ...profile.cpu, piLockIrqsaveFix: kernel.piLockIrqsaveFix });
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
