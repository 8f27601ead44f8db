// The XPMEM driver's checks, one call sequence each (test/fixtures/xpmem/checks/): each names the
// driver and the source line it follows, and runs through both API layers unless it says which.
// Every step of every sequence is compared, so one run lists every difference from the source.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { root } from './helpers.js';
import { loadPlugins } from '../harness/registry.js';
import { loadExperiment } from '../harness/experiment/load.js';
import { parseFlagValue } from '../harness/experiment/source.js';
import { replayBase, runTrial } from '../harness/run/trial.js';

export interface Check {
  name: string;
  driver: 'openucx-2.7.4' | 'sgi-2008' | 'linux';
  source: string;
  layers?: ('ioctl' | 'libxpmem')[];
  /** Settings of the machine beyond errno.yaml's, such as 256 partitions for ids above 2^53. */
  machine?: string[];
  script: unknown[];
}

const dir = join(root, 'test', 'fixtures', 'xpmem', 'checks');
export const CALLS = ['make', 'remove', 'get', 'release', 'attach', 'detach', 'fault'];

/** How a sequence runs on its driver: SGI's on the 4-partition machine of errno.yaml, ranks
 *  round robin so rank 1 crosses XPC; v2.7.4 has no XPC, so on one partition. */
const DRIVER: Record<Check['driver'], string[]> = {
  'sgi-2008': ['kernel.xpmemDriver=sgi'],
  'openucx-2.7.4': ['kernel.xpmemDriver=openucx-2.7.4', 'hardware.profile=uv2000-2048'],
  linux: [],
};

/** The checks, call by call, in the order of their files; read as faultsweep reads YAML, so ids
 *  beyond 2^53 stay exact. */
export function checks(): { call: string; check: Check }[] {
  assert.deepEqual(readdirSync(dir).sort(), CALLS.map((c) => `${c}.yaml`).sort());
  return CALLS.flatMap((call) => (parseFlagValue(readFileSync(join(dir, `${call}.yaml`), 'utf8')) as Check[]).map((check) => ({ call, check })));
}

test('every check of the XPMEM sources gives the source\'s result, through each API layer it names', async () => {
  await loadPlugins();
  const all = checks();
  const names = all.map((c) => c.check.name);
  assert.equal(new Set(names).size, names.length, 'a name twice');
  const differ: string[] = [];
  let runs = 0;
  for (const { check } of all) {
    assert.match(check.source, check.driver === 'openucx-2.7.4' ? /^(kernel|lib)\/\w+\.c(:\d+)? \w+: / : /^(drivers\/misc\/xp|mm|arch\/x86\/mm)\/\w+\.c \w+: /, `${check.name}: source`);
    for (const layer of check.layers ?? ['ioctl', 'libxpmem']) {
      const plan = loadExperiment(join(root, 'test', 'fixtures', 'xpmem', 'errno.yaml'), { sets: [`workload.script=${JSON.stringify(check.script)}`, `workload.layer=${layer}`, ...DRIVER[check.driver], ...(check.machine ?? [])] });
      const r = runTrial({ cell: plan.cells[0], seed: 1, replayBase: replayBase(plan) });
      runs++;
      if (r.outcome !== 'ok') differ.push(`${check.name} (${layer}): ${r.failure?.signature}`);
    }
  }
  assert.deepEqual(differ, []);
  // Between them they expect every result the driver gives.
  const expected = new Set(all.flatMap(({ check }) => (check.script as { expect?: string }[]).map((s) => s.expect ?? 'ok')));
  assert.deepEqual([...expected].sort(), ['EACCES', 'EBUSY', 'EFAULT', 'EINVAL', 'ENOENT', 'ENOMEM', 'EREMOTE', 'SIGBUS', 'SIGKILL', 'SIGSEGV', 'ok']);
  // Both drivers, both API layers.
  assert.deepEqual([...new Set(all.map((c) => c.check.driver))].sort(), ['linux', 'openucx-2.7.4', 'sgi-2008']);
  assert.ok(all.some((c) => c.check.layers?.join() === 'ioctl') && all.some((c) => c.check.layers?.join() === 'libxpmem'));
  assert.ok(all.length >= 120, `${all.length} checks`);
  console.log(`${all.length} checks, ${runs} runs through the API layers, all give the source's results`);
});

test("the README's table of XPMEM checks is the fixtures' list, call by call", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const all = checks();
  const m = new RegExp(`<details><summary>The ${all.length} checks</summary>\\n\\n([^]*?)\\n\\n</details>`).exec(readme);
  assert.ok(m, `the README has no table of ${all.length} checks`);
  const rows = all.map(({ call, check }) => `| ${call} | ${check.name} | ${check.driver} | ${(check.layers ?? ['ioctl', 'libxpmem']).join(', ')} | ${check.source.replaceAll('|', '\\|')} |`);
  assert.deepEqual(m[1].split('\n').slice(2), rows);
});
