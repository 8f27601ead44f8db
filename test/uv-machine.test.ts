// The UV machine's copies: alone they take copyTime; copies that share a blade's memory or
// NUMAlink port queue behind each other, so no number of ranks reads one blade faster than its
// port serves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPlugins, systems } from '../harness/registry.js';
import { loadProfile } from '../harness/experiment/profiles.js';
import { Simulation } from '../harness/sim/simulation.js';
import { UvMachine } from '../models/uv/machine.js';

const MiB = 2 ** 20, chunk = 256 * 1024;

async function machine(): Promise<UvMachine> {
  await loadPlugins();
  const uv = systems.get('uv')!;
  const sim = new Simulation(1, { timeNs: 1e12, events: 1e6 });
  return uv.build(sim, uv.profile.parse(loadProfile('uv2000-4p').values), uv.kernel.parse({})) as UvMachine;
}

test('a copy alone takes copyTime; copies that share nothing do not wait for each other', async () => {
  const m = await machine();
  assert.equal(m.copy(0, 0, MiB, chunk, 0), m.copyTime(0, MiB, chunk));
  assert.equal(m.copy(1, 2, MiB, chunk, 0), m.copyTime(1, MiB, chunk));
  assert.equal(m.copy(3, 20, MiB, chunk, 0), m.copyTime(m.hops(3, 20), MiB, chunk));
  // Later, once the first copies are done, the same blades are free again.
  assert.equal(m.copy(1, 2, MiB, chunk, 1e9), m.copyTime(1, MiB, chunk));
});

test("copies out of one blade queue at its NUMAlink port: the k-th done after k port-times", async () => {
  const m = await machine();
  const portNs = Math.round((MiB * 8e9) / m.profile.numalink.bandwidth);
  for (let k = 1; k <= 12; k++) {
    const dst = k; // blades 1-7 in the chassis, 8-12 a chassis away
    const took = m.copy(0, dst, MiB, chunk, 0);
    assert.equal(took, Math.max(m.copyTime(m.hops(0, dst), MiB, chunk), k * portNs), `copy ${k}`);
  }
  // A copy into another blade that reads elsewhere is not held up by that queue.
  assert.equal(m.copy(30, 31, MiB, chunk, 0), m.copyTime(1, MiB, chunk));
});
