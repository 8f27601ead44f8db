// The XPMEM traffic of an MPI job (Open MPI smsc/xpmem and btl/vader, MPICH ch4 ipc/xpmem) and of
// the MPI regression tests. Start-up: each rank makes one whole-address-space segment and the
// segids are exchanged. A message: the receiver gets the sender's segment once (lazily), looks the
// sender's buffer up in its registration cache (the range aligned to 2^23 bytes, overlapping
// entries merged), attaches on a miss and copies in 256 KiB chunks. Finalize: detach everything,
// release every apid, remove the own segment. The patterns say who copies from whom.
import * as z from 'zod';
import { failure, workloads } from '../harness/registry.js';
import { MPI_ABORT, XPMEM_ERROR } from '../failures/uv.js';
import type { Body, Co, Simulation } from '../harness/sim/simulation.js';
import { Barrier, Signal } from '../harness/sim/sync.js';
import { Latencies } from '../harness/sim/latencies.js';
import { duration, size } from '../harness/experiment/units.js';
import { ranksFit, type Placement, type UvMachine } from '../models/uv/machine.js';
import { LIVE, NONE, SIGBUS, settle, type MaySleep, XPMEM_MAXADDR_SIZE, XPMEM_PERMIT_MODE, XPMEM_RDWR, shown, type Task } from '../models/uv/xpmem.js';
import { hex } from '../harness/sim/console.js';
import { Records } from '../models/uv/records.js';

const PATTERNS = ['pairwise', 'ring', 'alltoall', 'halo', 'one-to-many', 'many-to-one', 'attach-churn', 'owner-exit'] as const;
type Pattern = (typeof PATTERNS)[number];

const config = z.strictObject({
  ranks: z.int().min(2).default(16),
  pattern: z.enum(PATTERNS).default('alltoall').meta({
    description:
      'pairwise: r copies from r^1; ring: from r-1; alltoall: from every other rank (r-1, r-2, ...); halo: from its 3-D neighbours; ' +
      'one-to-many: every rank from the root; many-to-one: the root from every rank; attach-churn: alltoall with attach, copy, detach per message; ' +
      'owner-exit: every rank copies from the root, the root finalizes at once and the others go on in a ring',
  }),
  messageSize: size().prefault('1 MiB'),
  iterations: z.int().positive().default(1),
  buffers: z.int().positive().default(1).meta({
    description:
      'send buffers each rank keeps for each peer, used in turn by successive iterations: more than one gives the registration cache ' +
      'several ranges per peer to hit, miss and (where aligned ranges overlap) merge',
  }),
  placement: z.enum(['block', 'round-robin']).default('block'),
  rcache: z.boolean().default(true).meta({ description: 'keep attachments in a registration cache until finalize' }),
  align: size().prefault('8 MiB').meta({ description: "the registration cache's alignment (Open MPI: 2^23 bytes)" }),
  chunk: size().prefault('256 KiB').meta({ description: 'copy chunk size' }),
  root: z.int().nonnegative().default(0),
  gru: z.enum(['cross-partition', 'all']).default('cross-partition').meta({ description: 'which attachments are GRU-addressable' }),
  compute: duration().prefault('10 us').meta({ description: 'CPU time between iterations' }),
  jitter: duration().prefault('2 us').meta({ description: 'uniform extra compute per iteration, from each rank\'s own random stream' }),
  finalizeSkew: duration().prefault('500 us').meta({ description: 'ranks reach MPI_Finalize up to this far apart (uniform, from each rank\'s own stream): the tests\' last phases differ per rank' }),
  abortDelay: duration().prefault('100 us').meta({ description: 'how long mpirun takes to abort the job after a rank dies' }),
});

type Config = z.output<typeof config>;

/** Where each rank's send buffers sit: receiver r reads its slots from SEND_BASE + r * buffers * messageSize on. */
const SEND_BASE = 2 ** 32;
const FIRST_TGID = 1000;

/** The dims MPI_Dims_create would give n ranks in 3-D: as near a cube as n's factors allow. */
export function dims3(n: number): [number, number, number] {
  let best: [number, number, number] = [n, 1, 1];
  for (let a = 1; a * a * a <= n; a++) {
    if (n % a) continue;
    for (let b = a; a * b * b <= n; b++) {
      if ((n / a) % b) continue;
      const c = n / a / b;
      if (c - a < best[0] - best[2]) best = [c, b, a];
    }
  }
  return best;
}

function haloPeers(r: number, n: number): number[] {
  const [x, y, zd] = dims3(n);
  const cz = r % zd, cy = Math.floor(r / zd) % y, cx = Math.floor(r / (zd * y));
  const at = (i: number, j: number, k: number) => (((i + x) % x) * y + ((j + y) % y)) * zd + ((k + zd) % zd);
  const peers = [at(cx - 1, cy, cz), at(cx + 1, cy, cz), at(cx, cy - 1, cz), at(cx, cy + 1, cz), at(cx, cy, cz - 1), at(cx, cy, cz + 1)];
  return [...new Set(peers)].filter((p) => p !== r);
}

/** A registration cache entry: the range it covers, its attachment, the next entry of its peer. */
const BASE = 0, END = 1, ATT = 2, NEXT = 3, EW = 4;

workloads.register({
  kind: 'xpmem-mpi',
  description: 'MPI over XPMEM: segment per rank, lazy get, registration cache, 256 KiB copies, finalize; eight regression patterns',
  systems: ['uv'],
  config,
  units: {
    messages: 'messages', messagesPerSec: 'messages/s', attaches: 'attaches', attachesPerSec: 'attaches/s', bytesPerSec: 'B/s', rcacheHitRatio: 'ratio',
    latencyMeanUs: 'us', latencyP99Us: 'us', recalls: 'recalls', recallWaits: 'waits',
  },
  headline: ['messagesPerSec', 'latencyMeanUs', 'latencyP99Us', 'rcacheHitRatio'],
  // Microseconds of one core here (estimate), fitted to release-1024 (2026-12-02, two seeds per
  // pattern): 2.46 s for alltoall's 2.1 M messages and 1 M attach-detach pairs, 2.69 s for
  // attach-churn's 2.1 M of each, 30-170 ms for the patterns of 2,000 messages.
  cost: (c: Config) => {
    const n = c.ranks;
    const perIteration = { pairwise: n - (n % 2), ring: n, alltoall: n * (n - 1), 'attach-churn': n * (n - 1), halo: 6 * n, 'one-to-many': n - 1, 'many-to-one': n - 1, 'owner-exit': n - 1 }[c.pattern as Pattern];
    const messages = perIteration * c.iterations;
    const attaches = c.rcache && c.pattern !== 'attach-churn' ? Math.min(messages, perIteration * c.buffers) : messages;
    return 25 * n + 1.06 * messages + 0.22 * attaches;
  },
  check: (c: Config, profile) =>
    c.root >= c.ranks ? { path: ['root'], message: `${c.root} is not a rank (ranks: ${c.ranks})` } : ranksFit(c.ranks, profile),
  start(sim: Simulation, uv: UvMachine, c: Config) {
    const x = uv.xpmem;
    const n = c.ranks;
    const pattern = c.pattern as Pattern;
    const root = c.root;
    const cpus = uv.place(n, c.placement as Placement);
    const tasks = cpus.map((cpu, r) => uv.task(x.open(FIRST_TGID + r, cpu.partition), `rank${r}`, cpu));
    const segids = new BigInt64Array(n);
    /** Per (receiver, sender) pair k = r * n + s: the apid (0: no get yet) and its first cache entry. */
    const apids = new BigInt64Array(n * n);
    const heads = new Float64Array(n * n).fill(NONE);
    /** Registration cache entries, chained per pair. */
    const cache = new Records((n) => new Float64Array(n), EW);
    /** Senders in the order each receiver first used them: the order finalize tears down. */
    const used = new Int32Array(n * n);
    const nUsed = new Int32Array(n);
    const halo = pattern === 'halo' ? Array.from({ length: n }, (_, r) => haloPeers(r, n)) : [];
    const rcache = c.rcache && pattern !== 'attach-churn';
    const latency = new Latencies();
    const m = { messages: 0, attaches: 0, bytes: 0, hits: 0, lookups: 0 };
    let dataStart = 0, dataEnd = 0, finished = 0;
    const start = new Barrier(sim, n);
    const step = new Barrier(sim, pattern === 'owner-exit' ? n - 1 : n);
    let rootCopies = 0;
    const rootDone = new Signal(sim, 'root data copied');

    const fail = (t: Task, what: string, r: number | bigint, extra: string) => {
      sim.console.log(`${t.name} (tgid ${hex(t.tg.tgid)}) ${what}${extra} -> ${shown(r)}`);
      sim.fail(failure(XPMEM_ERROR, Number(r) === -SIGBUS ? `SIGBUS in ${what}: the segment behind the attachment is gone` : `${what}: ${shown(r)}`));
      return false;
    };

    /** Senders rank r copies from in one iteration: how many, and the k-th. */
    const count = (r: number, it: number): number => {
      switch (pattern) {
        case 'pairwise': return (r ^ 1) < n ? 1 : 0;
        case 'ring': return 1;
        case 'alltoall': case 'attach-churn': return n - 1;
        case 'halo': return halo[r].length;
        case 'one-to-many': return r === root ? 0 : 1;
        case 'many-to-one': return r === root ? n - 1 : 0;
        case 'owner-exit': return r === root ? 0 : it === 0 || n > 2 ? 1 : 0;
      }
    };
    const source = (r: number, it: number, k: number): number => {
      switch (pattern) {
        case 'pairwise': return r ^ 1;
        case 'halo': return halo[r][k];
        case 'one-to-many': return root;
        case 'owner-exit': {
          if (it === 0) return root;
          const prev = (r - 1 + n) % n;
          return prev === root ? (prev - 1 + n) % n : prev;
        }
        default: return (r - 1 - k + n) % n;
      }
    };
    // Every pair of the first iteration gets a permit and an attachment (64 spare per rank for
    // the stores' per-rank chunks): reserving them at once spares the stores' growth copies.
    let firstPairs = 0;
    for (let r = 0; r < n; r++) firstPairs += count(r, 0) + 64;
    x.reserve(firstPairs, firstPairs);
    cache.reserve(firstPairs);
    const blades = Int32Array.from(cpus, (cpu) => cpu.blade);
    const gru = (r: number, s: number) => c.gru === 'all' || cpus[r].partition !== cpus[s].partition;

    /** Detaches cache entry e; a number when it finished at once, else the recall to run. */
    const detach = (t: Task, e: number): MaySleep => x.detach(t, x.vaddrOf(cache.data[e * EW + ATT]), cache.data[e * EW + ATT]);
    const detached = (t: Task, e: number, rv: number) => rv === 0 || fail(t, 'xpmem_detach', rv, `(${hex(x.vaddrOf(cache.data[e * EW + ATT]))})`);
    const MERGE = -2;
    let mergeLo = 0, mergeHi = 0;

    /**
     * The part of one message from s to r that cannot sleep: get (once), cache lookup, attach on a
     * miss, touch and copy (charged to t). It registers [lo, hi), or with lo < 0 the buffer's range
     * aligned; addresses are computed here, not in the rank's generator, where each would be a
     * boxed number. The cache entry used; NONE when the job failed; MERGE when cached ranges
     * overlap the range and must be detached first (mergeLo/mergeHi say where).
     */
    function message(t: Task, r: number, s: number, k: number, it: number, lo: number, hi: number): number {
      const addr = SEND_BASE + (r * c.buffers + (it % c.buffers)) * c.messageSize;
      if (lo < 0) {
        lo = Math.floor(addr / c.align) * c.align;
        hi = Math.ceil((addr + c.messageSize) / c.align) * c.align;
      }
      let apid = apids[k];
      if (apid === 0n) {
        apid = x.get(t, segids[s], XPMEM_RDWR, XPMEM_PERMIT_MODE, null);
        if (apid < 0n) return (fail(t, 'xpmem_get', apid, `(${hex(segids[s])})`), NONE);
        apids[k] = apid;
        used[r * n + nUsed[r]++] = s;
      }
      const cc = cache.data;
      let e = NONE;
      for (let i = heads[k]; i !== NONE && e === NONE; i = cc[i * EW + NEXT]) {
        if (cc[i * EW + BASE] <= lo && cc[i * EW + END] >= hi) e = i;
        else if (cc[i * EW + BASE] < hi && lo < cc[i * EW + END]) {
          mergeLo = Math.min(lo, cc[i * EW + BASE]);
          mergeHi = Math.max(hi, cc[i * EW + END]);
          return MERGE;
        }
      }
      if (e !== NONE) m.hits++;
      else {
        const v = x.attach(t, apid, lo, hi - lo, 0, gru(r, s));
        if (v < 0) return (fail(t, 'xpmem_attach', v, `(${hex(apid)}, ${hex(lo)}, ${hex(hi - lo)})`), NONE);
        m.attaches++;
        e = cache.alloc(r);
        const ec = cache.data;
        ec[e * EW + BASE] = lo;
        ec[e * EW + END] = hi;
        ec[e * EW + ATT] = x.lastAttachment;
        ec[e * EW + NEXT] = heads[k];
        heads[k] = e;
      }
      const tr = x.touchAttachment(t, cache.data[e * EW + ATT], addr - cache.data[e * EW + BASE], c.messageSize);
      if (tr < 0) return (fail(t, 'memcpy', tr, ` from rank ${s}`), NONE);
      t.due += uv.copy(blades[s], blades[r], c.messageSize, c.chunk, sim.now + t.due);
      return e;
    }

    /** Detaches and drops the cache entries of k that overlap [lo, hi); false if the job failed. */
    function* evict(t: Task, k: number, lo: number, hi: number): Co<boolean> {
      for (let i = heads[k], prev = NONE; i !== NONE; ) {
        const next = cache.data[i * EW + NEXT];
        if (cache.data[i * EW + BASE] < hi && lo < cache.data[i * EW + END]) {
          let rv = detach(t, i);
          if (typeof rv !== 'number') rv = yield* rv;
          if (!detached(t, i, rv)) return false;
          if (prev === NONE) heads[k] = next;
          else cache.data[prev * EW + NEXT] = next;
          cache.release(i, t.tg.index);
        } else prev = i;
        i = next;
      }
      return true;
    }

    const done = () => {
      if (++finished === n) sim.finish();
    };
    const alive = (t: Task) => !sim.isStopped && t.tg.state === LIVE;

    function* rank(r: number): Body {
      const t = tasks[r];
      const rng = sim.rng(`xpmem-mpi/rank${r}`);
      const segid = x.make(t, 0, XPMEM_MAXADDR_SIZE, XPMEM_PERMIT_MODE, 0o666);
      if (segid < 0n) return void fail(t, 'xpmem_make', segid, '(0, XPMEM_MAXADDR_SIZE)');
      segids[r] = segid;
      yield t.pay();
      // The segids are exchanged (an allgather) before any rank uses one.
      const g = start.arrive();
      if (g) yield g;
      else {
        dataStart = sim.now;
        start.release();
      }
      if (pattern === 'owner-exit' && r === root) {
        yield rootDone;
        yield* x.exit(t);
        yield t.pay();
        done();
        return;
      }
      for (let it = 0; it < c.iterations; it++) {
        yield c.compute + (c.jitter > 0 ? rng.int(c.jitter + 1) : 0);
        const nk = count(r, it);
        for (let i = 0; i < nk; i++) {
          const s = source(r, it, i), k = r * n + s;
          const t0 = sim.now;
          m.lookups++;
          let e = message(t, r, s, k, it, -1, -1);
          while (e === MERGE) {
            // Overlapping registrations merge into one covering them all.
            if (!(yield* evict(t, k, mergeLo, mergeHi))) return;
            e = message(t, r, s, k, it, mergeLo, mergeHi);
          }
          if (e === NONE) return;
          yield t.pay();
          if (!alive(t)) return;
          m.messages++;
          m.bytes += c.messageSize;
          latency.record(sim.now - t0);
          // Without the cache the registration is dropped at once: the entry just used, alone in the pair's list.
          if (!rcache && !(yield* evict(t, k, cache.data[e * EW + BASE], cache.data[e * EW + END]))) return;
          if (pattern === 'owner-exit' && s === root && ++rootCopies === n - 1) rootDone.fire(true);
        }
        dataEnd = Math.max(dataEnd, sim.now);
        const w = step.arrive();
        if (w) yield w;
        else step.release();
        if (!alive(t)) return;
      }
      if (c.finalizeSkew > 0) yield rng.int(c.finalizeSkew + 1);
      // MPI_Finalize's XPMEM part: detach everything, release every apid, remove the own segment.
      // It runs here, not in a sub-generator, and calls that finish at once are not wrapped in
      // generators: a 1024-rank alltoall makes a million of each.
      for (let i = 0; i < nUsed[r]; i++) {
        const k = r * n + used[r * n + i];
        for (let e = heads[k]; e !== NONE; e = cache.data[e * EW + NEXT]) {
          let rv = detach(t, e);
          if (typeof rv !== 'number') rv = yield* rv;
          if (!detached(t, e, rv)) return;
        }
        let rv = x.release(t, apids[k]);
        if (typeof rv !== 'number') rv = yield* rv;
        if (rv < 0) return void fail(t, 'xpmem_release', rv, `(${hex(apids[k])})`);
      }
      // Like the MPI libraries, ignore the result: a fault may have removed the segment already.
      yield* settle(x.remove(t, segids[r]));
      yield t.pay();
      done();
    }

    uv.onKilled = (t) => {
      sim.console.log(`${t.name} (tgid ${hex(t.tg.tgid)}) exited before MPI_Finalize`);
      sim.after(c.abortDelay, () => sim.fail(failure(MPI_ABORT, 'mpirun: a rank exited before MPI_Finalize; job aborted')));
    };
    for (let r = 0; r < n; r++) sim.spawn(`rank${r}`, rank(r));

    return {
      metrics: () => {
        const secs = (dataEnd - dataStart) / 1e9;
        const rate = (v: number) => (secs > 0 ? v / secs : 0);
        return {
          messages: m.messages,
          messagesPerSec: rate(m.messages),
          attaches: m.attaches,
          attachesPerSec: rate(m.attaches),
          bytesPerSec: rate(m.bytes),
          rcacheHitRatio: m.lookups ? m.hits / m.lookups : 0,
          recalls: x.stats.recalls,
          recallWaits: x.stats.recallWaits,
          ...latency.metrics('latency'),
        };
      },
    };
  },
});
