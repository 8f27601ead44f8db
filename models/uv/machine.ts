// An SGI UV 2000-class machine (SGI UV 2000 system user guide; sgi-xp's xpc_partition.c for
// partition state): partitions, each a single system image of blades with one hub and two
// 8-core sockets, 8 blades a chassis, NUMAlink hops between blades, XPC between partitions, and
// XPMEM in each kernel. Ranks are placed on cores in blocks, or round robin over partitions and
// then blades. Copies share what they pass through: a blade's memory, and its NUMAlink port in
// each direction.
import * as z from 'zod';
import { InputError } from '../../harness/errors.js';
import { systems } from '../../harness/registry.js';
import type { Simulation } from '../../harness/sim/simulation.js';
import { bandwidth, duration } from '../../harness/experiment/units.js';
import { MAX_PARTITIONS, Task, Xpmem, type ThreadGroup } from './xpmem.js';

const uvProfile = z.strictObject({
  partitions: z.int().positive().max(MAX_PARTITIONS, `at most ${MAX_PARTITIONS} partitions (XP_MAX_NPARTITIONS_UV)`),
  bladesPerPartition: z.int().positive(),
  socketsPerBlade: z.int().positive(),
  coresPerSocket: z.int().positive(),
  threadsPerCore: z.int().positive(),
  bladesPerChassis: z.int().positive(),
  chassisPerGroup: z.int().positive().meta({ description: 'chassis cabled to each other directly; beyond them a router hop' }),
  grusPerHub: z.int().positive(),
  gruContextsPerChiplet: z.int().positive(),
  numalink: z.strictObject({ bandwidth: bandwidth(), hopLatency: duration() }),
  localMemoryLatency: duration(),
  memoryBandwidth: bandwidth().meta({ description: "a blade's memory bandwidth, shared by every copy that reads or writes it" }),
  copyBandwidth: bandwidth().meta({ description: "one core's memcpy bandwidth" }),
  timerIrqTime: duration().meta({ description: 'CPU time a timer interrupt takes from the task it hits' }),
  xpmem: z.strictObject({
    syscall: duration(),
    xpcRoundTrip: duration(),
    pteClear: duration().meta({ description: 'clearing one populated PTE' }),
    tlbFlush: duration(),
    pageFault: duration(),
  }),
});

const uvKernel = z.strictObject({
  build: z.string().default('SGI XPMEM 2013'),
  xpmemDriver: z
    .enum(['sgi', 'openucx-2.7.4'])
    .default('sgi')
    .meta({ description: "whose checks XPMEM makes where they differ: SGI's driver (the 2008 linux-mm posting: partitions, XPC, the partition in ids) or openucx/xpmem v2.7.4 (one kernel, no XPC)" }),
  xpmemMaxaddrClamp: z.boolean().default(true).meta({ description: 'false: XPMEM_MAXADDR_SIZE covers GRU space (before the 2013 fix)' }),
  hungTaskTimeout: duration({ zero: false }).prefault('120 s').meta({ description: "khungtaskd's hung_task_timeout_secs" }),
});

type UvProfile = z.output<typeof uvProfile>;
type UvKernel = z.output<typeof uvKernel>;

export type Placement = 'block' | 'round-robin';

/** Hardware threads in the whole machine. */
function uvCpus(p: UvProfile): number {
  return p.partitions * p.bladesPerPartition * p.socketsPerBlade * p.coresPerSocket * p.threadsPerCore;
}

/** The workloads' check that their ranks fit the machine, one rank a hardware thread. */
export function ranksFit(ranks: number, p: UvProfile): { path: string[]; message: string } | undefined {
  const cpus = uvCpus(p);
  return ranks > cpus ? { path: ['ranks'], message: `${ranks} ranks do not fit on the ${cpus} CPUs of this ${p.partitions}-partition machine` } : undefined;
}

export interface Cpu {
  id: number;
  partition: number;
  /** The blade's index in the whole machine, which fixes its chassis. */
  blade: number;
}

export class UvMachine {
  readonly xpmem: Xpmem;
  readonly interrupts: Record<string, number> = {};
  /** Every task, in the order workloads created them (rank order). */
  readonly tasks: Task[] = [];
  /** Called when a fault makes a task's thread group exit under a running workload. */
  onKilled?: (t: Task) => void;
  private onCpu: (Task | undefined)[] = [];
  /** Per blade, when its memory, and its NUMAlink port out and in, have served every byte asked of them so far. */
  private memoryFree: Float64Array;
  private linkOutFree: Float64Array;
  private linkInFree: Float64Array;

  constructor(readonly sim: Simulation, readonly profile: UvProfile, readonly kernel: UvKernel) {
    this.xpmem = new Xpmem(sim, {
      driver: kernel.xpmemDriver,
      maxaddrClamp: kernel.xpmemMaxaddrClamp,
      costs: profile.xpmem,
      hungTaskTimeout: kernel.hungTaskTimeout,
    });
    const blades = profile.partitions * profile.bladesPerPartition;
    this.memoryFree = new Float64Array(blades);
    this.linkOutFree = new Float64Array(blades);
    this.linkInFree = new Float64Array(blades);
  }

  /** Hardware threads a blade runs: a rank runs on one. */
  get cpusPerBlade(): number {
    const p = this.profile;
    return p.socketsPerBlade * p.coresPerSocket * p.threadsPerCore;
  }

  get nrCpus(): number {
    return uvCpus(this.profile);
  }

  setXpc(partition: number, up: boolean): void {
    this.xpmem.setXpc(partition, up);
  }

  /** The CPUs (hardware threads) n ranks run on, one each: every core once before any twice. */
  place(ranks: number, placement: Placement): Cpu[] {
    const { partitions: parts, bladesPerPartition: blades, threadsPerCore } = this.profile;
    const coresPerBlade = this.cpusPerBlade / threadsPerCore;
    const coresPerPart = blades * coresPerBlade;
    if (ranks > this.nrCpus) throw new InputError(`workload.ranks: ${ranks} ranks do not fit on the ${this.nrCpus} CPUs of this ${parts}-partition machine`);
    const perPart = Math.ceil(ranks / parts);
    const cpus: Cpu[] = [];
    for (let r = 0; r < ranks; r++) {
      // Block fills a partition core by core, blade by blade; round robin deals ranks to
      // partitions, then to blades.
      const partition = placement === 'round-robin' ? r % parts : Math.floor(r / perPart);
      const i = placement === 'round-robin' ? Math.floor(r / parts) : r % perPart;
      const thread = Math.floor(i / coresPerPart);
      const j = i % coresPerPart;
      const blade = placement === 'round-robin' ? j % blades : Math.floor(j / coresPerBlade);
      const core = placement === 'round-robin' ? Math.floor(j / blades) : j % coresPerBlade;
      const globalBlade = partition * blades + blade;
      cpus.push({ id: (globalBlade * coresPerBlade + core) * threadsPerCore + thread, partition, blade: globalBlade });
    }
    return cpus;
  }

  /** NUMAlink hops between two blades: none on a blade, one in a chassis, a router beyond a group. */
  hops(a: number, b: number): number {
    if (a === b) return 0;
    const ca = Math.floor(a / this.profile.bladesPerChassis), cb = Math.floor(b / this.profile.bladesPerChassis);
    if (ca === cb) return 1;
    return Math.floor(ca / this.profile.chassisPerGroup) === Math.floor(cb / this.profile.chassisPerGroup) ? 2 : 3;
  }

  /** Copying bytes from memory `hops` NUMAlink hops away, in chunks of `chunk` bytes, with nothing else in the way. */
  copyTime(hops: number, bytes: number, chunk: number): number {
    const p = this.profile;
    const bitsPerSec = hops === 0 ? p.copyBandwidth : Math.min(p.copyBandwidth, p.numalink.bandwidth);
    const latency = p.localMemoryLatency + hops * p.numalink.hopLatency;
    return Math.ceil(bytes / chunk) * latency + transferNs(bytes, bitsPerSec);
  }

  /**
   * A copy of bytes from blade src's memory by a core on blade dst, starting at time `at`: how
   * long it takes. Alone it takes copyTime. The source's memory (read), the destination's memory
   * (write) and, between blades, the source's port out and the destination's port in each serve
   * bytes at their bandwidth, first come first served, so copies that share one queue behind
   * each other: 1023 ranks reading one root's buffer cannot together go faster than its blade.
   */
  copy(src: number, dst: number, bytes: number, chunk: number, at: number): number {
    const p = this.profile;
    const hops = this.hops(src, dst);
    let done = at + this.copyTime(hops, bytes, chunk);
    done = Math.max(done, serve(this.memoryFree, src, at, bytes, p.memoryBandwidth), serve(this.memoryFree, dst, at, bytes, p.memoryBandwidth));
    if (hops > 0) done = Math.max(done, serve(this.linkOutFree, src, at, bytes, p.numalink.bandwidth), serve(this.linkInFree, dst, at, bytes, p.numalink.bandwidth));
    return done - at;
  }

  /** A task of thread group tg running on cpu: interrupts there take their time from it. */
  task(tg: ThreadGroup, name: string, cpu: Cpu): Task {
    const t = new Task(tg, name, cpu.id);
    this.onCpu[cpu.id] = t;
    this.tasks.push(t);
    return t;
  }

  interrupt(cpu: number, why: string): void {
    this.interrupts[why] = (this.interrupts[why] ?? 0) + 1;
    const t = this.onCpu[cpu];
    if (t && t.blocked === 0) t.due += this.profile.timerIrqTime;
  }
}

/** Queues bytes at resource i of a set, which serves bitsPerSec from `at` or when free: when it will have served them. */
function serve(freeAt: Float64Array, i: number, at: number, bytes: number, bitsPerSec: number): number {
  return (freeAt[i] = Math.max(at, freeAt[i]) + transferNs(bytes, bitsPerSec));
}

/** How long bytes take at bitsPerSec, in whole nanoseconds. */
function transferNs(bytes: number, bitsPerSec: number): number {
  return Math.round((bytes * 8e9) / bitsPerSec);
}

systems.register({
  kind: 'uv',
  description: 'SGI UV: partitions of blades (hub, two 8-core sockets) over NUMAlink, XPC between them, XPMEM',
  profile: uvProfile,
  kernel: uvKernel,
  build: (sim: Simulation, profile: UvProfile, kernel: UvKernel) => new UvMachine(sim, profile, kernel),
});
