// XPMEM calls by rank, written in YAML with the result each must give, so the negative cases of
// the XPMEM test suites and any user's reproducer need no code:
//   - {rank: 0, call: make, size: MAXADDR, as: seg0}
//   - {rank: 1, call: get, segid: $seg0, flags: RDWR, as: ap}
//   - {rank: 1, call: attach, apid: $ap, size: 4096, as: att}
//   - {rank: 0, call: remove, segid: $seg0}
//   - {rank: 1, call: touch, addr: $att, expect: SIGBUS}
// `as` names a call's result; `$name` (or `$name+4096`) uses it. A step whose result differs
// from `expect` (default ok) fails the trial with a message naming the step.
import * as z from 'zod';
import { workloads } from '../harness/registry.js';
import type { Body, Co, Simulation } from '../harness/sim/simulation.js';
import { parseQuantity } from '../harness/experiment/units.js';
import { ranksFit, type Placement, type UvMachine } from '../models/uv/machine.js';
import { ERRNO, XPMEM_MAXADDR_SIZE, XPMEM_PERMIT_MODE, XPMEM_RDONLY, XPMEM_RDWR, settle, shown, type Task } from '../models/uv/xpmem.js';

const value = z.union([z.int(), z.string()]).meta({ description: 'a number, "0x..." hex, "4 KiB", or $name / $name+N' });
const step = {
  rank: z.int().nonnegative(),
  expect: z.enum(['ok', ...Object.keys(ERRNO)]).default('ok'),
  as: z.string().optional(),
  repeat: z.int().positive().default(1).meta({ description: 'run the call this many times, each expecting the same' }),
};
const stepSchema = z.discriminatedUnion('call', [
  z.strictObject({ ...step, call: z.literal('make'), vaddr: value.default(0), size: value, permitType: z.int().default(XPMEM_PERMIT_MODE), mode: z.int().default(0o600) }),
  z.strictObject({ ...step, call: z.literal('remove'), segid: value }),
  z.strictObject({ ...step, call: z.literal('get'), segid: value, flags: z.union([z.enum(['RDONLY', 'RDWR', 'RDONLY|RDWR']), z.int()]).default('RDWR'), permitType: z.int().default(XPMEM_PERMIT_MODE), permitValue: z.unknown().optional() }),
  z.strictObject({ ...step, call: z.literal('release'), apid: value }),
  z.strictObject({ ...step, call: z.literal('attach'), apid: value, offset: value.default(0), size: value, vaddr: value.default(0), gru: z.boolean().default(false).meta({ description: 'GRU-addressable (a cross-partition attach always is)' }) }),
  z.strictObject({ ...step, call: z.literal('detach'), vaddr: value }),
  z.strictObject({ ...step, call: z.literal('touch'), addr: value }),
  z.strictObject({ ...step, call: z.literal('pin'), addr: value }),
  z.strictObject({ ...step, call: z.literal('exit') }),
  z.strictObject({ ...step, call: z.literal('fork'), child: z.int().nonnegative() }),
  z.strictObject({ ...step, call: z.literal('mmap'), vaddr: value.default(0).meta({ description: '0 (NULL): the kernel places the mapping' }), size: value }),
  z.strictObject({ ...step, call: z.literal('munmap'), vaddr: value, size: value }),
  z.strictObject({ ...step, call: z.literal('xpc'), partition: z.int().nonnegative(), up: z.boolean() }),
  z.strictObject({ ...step, call: z.literal('setuid'), uid: z.int().nonnegative(), gid: z.int().nonnegative().optional() }),
]);

const config = z.strictObject({
  ranks: z.int().positive().default(2),
  layer: z
    .enum(['ioctl', 'libxpmem'])
    .default('ioctl')
    .meta({ description: "what the script calls: the driver's ioctls as given, or libxpmem's functions, whose xpmem_get passes NULL as permit_value whatever the caller gave (lib/libxpmem.c, v2.7.4)" }),
  placement: z.enum(['block', 'round-robin']).default('block'),
  callTime: z.int().positive().default(1000).meta({ description: 'simulated nanoseconds a call takes' }),
  script: z.array(stepSchema).min(1),
});

type Config = z.output<typeof config>;
type Step = z.output<typeof stepSchema>;

const FIRST_TGID = 1000;
const FLAGS: Record<string, number> = { RDONLY: XPMEM_RDONLY, RDWR: XPMEM_RDWR, 'RDONLY|RDWR': XPMEM_RDONLY | XPMEM_RDWR };

workloads.register({
  kind: 'xpmem-script',
  description: 'XPMEM calls by rank with the result each must give (the XPMEM test suites, reproducers)',
  systems: ['uv'],
  config,
  units: { calls: 'calls' },
  headline: ['calls'],
  check: (c: Config, profile) => ranksFit(c.ranks, profile),
  start(sim: Simulation, uv: UvMachine, c: Config) {
    const x = uv.xpmem;
    const names = new Map<string, number>();
    const tasks = new Map<number, Task>();
    const cpus = uv.place(c.ranks, c.placement as Placement);
    for (const [r, cpu] of cpus.entries()) tasks.set(r, uv.task(x.open(FIRST_TGID + r, cpu.partition), `rank${r}`, cpu));
    let calls = 0;

    /** A script value: numbers, hex, sizes with units, MAXADDR, $name+N. */
    const resolve = (v: number | string, i: number): number => {
      if (typeof v === 'number') return v;
      if (v === 'MAXADDR') return XPMEM_MAXADDR_SIZE;
      const ref = /^\$(\w+)(?:\+(\d+))?$/.exec(v);
      if (ref) {
        const base = names.get(ref[1]);
        if (base === undefined) throw new Error(`step ${i + 1}: no earlier step saved '${ref[1]}'`);
        return base + Number(ref[2] ?? 0);
      }
      if (/^-?0x[0-9a-f]+$/i.test(v)) return Number(BigInt(v));
      const q = parseQuantity(v, 'size');
      if (typeof q === 'string') throw new Error(`step ${i + 1}: ${JSON.stringify(v)}: ${q}`);
      return q;
    };

    function* call(s: Step, t: Task, i: number): Co<number> {
      const tg = t.tg;
      switch (s.call) {
        case 'make': return x.make(t, resolve(s.vaddr, i), resolve(s.size, i), s.permitType, s.mode);
        case 'remove': return yield* settle(x.remove(t, resolve(s.segid, i)));
        case 'get': return x.get(t, resolve(s.segid, i), typeof s.flags === 'number' ? s.flags : FLAGS[s.flags], s.permitType, c.layer === 'libxpmem' ? null : s.permitValue);
        case 'release': return yield* settle(x.release(t, resolve(s.apid, i)));
        case 'attach': return x.attach(t, resolve(s.apid, i), resolve(s.offset, i), resolve(s.size, i), resolve(s.vaddr, i), s.gru);
        case 'detach': return yield* settle(x.detach(t, resolve(s.vaddr, i)));
        case 'touch': return x.touch(t, resolve(s.addr, i));
        case 'pin': return x.pin(t, resolve(s.addr, i));
        case 'exit': yield* x.exit(t); return 0;
        case 'fork': tasks.set(s.child, uv.task(x.fork(tg, FIRST_TGID + s.child), `rank${s.child}`, cpus[s.rank])); return FIRST_TGID + s.child;
        case 'mmap': return x.mmap(tg, resolve(s.vaddr, i), resolve(s.size, i));
        case 'munmap': return yield* x.munmap(t, resolve(s.vaddr, i), resolve(s.size, i));
        case 'xpc': uv.setXpc(s.partition, s.up); return 0;
        case 'setuid': tg.uid = s.uid; tg.gid = s.gid ?? tg.gid; return 0;
      }
    }

    sim.spawn('xpmem-script', (function* (): Body {
      for (const [i, s] of c.script.entries()) {
        yield c.callTime;
        const t = tasks.get(s.rank);
        if (!t) {
          sim.fail({ outcome: 'error', class: 'script', signature: `step ${i + 1}: rank ${s.rank} does not exist (ranks: ${c.ranks})` });
          return;
        }
        for (let k = 0; k < s.repeat; k++) {
          let r: number;
          try {
            r = yield* call(s, t, i);
          } catch (e) {
            sim.fail({ outcome: 'error', class: 'script', signature: (e as Error).message });
            return;
          }
          yield t.pay();
          calls++;
          const got = r < 0 ? shown(r) : 'ok';
          if (s.repeat === 1) sim.console.log(`rank ${s.rank} (tgid ${t.tg.tgid}) ${s.call} -> ${shown(r)}`);
          if (got !== s.expect) {
            sim.fail({ outcome: 'error', class: 'script', signature: `step ${i + 1} (${s.call} by rank ${s.rank}): expected ${s.expect}, got ${shown(r)}` });
            return;
          }
          if (s.as && r >= 0) names.set(s.as, r);
        }
      }
      sim.finish();
    })());
    return { metrics: () => ({ calls }) };
  },
});
