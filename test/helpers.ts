// Shared by the tests: run the CLI as a user would, and read a run's records.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = join(root, 'bin', 'faultsweep.js');

export function faultsweep(args: string[], opts: Options = {}) {
  return execa('node', [bin, ...args], { cwd: root, reject: false, ...opts });
}

const made: string[] = [];
// Each test file runs in a process of its own: its scratch directories go when it exits.
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh scratch directory, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `faultsweep-${prefix}-`));
  made.push(d);
  return d;
}

/** A run's records, sorted, without the machine-dependent `host` part. */
export function canonicalTrials(text: string): string[] {
  return text
    .trim()
    .split('\n')
    .map((l) => {
      const { host: _host, ...r } = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(r);
    })
    .sort();
}

/** The arguments of a recorded replay command ("faultsweep replay ..."), as a shell would split them. */
export function replayArgs(command: string): string[] {
  return (command.match(/'[^']*'|\S+/g) ?? []).slice(1).map((t) => (t.startsWith("'") ? t.slice(1, -1) : t));
}

/** Runs the CLI in this process (no start-up cost) and captures what it writes. Commands that
 *  start worker threads belong in faultsweep(); this is for loading, validating and refusing. */
export async function cli(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const { main } = await import('../harness/cli.js');
  const out: string[] = [];
  const err: string[] = [];
  const { write: w1 } = process.stdout;
  const { write: w2 } = process.stderr;
  // The CLI writes text; the test runner reports this file's results to its parent as binary
  // frames on the same stdout, which must pass, or a test that ends meanwhile goes unreported.
  const capture = (into: string[], write: typeof process.stdout.write, stream: NodeJS.WriteStream) =>
    ((s: string | Uint8Array, ...rest: unknown[]) => (typeof s === 'string' ? (into.push(s), true) : (write as (...a: unknown[]) => boolean).call(stream, s, ...rest))) as typeof process.stdout.write;
  process.stdout.write = capture(out, w1, process.stdout);
  process.stderr.write = capture(err, w2, process.stderr);
  try {
    const exitCode = await main(args);
    return { exitCode, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}
