// XPMEM calls by rank, written in YAML with the result each must give, so the negative cases of
// the XPMEM test suites and any user's reproducer need no code:
//   - {rank: 0, call: make, size: MAXADDR, as: seg0}
//   - {rank: 1, call: get, segid: $seg0, flags: RDWR, as: ap}
//   - {rank: 1, call: attach, apid: $ap, size: 4096, as: att}
//   - {rank: 0, call: remove, segid: $seg0}
//   - {rank: 1, call: touch, addr: $att, expect: SIGBUS}
// `as` names a call's result; `$name` (or `$name+4096`) uses it. A step whose result differs
// from `expect` (default ok) fails the trial with a message naming the step. Ids are __s64 and
// kept exact (bigints) from the script to the console; addresses and sizes are exact to 2^53.
import * as z from 'zod';
import { failure, workloads } from '../harness/registry.js';
import { SCRIPT, scriptLine, scriptSummary } from '../failures/uv.js';
import type { Body, Co, Simulation } from '../harness/sim/simulation.js';
import { parseQuantity } from '../harness/experiment/units.js';
import { ranksFit, type Placement, type UvMachine } from '../models/uv/machine.js';
import { ERRNO, XPMEM_MAXADDR_SIZE, XPMEM_PERMIT_MODE, XPMEM_RDONLY, XPMEM_RDWR, settle, shown, type Task } from '../models/uv/xpmem.js';

const S64 = 2n ** 63n;
/** Beyond this a double is not exact: the model's addresses and sizes are doubles. */
const EXACT = 2n ** 53n;

/**
 * A script value, parsed when the experiment loads so that every bad one is reported at once. A
 * number beyond 2^53 is kept as its exact decimal digits: the parsed experiment is JSON (the
 * plan, the cell ids), which has no bigints.
 */
type Value = { n: number | string } | { ref: string; plus: number };
const exactly = (n: bigint): number | string => (n >= -EXACT && n <= EXACT ? Number(n) : n.toString());

/**
 * A 64-bit value as C stores it in a __s64 or u64 argument: -2^63 .. 2^64 - 1, read as __s64 (so
 * 0xffffffffffffffff is -1, and an id with the sign bit set is negative). An integer literal
 * beyond 2^53 arrives as its exact digits (see exactIntegers in harness/experiment/source.ts).
 */
const value = z
  .union([z.number(), z.string()])
  .transform((v, ctx): Value => {
    const bad = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) return bad(`${v} is not an integer`);
      return Number.isSafeInteger(v) ? { n: v } : bad(`${v} is beyond 2^53, where YAML reads numbers inexactly: quote it or write it in hex`);
    }
    if (v === 'MAXADDR') return { n: XPMEM_MAXADDR_SIZE };
    const ref = /^\$(\w+)(?:\+(\d+))?$/.exec(v);
    if (ref) return { ref: ref[1], plus: Number(ref[2] ?? 0) };
    if (/^-?(0x[0-9a-f]+|\d+)$/i.test(v)) {
      const n = v.startsWith('-') ? -BigInt(v.slice(1)) : BigInt(v);
      return n >= -S64 && n < 2n * S64 ? { n: exactly(BigInt.asIntN(64, n)) } : bad(`${v} does not fit in 64 bits`);
    }
    const q = parseQuantity(v, 'size');
    return typeof q === 'number' ? { n: q } : bad(`${JSON.stringify(v)}: ${q}`);
  })
  .meta({ description: 'a 64-bit number, "0x..." hex, "4 KiB", MAXADDR, or $name / $name+N' });
/** An address, offset or size: exact to 2^53 in the model. */
const address = value.refine((v) => 'ref' in v || typeof v.n === 'number', {
  error: (issue) => `${(issue.input as { n: string }).n} is beyond 2^53: the model's addresses and sizes are exact only up to there (ids are exact to 64 bits)`,
});
const step = {
  rank: z.int().nonnegative(),
  expect: z.enum(['ok', ...Object.keys(ERRNO)]).default('ok'),
  as: z.string().optional(),
  repeat: z.int().positive().default(1).meta({ description: 'run the call this many times, each expecting the same' }),
  euid: z.int().nonnegative().optional().meta({ description: "this call's effective uid (the rank's own before and after it)" }),
  egid: z.int().nonnegative().optional().meta({ description: "this call's effective gid" }),
};
const stepSchema = z.discriminatedUnion('call', [
  z.strictObject({ ...step, call: z.literal('make'), vaddr: address.prefault(0), size: address, permitType: z.int().default(XPMEM_PERMIT_MODE), mode: z.int().default(0o600) }),
  z.strictObject({ ...step, call: z.literal('remove'), segid: value }),
  z.strictObject({ ...step, call: z.literal('get'), segid: value, flags: z.union([z.enum(['RDONLY', 'RDWR', 'RDONLY|RDWR']), z.int()]).default('RDWR'), permitType: z.int().default(XPMEM_PERMIT_MODE), permitValue: z.unknown().optional() }),
  z.strictObject({ ...step, call: z.literal('release'), apid: value }),
  z.strictObject({ ...step, call: z.literal('attach'), apid: value, offset: address.prefault(0), size: address, vaddr: address.prefault(0), gru: z.boolean().default(false).meta({ description: 'GRU-addressable (a cross-partition attach always is)' }) }),
  z.strictObject({ ...step, call: z.literal('detach'), vaddr: address }),
  z.strictObject({ ...step, call: z.literal('touch'), addr: address }),
  z.strictObject({ ...step, call: z.literal('pin'), addr: address }),
  z.strictObject({ ...step, call: z.literal('exit') }),
  z.strictObject({ ...step, call: z.literal('fork'), child: z.int().nonnegative() }),
  z.strictObject({ ...step, call: z.literal('mmap'), vaddr: address.prefault(0).meta({ description: '0 (NULL): the kernel places the mapping' }), size: address }),
  z.strictObject({ ...step, call: z.literal('munmap'), vaddr: address, size: address }),
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
  script: z
    .array(stepSchema)
    .min(1)
    .superRefine(
      (script, ctx) => {
        // A $name must be saved (`as`) by an earlier step. Checked even when other values are bad
        // (a step that did not parse holds its raw values), so one pass reports every bad one.
        const saved = new Set<string>();
        script.forEach((s, i) => {
          if (s === null || typeof s !== 'object') return;
          for (const [key, v] of Object.entries(s)) {
            const ref = v !== null && typeof v === 'object' && 'ref' in v ? (v as { ref: string }).ref : typeof v === 'string' ? /^\$(\w+)/.exec(v)?.[1] : undefined;
            if (ref !== undefined && !saved.has(ref)) ctx.addIssue({ code: 'custom', path: [i, key], message: `$${ref}: no earlier step saves '${ref}' (with as: ${ref})` });
          }
          if (typeof s.as === 'string') saved.add(s.as);
        });
      },
      { when: (payload) => Array.isArray(payload.value) },
    ),
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
  check: (c: Config, profile) => {
    const i = c.script.findIndex((s) => s.call === 'xpc' && s.partition >= profile.partitions);
    if (i >= 0) return { path: ['script', i, 'partition'], message: `this machine has partitions 0 to ${profile.partitions - 1}` };
    return ranksFit(c.ranks, profile);
  },
  start(sim: Simulation, uv: UvMachine, c: Config) {
    const x = uv.xpmem;
    const names = new Map<string, bigint>();
    const tasks = new Map<number, Task>();
    const cpus = uv.place(c.ranks, c.placement as Placement);
    for (const [r, cpu] of cpus.entries()) tasks.set(r, uv.task(x.open(FIRST_TGID + r, cpu.partition), `rank${r}`, cpu));
    let calls = 0;

    /** A value's number: a $name is what its step returned (checked at load to be saved earlier). */
    const resolve = (v: Value): bigint => {
      if ('n' in v) return BigInt(v.n);
      const base = names.get(v.ref);
      if (base === undefined) throw new Error(`$${v.ref} has no value: the step that saves it failed`);
      return BigInt.asIntN(64, base + BigInt(v.plus));
    };
    /** An address or size, for the model's doubles. */
    const at = (v: Value): number => {
      const n = resolve(v);
      if (n < -EXACT || n > EXACT) throw new Error(`${n} is beyond 2^53, where the model's addresses are not exact`);
      return Number(n);
    };

    /** Runs a call with the step's own credentials, if it gives any (a setuid helper, a daemon
     *  acting for a user): current_euid() and in_group_p() in the driver's permission checks. */
    function* withCredentials(t: Task, s: Step, run: () => Co<number | bigint>): Co<number | bigint> {
      if (s.euid === undefined && s.egid === undefined) return yield* run();
      const { uid, gid } = t.tg;
      if (s.euid !== undefined) t.tg.uid = s.euid;
      if (s.egid !== undefined) t.tg.gid = s.egid;
      try {
        return yield* run();
      } finally {
        t.tg.uid = uid;
        t.tg.gid = gid;
      }
    }

    function* call(s: Step, t: Task): Co<number | bigint> {
      const tg = t.tg;
      switch (s.call) {
        case 'make': return x.make(t, at(s.vaddr), at(s.size), s.permitType, s.mode);
        case 'remove': return yield* settle(x.remove(t, resolve(s.segid)));
        case 'get': return x.get(t, resolve(s.segid), typeof s.flags === 'number' ? s.flags : FLAGS[s.flags], s.permitType, c.layer === 'libxpmem' ? null : s.permitValue);
        case 'release': return yield* settle(x.release(t, resolve(s.apid)));
        case 'attach': return x.attach(t, resolve(s.apid), at(s.offset), at(s.size), at(s.vaddr), s.gru);
        case 'detach': return yield* settle(x.detach(t, at(s.vaddr)));
        case 'touch': return x.touch(t, at(s.addr));
        case 'pin': return x.pin(t, at(s.addr));
        case 'exit': yield* x.exit(t); return 0;
        case 'fork': tasks.set(s.child, uv.task(x.fork(tg, FIRST_TGID + s.child), `rank${s.child}`, cpus[s.rank])); return FIRST_TGID + s.child;
        case 'mmap': return x.mmap(tg, at(s.vaddr), at(s.size));
        case 'munmap': return yield* x.munmap(t, at(s.vaddr), at(s.size));
        case 'xpc': uv.setXpc(s.partition, s.up); return 0;
        case 'setuid': tg.uid = s.uid; tg.gid = s.gid ?? tg.gid; return 0;
      }
    }

    sim.spawn('xpmem-script', (function* (): Body {
      // Every step runs, also after one differs, so one trial shows all the differences.
      const differs: string[] = [];
      const differ = (what: string) => {
        differs.push(what);
        sim.console.log(scriptLine(what));
      };
      for (const [i, s] of c.script.entries()) {
        yield c.callTime;
        const t = tasks.get(s.rank);
        if (!t) {
          differ(`step ${i + 1}: rank ${s.rank} does not exist (ranks: ${c.ranks})`);
          continue;
        }
        for (let k = 0; k < s.repeat; k++) {
          let r: bigint;
          try {
            r = BigInt(yield* withCredentials(t, s, () => call(s, t)));
          } catch (e) {
            differ(`step ${i + 1} (${s.call} by rank ${s.rank}): ${(e as Error).message}`);
            break;
          }
          yield t.pay();
          calls++;
          const got = r < 0 ? shown(r) : 'ok';
          if (s.repeat === 1) sim.console.log(`rank ${s.rank} (tgid ${t.tg.tgid}) ${s.call} -> ${shown(r)}`);
          if (got !== s.expect) {
            differ(`step ${i + 1} (${s.call} by rank ${s.rank}): expected ${s.expect}, got ${shown(r)}`);
            break;
          }
          if (s.as && r >= 0) names.set(s.as, r);
        }
      }
      if (!differs.length) return sim.finish();
      sim.console.log(scriptSummary(differs.length, c.script.length));
      sim.fail(failure(SCRIPT, SCRIPT.signature(differs.map(scriptLine))));
    })());
    return { metrics: () => ({ calls }) };
  },
});
