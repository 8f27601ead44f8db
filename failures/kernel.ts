// The kernel's own reports, whatever the system: an oops, a panic, a BUG, a WARNING. Their
// consoles' format is Linux's (LegoOS prints the same); a system's own classes outrank them.
import { failureClasses, type FailureClass } from '../harness/registry.js';

/** The function a report names: the oops's IP, else the WARNING's "at FILE FN+0x", else the first frame. */
export function reportFunction(lines: string[]): string | undefined {
  for (const re of [/^IP: \[<[0-9a-f]+>\] (\w+)\+/, /^WARNING: CPU: \d+ PID: \d+ at \S+ (\w+)\+0x/, /^\[<[0-9a-f]+>\] (\w+)\+0x/]) {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return m[1];
    }
  }
  return undefined;
}

const at = (lines: string[]) => {
  const fn = reportFunction(lines);
  return fn ? ` in ${fn}` : '';
};
/** The first line of a report that matches, as a match. */
export const firstMatch = (lines: string[], re: RegExp) => lines.map((l) => re.exec(l)).find((m) => m);

export const OOPS: FailureClass = {
  kind: 'oops',
  outcome: 'crash',
  description: 'a kernel oops: a bad pointer dereferenced in kernel mode',
  patterns: [/^BUG: unable to handle kernel (.+?)( at [0-9a-fx]+)?$/, /^Oops: [0-9a-f]+ /],
  signature: (lines) => `BUG: unable to handle kernel ${firstMatch(lines, /^BUG: unable to handle kernel (.+?)( at [0-9a-fx]+)?$/)?.[1] ?? 'paging request'}${at(lines)}`,
  priority: 0,
  madeBy: 'any kernel',
};

export const PANIC: FailureClass = {
  kind: 'panic',
  outcome: 'crash',
  description: 'a kernel panic',
  patterns: [/Kernel [Pp]anic - not syncing: (.*)$/],
  signature: (lines) => `Kernel panic - not syncing: ${firstMatch(lines, /Kernel [Pp]anic - not syncing: (.*)$/)![1]}${at(lines)}`,
  priority: 0,
  madeBy: 'any kernel',
};

export const BUG: FailureClass = {
  kind: 'bug',
  outcome: 'crash',
  description: 'a BUG() or BUG_ON() that fired',
  patterns: [/^(?:kernel )?BUG(?: at|:) (?!unable to handle)(.*?)!?$/],
  signature: (lines) => `BUG: ${firstMatch(lines, /^(?:kernel )?BUG(?: at|:) (?!unable to handle)(.*?)!?$/)![1]}`,
  priority: 0,
  madeBy: 'any kernel',
};

export const WARNING: FailureClass = {
  kind: 'warning',
  outcome: 'error',
  description: 'a WARN() or WARN_ON() that fired',
  patterns: [/^WARNING: CPU: \d+ PID: \d+ at (\S+) (\w+)\+0x/],
  signature: (lines) => {
    const m = firstMatch(lines, /^WARNING: CPU: \d+ PID: \d+ at (\S+) (\w+)\+0x/)!;
    return `WARNING at ${m[1]} in ${m[2]}`;
  },
  priority: 0,
  madeBy: 'any kernel',
};

for (const c of [OOPS, PANIC, BUG, WARNING]) failureClasses.register(c);
