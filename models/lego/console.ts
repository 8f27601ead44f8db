// LegoOS console formats (kernel/panic.c, arch/x86/kernel/dumpstack.c): WARNINGs with their call
// trace, so a failing trial's log reads like the testbed's serial console.
import type { CpuContext } from './cpu.js';

/** Symbol addresses as they appear in the August 2018 console logs (seed log 000). */
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
  report_deadlock: 'ffffffff8101f498>] report_deadlock+0x58/0x60',
  debug_spin_lock: 'ffffffff8101f4e4>] debug_spin_lock+0x44/0x50',
  scheduler_tick: 'ffffffff8101b18e>] scheduler_tick+0x2e/0x60',
  tick_handle_periodic: 'ffffffff810174d5>] tick_handle_periodic+0x45/0x70',
  apic_timer_interrupt: 'ffffffff81006774>] apic_timer_interrupt+0x54/0x90',
  smp__apic_timer_interrupt: 'ffffffff8100e8aa>] smp__apic_timer_interrupt+0x6a/0x70',
  activate_task: 'ffffffff8101ad34>] activate_task+0x44/0x50',
  ttwu_do_activate: 'ffffffff8101b667>] ttwu_do_activate+0x27/0x50',
  try_to_wake_up: 'ffffffff8101b86e>] try_to_wake_up+0xce/0x1f0',
  wake_up_q: 'ffffffff8101b9e4>] wake_up_q+0x54/0xc0',
  do_futex: 'ffffffff81028487>] do_futex+0x407/0x620',
  sys_futex: 'ffffffff8102870c>] sys_futex+0x6c/0x130',
  do_syscall_64: 'ffffffff8100ec66>] do_syscall_64+0x36/0xc0',
  entry_SYSCALL64_slow_path: 'ffffffff8100db6c>] entry_SYSCALL64_slow_path+0x25/0x25',
  fit_internal_poll_sendcq: 'ffffffff810724b5>] fit_internal_poll_sendcq+0xe5/0x140',
  fit_send_message_with_rdma_write_with_imm_request: 'ffffffff81072662>] fit_send_message_with_rdma_write_with_imm_request+0x152/0x350',
  mlx4_ib_poll_cq: 'ffffffff810522c3>] mlx4_ib_poll_cq+0x1d3/0x850',
  fit_send_reply_with_rdma_write_with_imm: 'ffffffff8106ab2f>] fit_send_reply_with_rdma_write_with_imm+0x25f/0x3a0',
  ibapi_send_reply_imm: 'ffffffff81067c80>] ibapi_send_reply_imm+0x50/0xd0',
  __storage_read: 'ffffffff8102e953>] __storage_read+0xc3/0x120',
  storage_read: 'ffffffff8102e9bf>] storage_read+0xf/0x50',
  storage_vma_fault: 'ffffffff8102eab7>] storage_vma_fault+0xb7/0x130',
  handle_lego_mm_fault: 'ffffffff8103262f>] handle_lego_mm_fault+0x13f/0x4a0',
  common_handle_p2m_miss: 'ffffffff8102ecf4>] common_handle_p2m_miss.isra.1+0x54/0xc0',
  handle_p2m_pcache_miss: 'ffffffff8102edc7>] handle_p2m_pcache_miss+0x67/0x2d0',
  thpool_worker_func: 'ffffffff8102bf96>] thpool_worker_func+0x296/0x3a0',
  fit_ack_reply_callback: 'ffffffff81069ab5>] fit_ack_reply_callback+0x185/0x1e0',
  kthread: 'ffffffff81022ec1>] kthread+0x111/0x130',
  ret_from_fork: 'ffffffff8100eb32>] ret_from_fork+0x22/0x30',
};

const FAULT_PATH = ['common_do_fill_page', 'pcache_handle_fault', 'do_page_fault', 'page_fault'];
const KTHREAD_PATH = ['victim_flush_async', 'kthread', 'ret_from_fork'];

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
