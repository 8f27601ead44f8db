// Runs one real command for a trial, in a process of its own: a trial is synchronous, and a real
// process needs timers beside it (the signals a fault sends at their offsets, the timeout). The
// command leads a process group of its own, so a timeout or the end of the run kills everything
// it started, and a Ctrl-C of faultsweep kills it too.
//   node dist/harness/exec/supervisor.js < request.json > report.json
import { readdirSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import type { ExecReport, ExecRequest, Signal } from './run.js';

const req = JSON.parse(readFileSync(0, 'utf8')) as ExecRequest;
const t0 = process.hrtime.bigint();
const since = () => Number(process.hrtime.bigint() - t0);
const cpu0 = childrenCpuNs();

const sub = execa(req.command[0], req.command.slice(1), {
  shell: req.shell,
  cwd: req.cwd,
  env: req.env,
  stdin: 'ignore',
  all: true,
  buffer: false,
  reject: false,
  detached: true,
});
const pid = sub.pid;
const group = (signal: NodeJS.Signals) => {
  try {
    if (pid) process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => { group('SIGKILL'); process.exit(130); });

let running = pid !== undefined;
const sent: Signal[] = [];
const timers = req.signals.map((s) =>
  setTimeout(() => {
    if (!running) return;
    try {
      process.kill(s.target === 'group' ? -pid! : pid!, s.signal);
      sent.push({ ...s, atNs: since() });
    } catch {
      // It exited between our check and the kill.
    }
  }, s.atNs / 1e6),
);
let timedOut = false;
timers.push(
  setTimeout(() => {
    if (!running) return;
    timedOut = true;
    void killGroup(pid!);
  }, req.timeoutNs / 1e6),
);

// Peak memory: the sum of the group's resident sets, sampled, and the leader's own high-water mark.
let rssBytes = 0;
const sampler = setInterval(() => (rssBytes = Math.max(rssBytes, groupRss(pid!))), 10);

const lines: ExecReport['lines'] = [];
let dropped = 0;
if (running) {
  for await (const text of sub.iterable({ from: 'all' })) {
    lines.push({ atNs: since(), text: String(text) });
    if (lines.length > req.maxLines) {
      lines.shift();
      dropped++;
    }
  }
}
const result = await sub;
running = false;
const wallNs = since();
for (const t of timers) clearTimeout(t);
clearInterval(sampler);
// Whatever the command left behind in its group (a daemon, a stopped child) goes with it.
if (pid) await killGroup(pid);

const report: ExecReport = {
  pid: pid ?? null,
  spawnError: pid === undefined ? (result.originalMessage ?? result.message ?? 'it did not start') : null,
  exitCode: result.exitCode ?? null,
  signal: timedOut ? 'SIGKILL' : (result.signal ?? null),
  timedOut,
  wallNs,
  cpuNs: childrenCpuNs() - cpu0,
  rssBytes,
  lines,
  dropped,
  sent,
};
process.stdout.write(JSON.stringify(report));

/** CPU time of the children this process waited for (cutime + cstime of /proc/self/stat). */
function childrenCpuNs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of proc(5), in clock ticks of USER_HZ (100 on Linux).
    return (Number(f[13]) + Number(f[14])) * 1e7;
  } catch {
    return 0;
  }
}

interface Member {
  pid: number;
  ppid: number;
  zombie: boolean;
}

/** The processes of a group, from /proc (fields 3 to 5 of proc(5): state, parent, group). */
function members(pgid: number): Member[] {
  const found: Member[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid) found.push({ pid: Number(p), ppid: Number(ppid), zombie: state === 'Z' });
    } catch {
      // It exited while we looked.
    }
  }
  return found;
}

/** The group's resident memory now: the sum of its processes' RSS, or the leader's VmHWM if more. */
function groupRss(pgid: number): number {
  let sum = 0, hwm = 0;
  for (const m of members(pgid)) {
    try {
      const status = readFileSync(`/proc/${m.pid}/status`, 'utf8');
      const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0) * 1024;
      sum += kB('VmRSS');
      if (m.pid === pgid) hwm = kB('VmHWM');
    } catch {
      // It exited while we looked.
    }
  }
  return Math.max(sum, hwm);
}

/**
 * Kills a process group from its leaves up, each process once its children are reaped, so the
 * parents that still live reap them: killed all at once, the children are orphans that init
 * reaps when it gets to it, and until then the group is not gone. Stopped processes are
 * continued first, or they could not reap.
 */
async function killGroup(pgid: number): Promise<void> {
  group('SIGCONT');
  for (let round = 0; round < 100; round++) {
    const left = members(pgid);
    if (left.length === 0) return;
    const live = left.filter((m) => !m.zombie);
    if (live.length === 0) return;
    const parents = new Set(left.map((m) => m.ppid));
    // After a while, a parent that does not reap its dead children is killed anyway.
    const leaves = round < 20 ? live.filter((m) => !parents.has(m.pid)) : live;
    for (const m of leaves) {
      try {
        process.kill(m.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
