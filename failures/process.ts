// How a real process fails, as the exec workload's console and a program's captured output show
// it: the timeout faultsweep killed it at, a signal it died of, an exit status, and what programs
// print when they give up (an assertion, a panic, a sanitizer's report). A program's own report
// outranks the death it leads to; both outrank nothing but a plain exit status.
import { failureClasses, type FailureClass } from '../harness/registry.js';
import { firstMatch } from './kernel.js';

/** The exec workload's own lines, after the command's output: what became of the command. */
export const execLine = {
  timeout: (after: string) => `faultsweep: timeout after ${after}: killed the process group`,
  signal: (signal: string) => `faultsweep: killed by ${signal}`,
  exit: (status: number) => `faultsweep: exit status ${status}`,
};

const TIMEOUT = /^faultsweep: timeout after (.+): killed the process group$/;
const SIGNAL = /^faultsweep: killed by (SIG[A-Z0-9]+)$/;
const EXIT = /^faultsweep: exit status (\d+)$/;

/** A class faultsweep's own last line shows: its signature is the line's words from `label` on. */
const ending = (kind: string, outcome: FailureClass['outcome'], description: string, pattern: RegExp, label: string, priority: number): FailureClass => ({
  kind,
  outcome,
  description,
  patterns: [pattern],
  signature: (lines) => `${label}${firstMatch(lines, pattern)![1]}`,
  priority,
  madeBy: 'a program (exec)',
});

export const TIMEOUT_CLASS = ending('timeout', 'hang', 'the command ran past its timeout; faultsweep killed its whole process group', TIMEOUT, 'timeout after ', 20);

const GLIBC_ASSERT = /^\S+: \S+:\d+: (.+?): Assertion `(.+)' failed\.$/;
const ASSERTION_ERROR = /^(?:Uncaught )?AssertionError(?: \[ERR_ASSERTION\])?: (.+)$/;
const RUST_PANIC = /^thread '.*' panicked at \S+:$/;

export const ASSERTION: FailureClass = {
  kind: 'assertion',
  outcome: 'crash',
  description: "the program's own check failed: a C assert(), an AssertionError (Node.js, Python), a Rust panic",
  patterns: [GLIBC_ASSERT, ASSERTION_ERROR, RUST_PANIC],
  signature(lines) {
    const c = firstMatch(lines, GLIBC_ASSERT);
    if (c) return `Assertion \`${c[2]}' failed in ${c[1]}`;
    const a = firstMatch(lines, ASSERTION_ERROR);
    if (a) return `AssertionError: ${a[1]}`;
    // A Rust panic's message is the line after its head.
    const at = lines.findIndex((l) => RUST_PANIC.test(l));
    return `panicked: ${lines[at + 1] ?? '?'}`;
  },
  priority: 5,
  madeBy: 'a program (exec)',
};

const SANITIZER_ERROR = /^==\d+==ERROR: (\w+Sanitizer): (\S+)/;
const SANITIZER_WARNING = /^WARNING: (\w+Sanitizer): (.+?) \(pid=\d+\)$/;
const UBSAN = /^\S+:\d+:\d+: runtime error: (.+)$/;

export const SANITIZER: FailureClass = {
  kind: 'sanitizer',
  outcome: 'error',
  description: "a sanitizer's report: AddressSanitizer, LeakSanitizer, ThreadSanitizer, UndefinedBehaviorSanitizer",
  patterns: [SANITIZER_ERROR, SANITIZER_WARNING, UBSAN],
  signature(lines) {
    const m = firstMatch(lines, SANITIZER_ERROR) ?? firstMatch(lines, SANITIZER_WARNING);
    return m ? `${m[1]}: ${m[2]}` : `UndefinedBehaviorSanitizer: ${firstMatch(lines, UBSAN)![1]}`;
  },
  priority: 5,
  madeBy: 'a program (exec)',
};

export const SIGNAL_CLASS = ending('signal', 'crash', 'the command died of a signal (one a fault sent, or its own SIGSEGV, SIGABRT, ...)', SIGNAL, 'killed by ', -1);

export const EXIT_STATUS = ending('exit-status', 'error', 'the command exited with a status other than 0, and printed nothing the catalog knows', EXIT, 'exit status ', -2);

for (const c of [TIMEOUT_CLASS, ASSERTION, SANITIZER, SIGNAL_CLASS, EXIT_STATUS]) failureClasses.register(c);
