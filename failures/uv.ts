// SGI UV failures (October 2013, seed log 003) as the XPMEM model and its MPI workload report them
// and as a UV console or an MPI job's output shows them: khungtaskd's report of tasks asleep in
// XPMEM, an XPMEM call that failed (an errno, or SIGBUS through a dead attachment), and mpirun
// aborting a job whose rank died.
import { failureClasses, type FailureClass } from '../harness/registry.js';
import { firstMatch } from './kernel.js';

export const RECALL_HANG = 'hung task: recalls of one thread group deadlock in a nested invalidate_range_start for a GRU-space range (zap_xvma_ptes)';
export const MMAP_SEM_HANG = 'hung task: down_write(mmap_sem) in xpmem_remove_seg waits on recalls that borrowed it';

export const HUNG_TASK: FailureClass = {
  kind: 'hung-task',
  outcome: 'hang',
  description: 'khungtaskd: a task in uninterruptible sleep past the hung-task timeout; in XPMEM, a recall or an mmap_sem writer that never wakes',
  patterns: [/^INFO: task \S+ blocked for more than \d+ seconds\.?$/],
  signature(lines) {
    if (lines.some((l) => /xpmem_recall_PFNs -> zap_xvma_ptes -> invalidate_range_start/.test(l))) return RECALL_HANG;
    if (lines.some((l) => /xpmem_remove_seg .*down_write\(mmap_sem\)/.test(l))) return MMAP_SEM_HANG;
    return `hung task: ${firstMatch(lines, /^INFO: task (\S+?)(:\d+)? blocked/)?.[1] ?? '?'}`;
  },
  priority: 10,
  madeBy: 'UV model',
};

const XPMEM_CALL = /^\S+ \(tgid 0x[0-9a-f]+\) (xpmem_\w+|memcpy)\b.* -> (\S+)$/;

export const XPMEM_ERROR: FailureClass = {
  kind: 'xpmem',
  outcome: 'error',
  description: "an XPMEM call of an MPI rank failed: the driver's errno, or SIGBUS copying through an attachment whose segment is gone",
  patterns: [XPMEM_CALL],
  signature(lines) {
    const [, what, result] = firstMatch(lines, XPMEM_CALL)!;
    return result === 'SIGBUS' ? `SIGBUS in ${what}: the segment behind the attachment is gone` : `${what}: ${result}`;
  },
  priority: 10,
  madeBy: 'UV model',
};

export const MPI_ABORT: FailureClass = {
  kind: 'mpi',
  outcome: 'error',
  description: 'a rank died before MPI_Finalize and mpirun aborted the job',
  patterns: [/exited before MPI_Finalize/, /^mpirun noticed that process rank \d+ .* exited on signal/, /MPI_ABORT was invoked/],
  signature: () => 'mpirun: a rank exited before MPI_Finalize; job aborted',
  priority: 10,
  madeBy: 'UV model',
};

const DIFFERS = /^xpmem-script: (step \d+.*)$/;
const SUMMARY = /^xpmem-script: \d+ of \d+ steps differ$/;

/** The console lines of a script: a step that did not give the result it expects, and the
 *  summary at the end (the head of the report, so its steps make one episode). */
export const scriptLine = (what: string) => `xpmem-script: ${what}`;
export const scriptSummary = (differ: number, steps: number) => `xpmem-script: ${differ} of ${steps} steps differ`;

export const SCRIPT: FailureClass = {
  kind: 'script',
  outcome: 'error',
  description: 'an xpmem-script step gave another result than the one it expects (every step runs; the first that differs names the trial)',
  patterns: [SUMMARY, DIFFERS],
  signature(lines) {
    const all = lines.map((l) => DIFFERS.exec(l)?.[1]).filter((d): d is string => d !== undefined);
    const later = all.slice(1).map((d) => /^step (\d+)/.exec(d)![1]);
    return all[0] + (later.length ? `; later steps differ too: ${later.join(', ')}` : '');
  },
  priority: 10,
  madeBy: 'UV model',
};

for (const c of [HUNG_TASK, XPMEM_ERROR, MPI_ABORT, SCRIPT]) failureClasses.register(c);
