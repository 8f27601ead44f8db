// SGI UV failures (October 2013, seed log 003) as the XPMEM model reports them and as a UV
// console shows them: khungtaskd's report of tasks asleep in XPMEM.
import { failureClasses, type FailureClass } from '../harness/registry.js';

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
    return `hung task: ${lines.map((l) => /^INFO: task (\S+?)(:\d+)? blocked/.exec(l)?.[1]).find((t) => t) ?? '?'}`;
  },
  priority: 10,
};

failureClasses.register(HUNG_TASK);
