// A real command's run, for the exec workload: the supervisor (supervisor.ts) runs it beside the
// trial's thread, which waits for its report. What the run was asked to do is plain data, so a
// trial can digest it and a replay can check it asks for the same.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Signal {
  /** Offset from the command's start. */
  atNs: number;
  signal: NodeJS.Signals;
  /** The command's own process, or its whole process group. */
  target: 'process' | 'group';
  /** The fault that sends it, and its phase, for the fault's count. */
  fault: string;
  phase: string;
}

export interface ExecRequest {
  command: string[];
  shell: boolean;
  cwd: string;
  env: Record<string, string>;
  timeoutNs: number;
  signals: Signal[];
  /** The output lines kept (the last ones). */
  maxLines: number;
}

export interface ExecReport {
  pid: number | null;
  /** Why the command could not start (no such file, not executable), or null. */
  spawnError: string | null;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  wallNs: number;
  /** CPU time of the command and the children it waited for. */
  cpuNs: number;
  /** The most the command's process group held resident, sampled every 10 ms. */
  rssBytes: number;
  /** Its standard output and error, interleaved, each line with its offset from the start. */
  lines: { atNs: number; text: string }[];
  /** Lines before the kept ones, dropped. */
  dropped: number;
  /** The signals delivered, at the offsets they were (before the command ended). */
  sent: Signal[];
}

const supervisor = join(dirname(fileURLToPath(import.meta.url)), 'supervisor.js');

/** Runs the command and waits for it; the supervisor's own failure is an error, not an outcome. */
export function runCommand(req: ExecRequest): ExecReport {
  // The supervisor kills the command at its timeout; this one covers a supervisor that hangs.
  const r = spawnSync(process.execPath, [supervisor], { input: JSON.stringify(req), maxBuffer: 256 * 2 ** 20, timeout: req.timeoutNs / 1e6 + 30_000, killSignal: 'SIGTERM' });
  if (r.error) throw new Error(`exec supervisor: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`exec supervisor exited with ${r.status ?? r.signal}: ${r.stderr.toString().trim()}`);
  return JSON.parse(r.stdout.toString()) as ExecReport;
}
