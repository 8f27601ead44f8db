// Reading a console log as a kernel engineer does: cut it into failure episodes (one CPU's or one
// task's report with its dumps and stack) and name each with the failure catalog. A log may mix
// prose, Markdown and log lines; an episode is a run of log lines, ended by a blank line, prose, a
// code fence, a line of another CPU or task, or the head of a second report of the same class.
import { failureClasses, type FailureClass } from './registry.js';

export interface Episode {
  class: string;
  outcome: string;
  signature: string;
  /** The first time stamp of the episode (seconds, as printed), if it has one. */
  time: string | null;
  cpu: number | null;
  pid: number | null;
  /** 1-based line numbers and text of the lines that show the class. */
  proof: { line: number; text: string }[];
  /** The episode's first and last line. */
  from: number;
  to: number;
}

const STAMP = /\[\s*(\d+\.\d{6})\]/;
// Lines a console prints without a time stamp inside a report: banners, stack and register dumps.
const CONTINUATION = /^\s*(\*{3,}|\[<[0-9a-f]+>\]|<TSK>|<EOT>|<IRQ>|Call Trace:|Stack:|Code:|RIP:|RSP:|R[A-Z0-9]{1,3}:|[A-Z]S:|CR[0-9]:|IP:|PGD|([0-9a-f]{8,16}\s*)+$)/;
const IDENTITY = [/\bCPU(\d+) PID(\d+)\b/, /\bCPU: (\d+) PID: (\d+)\b/, /\bworker\[\d+\] CPU(\d+)\b/];

interface Line {
  n: number;
  text: string;
  time: string | null;
  cpu: number | null;
  pid: number | null;
}

/** A time stamp near the start makes a log line (a dump may put hex before it). */
function stampOf(raw: string): RegExpExecArray | undefined {
  const m = STAMP.exec(raw);
  return m && m.index < 24 ? m : undefined;
}

/** Cuts a log into runs of log lines, each run split where the CPU or task changes. */
function runs(text: string): Line[][] {
  const out: Line[][] = [];
  let cur: Line[] = [];
  const end = () => {
    if (cur.length) out.push(cur);
    cur = [];
  };
  const all = text.split('\n');
  // A program's own output (an exec trial's, a test binary's) has no time stamps: all of it is
  // the log, blank lines too.
  const unstamped = !all.some((raw) => stampOf(raw));
  all.forEach((raw, i) => {
    const stamp = stampOf(raw);
    // Otherwise only what a console prints inside a report continues one.
    const isLog = unstamped || stamp || (cur.length > 0 && CONTINUATION.test(raw));
    if (!isLog || (!unstamped && raw.trim() === '')) return end();
    const body = stamp ? raw.slice(stamp.index + stamp[0].length) : raw;
    let cpu: number | null = null, pid: number | null = null;
    for (const re of IDENTITY) {
      const m = re.exec(body);
      if (m) {
        cpu = Number(m[1]);
        pid = m[2] === undefined ? null : Number(m[2]);
        break;
      }
    }
    const who = identity(cur);
    if (cpu !== null && who.cpu !== null && (cpu !== who.cpu || (pid !== null && who.pid !== null && pid !== who.pid))) end();
    cur.push({ n: i + 1, text: body.trim(), time: stamp ? stamp[1] : null, cpu, pid });
  });
  end();
  return out;
}

function identity(lines: Line[]): { cpu: number | null; pid: number | null } {
  const cpu = lines.find((l) => l.cpu !== null)?.cpu ?? null;
  const pid = lines.find((l) => l.pid !== null)?.pid ?? null;
  return { cpu, pid };
}

/** The catalog class an episode's lines show best, and the line that heads it. */
function best(lines: Line[], classes: FailureClass[]): { c: FailureClass; head: number } | undefined {
  let found: { c: FailureClass; head: number } | undefined;
  for (const c of classes) {
    const head = lines.findIndex((l) => c.patterns.some((p) => p.test(l.text)));
    if (head >= 0 && (!found || c.priority > found.c.priority)) found = { c, head };
  }
  return found;
}

/** Every failure episode of a console log, in the order they appear. */
export function classify(text: string): Episode[] {
  const classes = failureClasses.all();
  const episodes: Episode[] = [];
  for (const run of runs(text)) {
    // A second head of the class (its first pattern) begins another report.
    let rest = run;
    while (rest.length) {
      const found = best(rest, classes);
      if (!found) break;
      const next = rest.findIndex((l, i) => i > found.head && found.c.patterns[0].test(l.text));
      const lines = next > 0 ? rest.slice(0, next) : rest;
      const texts = lines.map((l) => l.text);
      const who = identity(lines);
      episodes.push({
        class: found.c.kind,
        outcome: found.c.outcome,
        signature: found.c.signature(texts),
        time: lines.find((l) => l.time !== null)?.time ?? null,
        cpu: who.cpu,
        pid: who.pid,
        proof: lines.filter((l) => found.c.patterns.some((p) => p.test(l.text))).map((l) => ({ line: l.n, text: l.text })),
        from: lines[0].n,
        to: lines.at(-1)!.n,
      });
      rest = next > 0 ? rest.slice(next) : [];
    }
  }
  return episodes;
}
