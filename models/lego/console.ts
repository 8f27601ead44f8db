// LegoOS console formats (kernel/panic.c, arch/x86/kernel/dumpstack.c): WARNINGs with their call
// trace, so a failing trial's log reads like the testbed's serial console.
import type { CpuContext } from './cpu.js';

/** Symbol addresses as they appear in the August 2018 console logs. */
const SYMBOLS: Record<string, string> = {
  __put_victim_nolist: 'ffffffff8103c9c8>] __put_victim_nolist+0xb8/0x140',
  victim_try_fill_pcache: 'ffffffff8103db18>] victim_try_fill_pcache+0x2f8/0x440',
  __victim_flush_func: 'ffffffff8103e152>] __victim_flush_func+0x232/0x250',
  victim_flush_async: 'ffffffff8103e1d9>] victim_flush_async+0x69/0xb0',
  victim_finish_insert: 'ffffffff8103c161>] victim_finish_insert+0x171/0x180',
  victim_evict_line: 'ffffffff8103b2a2>] pcache_evict_line+0xf2/0x2e0',
  pcache_alloc: 'ffffffff81038d7c>] pcache_alloc+0x1ac/0x380',
  common_do_fill_page: 'ffffffff810382bb>] common_do_fill_page+0x2b/0x1e0',
  pcache_handle_fault: 'ffffffff81038631>] pcache_handle_fault+0x1c1/0x620',
  do_page_fault: 'ffffffff8101006f>] do_page_fault+0xaf/0x1c0',
  page_fault: 'ffffffff8100dedf>] page_fault+0x1f/0x30',
  kthread: 'ffffffff81022ec1>] kthread+0x111/0x130',
  ret_from_fork: 'ffffffff8100eb32>] ret_from_fork+0x22/0x30',
};

const FAULT_PATH = ['common_do_fill_page', 'pcache_handle_fault', 'do_page_fault', 'page_fault'];
const KTHREAD_PATH = ['victim_flush_async', 'kthread', 'ret_from_fork'];

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

export function callTrace(frames: string[]): string {
  return ['Call Trace:', '<TSK>', ...frames.map((f) => `[<${SYMBOLS[f] ?? `ffffffff81000000>] ${f}+0x0/0x0`}`), '<EOT>'].join('\n');
}

/** A WARNING with its trace; the caller's frames are followed by the thread's own entry path. */
export function kernelWarning(ctx: CpuContext, where: string, fn: string, frames: string[]): string {
  const tail = ctx.comm === 'kvictim_flushd' ? KTHREAD_PATH : FAULT_PATH;
  const sym = (SYMBOLS[fn] ?? `x>] ${fn}+0x0/0x0`).split('] ')[1];
  return [
    `WARNING: CPU: ${ctx.cpu} PID: ${ctx.pid} at ${where} ${sym}`,
    `CPU: ${ctx.cpu} PID: ${ctx.pid} Comm: ${ctx.comm} ${ctx.release}`,
    callTrace([...new Set([...frames, ...tail])]),
  ].join('\n');
}
