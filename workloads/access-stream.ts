// Runs a stream of compressed page accesses on one thread: hits are charged inline as CPU time
// (no event), only a miss runs the system's fault path. A stream is any iterator of Access,
// generated (tensorflow, remote-access) or read from a file (trace), never held whole.
import type { Body, Co, Simulation } from '../harness/sim/simulation.js';
import type { Barrier } from '../harness/sim/sync.js';
import type { CpuContext } from '../models/lego/cpu.js';

export interface Access {
  page: number;
  write: boolean;
  /** Accesses to the same page in a row (cache lines of a page walked in order). */
  repeat: number;
  /** CPU time spent before this access. */
  computeNs: number;
  /** A step boundary: every thread waits here for the others. */
  barrier: boolean;
  /** System calls made before this access: memory management, and file calls. */
  mm: number;
  files: number;
}

/** What a memory-management or file system call costs on Linux, where it never leaves the
 *  machine (estimate: an anonymous mmap, or a stat of a cached dentry, is about a microsecond). */
export const LOCAL_SYSCALL_NS = 1000;

/** What a workload needs of a memory system: LegoOS's processor node, or plain local DRAM. */
export interface MemoryPath {
  hitTime: number;
  hit(page: number, write: boolean): number;
  fault(ctx: CpuContext, page: number, write: boolean): Co;
  mapFile(first: number, count: number): void;
  mapResident(first: number, count: number): void;
  /** The kernel's futex wake of n waiting threads, where the kernel models it. */
  wakeUp?(ctx: CpuContext, n: number): Co;
  /** System calls the kernel serves elsewhere; where it is absent they cost LOCAL_SYSCALL_NS. */
  syscall?(ctx: CpuContext, kind: 'mm' | 'file', n: number): Co;
}

export interface ThreadStats {
  accesses: number;
  /** What the same stream costs with all memory local: compute plus a DRAM access each. */
  localNs: number;
}

export function* runStream(sim: Simulation, mem: MemoryPath, ctx: CpuContext, stream: Iterator<Access>, barrier: Barrier | undefined, stats: ThreadStats): Body {
  const hitTime = mem.hitTime;
  let debt = 0;
  for (let r = stream.next(); !r.done; r = stream.next()) {
    const a = r.value;
    if (a.barrier) {
      if (debt > 0) yield debt;
      debt = 0;
      if (!barrier) continue;
      const wait = barrier.arrive();
      if (wait) yield wait;
      else {
        if (mem.wakeUp) yield* mem.wakeUp(ctx, barrier.parties - 1);
        if (sim.isStopped) return;
        barrier.release();
      }
      continue;
    }
    if (a.mm + a.files > 0) {
      stats.localNs += (a.mm + a.files) * LOCAL_SYSCALL_NS;
      if (debt > 0) yield debt;
      debt = 0;
      if (mem.syscall) {
        if (a.mm) yield* mem.syscall(ctx, 'mm', a.mm);
        if (a.files) yield* mem.syscall(ctx, 'file', a.files);
        if (sim.isStopped) return;
      } else debt = (a.mm + a.files) * LOCAL_SYSCALL_NS;
    }
    stats.accesses += a.repeat;
    stats.localNs += a.computeNs + a.repeat * hitTime;
    debt += a.computeNs;
    const t = mem.hit(a.page, a.write);
    if (t >= 0) {
      debt += t * a.repeat;
      continue;
    }
    if (debt > 0) yield debt;
    debt = (a.repeat - 1) * hitTime;
    yield* mem.fault(ctx, a.page, a.write);
    if (sim.isStopped) return;
  }
  if (debt > 0) yield debt;
}
