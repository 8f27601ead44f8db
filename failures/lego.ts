// LegoOS failures (August 2018, seed log 000) as the models report them and as a LegoOS console
// shows them: the victim cache's double free and its variants, victim and pcache starvation, the
// run-queue deadlock, the lost CQE, the stuck memory-node worker and the RPC timeout.
import { failureClasses, type FailureClass } from '../harness/registry.js';
import { firstMatch, reportFunction } from './kernel.js';

/** The frames of a report's call trace, innermost first; "? fn" guesses left out. */
const frames = (lines: string[]) => lines.map((l) => /^\[<[0-9a-f]+>\] (\w+)\+0x/.exec(l)?.[1]).filter((f): f is string => f !== undefined);

export const VICTIM_DOUBLE_FREE: FailureClass = {
  kind: 'victim-double-free',
  outcome: 'crash',
  description: 'a victim-cache entry freed twice (PCACHE_BUG_ON_VICTIM, a BUG in victim code, or the NULL dereference it leads to): managers/processor/pcache/victim.c before the 31 August 2018 fix',
  patterns: [/victim dumped because: PCACHE_BUG_ON_VICTIM\(/, /^BUG: (?!unable to handle).*victim/, /^BUG: Double free/, /^IP: \[<[0-9a-f]+>\] \w*victim\w*\+/],
  signature(lines) {
    const cond = firstMatch(lines, /victim dumped because: (PCACHE_BUG_ON_VICTIM\(.*\))\s*$/)?.[1];
    if (cond) return `${cond} in ${reportFunction(lines) ?? '?'}`;
    const ip = firstMatch(lines, /^IP: \[<[0-9a-f]+>\] (\w+)\+/)?.[1];
    if (ip) return `NULL pointer dereference in ${ip}`;
    const bug = firstMatch(lines, /^(BUG: .*?)!?$/)![1];
    return `${bug} in ${/(\w+)\(\)$/.exec(bug)?.[1] ?? reportFunction(lines) ?? '?'}`;
  },
  priority: 10,
  madeBy: 'LegoOS model',
};

/** A class whose console line says all there is: one pattern, one signature. */
const fixed = (kind: string, outcome: FailureClass['outcome'], description: string, pattern: RegExp, signature: string): FailureClass => ({ kind, outcome, description, patterns: [pattern], signature: () => signature, priority: 10, madeBy: 'LegoOS model' });

export const VICTIM_STARVATION = fixed('victim-starvation', 'hang', 'no victim-cache entry freed within 20 s: "Abort victim alloc" with a dump of the victim cache', /Abort victim alloc \(\d+ms\)/, 'Abort victim alloc');

export const PCACHE_STARVATION = fixed('pcache-starvation', 'hang', 'no pcache line of the set could be evicted within 30 s: "Abort pcache alloc"', /Abort pcache alloc \(\d+ms\)/, 'Abort pcache alloc');

const RQ_DEADLOCK = 'Possible deadlock happend: scheduler_tick spins on rq->lock held by try_to_wake_up on the same CPU';

export const RQ_LOCK_DEADLOCK: FailureClass = {
  kind: 'rq-lock-deadlock',
  outcome: 'hang',
  description: "DEBUG_SPINLOCK's report of a spinlock spun on for 20 s; the timer interrupt's scheduler_tick on rq->lock held by try_to_wake_up on the same CPU is August 2018's",
  patterns: [/^Possible deadlock happend/],
  signature(lines) {
    const f = frames(lines);
    if (f.includes('scheduler_tick') && f.includes('try_to_wake_up')) return RQ_DEADLOCK;
    return `Possible deadlock happend in ${f[f.indexOf('debug_spin_lock') + 1] ?? f[0] ?? '?'}`;
  },
  priority: 10,
  madeBy: 'LegoOS model',
};

export const CQE_TIMEOUT = fixed('cqe-timeout', 'error', 'a send CQE that never came, polled per send for 20 s (net/lego/fit_internal.c)', /Fail to to get the CQE from send_cq after 20 seconds!/, 'Fail to to get the CQE from send_cq after 20 seconds!');

// The send-CQ polling loop itself: the worker is stuck in whatever called it.
const POLLING = new Set(['mlx4_ib_poll_cq', 'fit_internal_poll_sendcq']);

export const WORKER_STUCK: FailureClass = {
  kind: 'worker-stuck',
  outcome: 'hang',
  description: "the memory node's watchdog: a thpool worker on one request for 20 s",
  patterns: [/^watchdog: worker\[\d+\] CPU\d+ stucked/],
  signature(lines) {
    const op = firstMatch(lines, /common_header \[op=(0x[0-9a-f]+)/)?.[1] ?? '?';
    const rip = firstMatch(lines, /^RIP: [0-9a-f]+:\[<[0-9a-f]+>\]\s+\[<[0-9a-f]+>\] (\w+)\+/)?.[1];
    const where = [...(rip ? [rip] : []), ...frames(lines)].find((f) => !POLLING.has(f)) ?? 'thpool_worker_func';
    return `watchdog: worker stucked in ${where} (op=${op})`;
  },
  priority: 10,
  madeBy: 'LegoOS model',
};

export const RPC_TIMEOUT = fixed('rpc-timeout', 'error', "a FIT RPC whose reply did not come before P's timeout (-ETIMEDOUT)", /ibapi_send_reply_timeout: .*-ETIMEDOUT/, 'ibapi_send_reply_timeout -ETIMEDOUT');

for (const c of [VICTIM_DOUBLE_FREE, VICTIM_STARVATION, PCACHE_STARVATION, RQ_LOCK_DEADLOCK, CQE_TIMEOUT, WORKER_STUCK, RPC_TIMEOUT]) failureClasses.register(c);
