// Every command the README shows ("$ faultsweep ..." at the start of a code block) is run as a
// newcomer would run it, from a folder of their own, and its output must be the one the README
// shows, so the README cannot go stale silently. Only what differs from run to run is masked: the
// UTC time in a results folder's name, a time estimate, a wall-clock rate, a nightly's date and
// the digest of the code that ran it. A line "..." in the README stands for any number of lines
// (a shortened console). A block the test cannot check (timings) says so in a comment just before
// it: <!-- readme-test: skip (why) -->.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { bin, root, tempDir } from './helpers.js';

interface Example {
  line: number;
  command: string;
  expected: string[];
}

/** The examples of the README, in order; a block may hold several commands. `skipped` counts
 *  the blocks not run. */
export function examples(readme: string): { run: Example[]; skipped: number } {
  const lines = readme.split('\n');
  const run: Example[] = [];
  let skipped = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```' || !lines[i + 1]?.startsWith('$ ')) continue;
    const skip = /<!-- readme-test: skip \(.+\) -->/.test(lines[i - 1] ?? '') || /<!-- readme-test: skip \(.+\) -->/.test(lines[i - 2] ?? '');
    if (skip) skipped++;
    let j = i + 1;
    for (; lines[j] !== '```'; j++) {
      if (!lines[j].startsWith('$ ')) continue;
      const at = j;
      let command = lines[j].slice(2);
      while (command.endsWith('\\')) command = command.slice(0, -1) + lines[++j].trim();
      const expected: string[] = [];
      while (lines[j + 1] !== '```' && !lines[j + 1].startsWith('$ ')) expected.push(lines[++j]);
      if (!skip) run.push({ line: at + 1, command, expected });
    }
    i = j;
  }
  return { run, skipped };
}

const MASKS: [RegExp, string][] = [
  [/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ(-\d+)?/g, '<time>'],
  [/about [\d.,]+ s on/g, 'about <n> s on'],
  [/^(accesses\/s\s+)[\d,.e+]+/g, '$1<n>'],
  // A nightly's date and the digest of the code that ran it (every commit changes it).
  [/\d{4}-\d\d-\d\d \d\d:\d\d/g, '<date>'],
  [/\(code [0-9a-f]{16}\)/g, '(code <hash>)'],
];
const mask = (s: string) => MASKS.reduce((t, [re, to]) => t.replace(re, to), s.trimEnd());

/** Whether `actual` lines match `expected`, where an expected "..." matches any run of lines. */
function matches(expected: string[], actual: string[]): boolean {
  const [e, ...rest] = expected;
  if (e === undefined) return actual.length === 0;
  if (e === '...') return actual.some((_, k) => matches(rest, actual.slice(k))) || matches(rest, []);
  return actual.length > 0 && mask(e) === mask(actual[0]) && matches(rest, actual.slice(1));
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const { run, skipped } = examples(readme);

test('the README shows at least fifteen commands with their output, and skips few', () => {
  assert.ok(run.length >= 15, `only ${run.length} commands`);
  // bench timings, two 30 s qualify runs whose decisions other tests check, two campaigns on a
  // Slurm cluster (test/slurm.test.ts starts one and checks the same commands), and a real
  // program's run and replay (test/exec.test.ts runs both)
  assert.ok(skipped <= 7, `${skipped} skipped`);
});

// A newcomer's folder: the repository's experiments and fixtures beside it, faultsweep on PATH,
// and no results of earlier runs.
const home = tempDir('readme');
for (const d of ['experiments', 'test']) symlinkSync(join(root, d), join(home, d));
mkdirSync(join(home, '.bin'));
writeFileSync(join(home, '.bin', 'faultsweep'), `#!/bin/sh\nexec node ${JSON.stringify(bin)} "$@"\n`);
chmodSync(join(home, '.bin', 'faultsweep'), 0o755);

test("the README's annotated experiment is a valid experiment", async () => {
  const yaml = /## Experiments\n\n```yaml\n([\s\S]*?)```/.exec(readme);
  assert.ok(yaml, 'no yaml block under ## Experiments');
  writeFileSync(join(home, 'annotated.yaml'), yaml[1]);
  const r = await execa('node', [bin, 'validate', 'annotated.yaml'], { cwd: home, reject: false });
  assert.equal(r.exitCode, 0, String(r.stderr));
});

for (const ex of run) {
  test(`README line ${ex.line}: $ ${ex.command}`, async () => {
    const r = await execa('bash', ['-c', `( ${ex.command} ) 2>&1`], { cwd: home, reject: false, env: { PATH: `${join(home, '.bin')}:${process.env.PATH}`, COLUMNS: '100' } });
    const actual = String(r.stdout).split('\n');
    while (actual.length && actual[actual.length - 1] === '') actual.pop();
    const shown = matches(ex.expected, actual);
    assert.ok(shown, `README.md:${ex.line}: the output differs from the README's.\n--- README\n${ex.expected.join('\n')}\n--- today\n${actual.join('\n')}`);
  });
}
