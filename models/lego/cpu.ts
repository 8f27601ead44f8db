// The processor node's CPUs as the console names them (arch/x86 smp, kernel/sched): each
// workload thread and kernel thread runs pinned on one CPU with a PID and a comm, which every
// console line of the LegoOS kernel carries.

export interface CpuContext {
  cpu: number;
  pid: number;
  comm: string;
  /** "CPU14 PID29", the prefix LegoOS's pcache messages print. */
  tag: string;
  /** The kernel release for oops headers, e.g. "4.0.0-lego+ #435". */
  release: string;
}

export function cpuContext(cpu: number, pid: number, comm: string, release: string): CpuContext {
  return { cpu, pid, comm, tag: `CPU${cpu} PID${pid}`, release };
}

const FIRST_USER_PID = 22;

/** Workload thread i runs pinned on CPU i, as TensorFlow's threads did under LegoOS. */
export function threadContext(i: number, comm: string, release: string): CpuContext {
  return cpuContext(i, FIRST_USER_PID + i, comm, release);
}
