// The page-level memory behaviour of TensorFlow training the tutorial MNIST CNN (conv 5x5x1x32,
// conv 5x5x32x64, dense 3136x1024, dense 1024x10) with T threads, as LegoOS ran it in August
// 2018. Per step each thread reads its share of the batch from the file-backed dataset
// (55,000 x 784 float32 images and labels), reads every layer's weights forward and backward,
// reuses its own activation buffers, writes its slice of the gradients, and after a barrier
// applies the optimizer (sgd, or adam with its two slots) to its slice of the weights; the
// runtime heap churns through an arena. The stream is generated page by page, never stored.
import * as z from 'zod';
import { workloads } from '../harness/registry.js';
import type { Simulation } from '../harness/sim/simulation.js';
import { Barrier } from '../harness/sim/sync.js';
import { computeRate, size } from '../harness/experiment/units.js';
import { threadContext } from '../models/lego/cpu.js';
import { Processor } from '../models/lego/processor.js';
import { runStream, type Access, type MemoryPath, type ThreadStats } from './access-stream.js';

const config = z.strictObject({
  threads: z.int().positive().default(4),
  steps: z.int().positive().default(20),
  batch: z.int().positive().default(100),
  optimizer: z.enum(['sgd', 'adam']).default('sgd'),
  computeRate: computeRate().prefault('16 GFLOP/s').meta({ description: 'FLOP/s one thread sustains' }),
  runtimePages: z.int().positive().default(16).meta({ description: "pages of TensorFlow's shared executor and allocator state every thread updates around each op" }),
  denseUnits: z.int().positive().default(1024).meta({ description: "the hidden dense layer's width (the tutorial's 1024; smaller for quick runs)" }),
  heap: size().prefault('64 MiB').meta({ description: "the runtime allocator's arena the temporaries cycle through" }),
  heapChurn: size({ zero: true }).prefault('2 MiB').meta({ description: 'temporaries each thread allocates per step' }),
});

type Config = z.output<typeof config>;

const PAGE = 4096;
const LINES_PER_PAGE = 64;
const SAMPLES = 55_000;
const IMAGE_BYTES = 784 * 4;
const LABEL_BYTES = 8;
/** Samples per block of a dense layer's matrix product (Eigen's contraction blocking, estimate). */
const DENSE_BLOCK = 8;

/** The tutorial CNN: weight floats, forward FLOPs and activation floats per sample. */
function layers(dense: number) {
  return [
    { name: 'conv1', weights: 5 * 5 * 1 * 32 + 32, flops: 2 * 28 * 28 * 32 * 25, activations: 28 * 28 * 32 + 14 * 14 * 32 },
    { name: 'conv2', weights: 5 * 5 * 32 * 64 + 64, flops: 2 * 14 * 14 * 64 * 800, activations: 14 * 14 * 64 + 7 * 7 * 64 },
    { name: 'dense1', weights: 3136 * dense + dense, flops: 2 * 3136 * dense, activations: dense },
    { name: 'dense2', weights: dense * 10 + 10, flops: 2 * dense * 10, activations: 10 },
  ];
}

const pagesOf = (bytes: number) => Math.ceil(bytes / PAGE);

interface Region {
  first: number;
  pages: number;
}

/** Lays the address space out page by page: dataset, weights, gradients, slots, activations, heap. */
function layout(c: Config) {
  const LAYERS = layers(c.denseUnits);
  let next = 16; // leave page 0 and friends unmapped, as a process does
  const region = (bytes: number): Region => {
    const r = { first: next, pages: pagesOf(bytes) };
    next += r.pages + 1;
    return r;
  };
  const images = region(SAMPLES * IMAGE_BYTES);
  const labels = region(SAMPLES * LABEL_BYTES);
  const weights = LAYERS.map((l) => region(l.weights * 4));
  const grads = LAYERS.map((l) => region(l.weights * 4));
  const slots = c.optimizer === 'adam' ? LAYERS.map((l) => [region(l.weights * 4), region(l.weights * 4)]) : [];
  const perThread = Math.ceil(c.batch / c.threads);
  const acts = Array.from({ length: c.threads }, () => LAYERS.map((l) => region(perThread * l.activations * 4)));
  const actGrads = Array.from({ length: c.threads }, () => LAYERS.map((l) => region(perThread * l.activations * 4)));
  const heap = region(c.heap);
  const runtime = region(c.runtimePages * PAGE);
  return { layers: LAYERS, runtime, images, labels, weights, grads, slots, acts, actGrads, heap };
}

type Layout = ReturnType<typeof layout>;

/** The slice [from, to) of a region's pages that thread t of T owns. */
function slice(r: Region, t: number, T: number): Region {
  const from = Math.floor((r.pages * t) / T);
  return { first: r.first + from, pages: Math.floor((r.pages * (t + 1)) / T) - from };
}

function* mnistStream(c: Config, L: Layout, t: number): Generator<Access> {
  const LAYERS = L.layers;
  const a: Access = { page: 0, write: false, repeat: LINES_PER_PAGE, computeNs: 0, barrier: false };
  const nsPerFlop = 1e9 / c.computeRate;
  const share = Math.floor((c.batch * (t + 1)) / c.threads) - Math.floor((c.batch * t) / c.threads);
  function* walk(r: Region, write: boolean, computeNs: number): Generator<Access> {
    const per = r.pages ? computeNs / r.pages : 0;
    for (let i = 0; i < r.pages; i++) {
      a.page = r.first + i;
      a.write = write;
      a.computeNs = per;
      yield a;
    }
  }
  // Around every op the executor updates its shared state (ready queue, pending counts) and the
  // allocator its free lists: a few hot pages all threads write.
  let op = 0;
  function* runtimeState(): Generator<Access> {
    op++;
    a.page = L.runtime.first + (op % L.runtime.pages);
    a.write = true;
    a.computeNs = 0;
    yield a;
    a.page = L.runtime.first + ((op * 7 + t) % L.runtime.pages);
    a.write = false;
    yield a;
  }
  const barrier = (): Access => {
    a.barrier = true;
    return a;
  };
  let heapAt = Math.floor((L.heap.pages * t) / c.threads);
  const churnPages = Math.min(L.heap.pages, pagesOf(c.heapChurn));
  for (let step = 0; step < c.steps; step++) {
    const first = (step * c.batch + Math.floor((c.batch * t) / c.threads)) % (SAMPLES - share);
    const firstByte = first * IMAGE_BYTES;
    yield* walk({ first: L.images.first + Math.floor(firstByte / PAGE), pages: pagesOf(firstByte % PAGE + share * IMAGE_BYTES) }, false, 0);
    yield* walk({ first: L.labels.first + Math.floor((first * LABEL_BYTES) / PAGE), pages: 1 }, false, 0);
    // Convolutions run sample by sample, re-reading their weights for each; the dense layers'
    // matrix products walk their weights once per block of samples.
    for (let l = 0; l < LAYERS.length; l++) {
      const blocks = LAYERS[l].name.startsWith('conv') ? share : Math.ceil(share / DENSE_BLOCK);
      const ns = (share * LAYERS[l].flops * nsPerFlop) / blocks;
      for (let b = 0; b < blocks; b++) {
        yield* runtimeState();
        yield* walk(L.weights[l], false, ns / 2);
        yield* walk(slice(L.acts[t][l], b, blocks), true, ns / 2);
      }
    }
    for (let l = LAYERS.length - 1; l >= 0; l--) {
      const blocks = LAYERS[l].name.startsWith('conv') ? share : Math.ceil(share / DENSE_BLOCK);
      const ns = (2 * share * LAYERS[l].flops * nsPerFlop) / blocks;
      for (let b = 0; b < blocks; b++) {
        yield* runtimeState();
        yield* walk(slice(L.acts[t][l], b, blocks), false, ns / 3);
        yield* walk(L.weights[l], false, ns / 3);
        yield* walk(slice(L.actGrads[t][l], b, blocks), true, ns / 3);
      }
      yield* walk(slice(L.grads[l], t, c.threads), true, 0);
    }
    yield barrier();
    a.barrier = false;
    for (let l = 0; l < LAYERS.length; l++) {
      yield* walk(slice(L.grads[l], t, c.threads), false, 0);
      for (const s of L.slots[l] ?? []) yield* walk(slice(s, t, c.threads), true, 0);
      yield* walk(slice(L.weights[l], t, c.threads), true, 0);
    }
    for (let i = 0; i < churnPages; i++) {
      a.page = L.heap.first + heapAt;
      a.write = true;
      a.computeNs = 0;
      yield a;
      heapAt = (heapAt + 1) % L.heap.pages;
    }
    yield barrier();
    a.barrier = false;
  }
}

workloads.register({
  kind: 'mnist-trace',
  description: 'TensorFlow training the tutorial MNIST CNN with T threads, as a page-level access stream',
  systems: ['lego', 'linux-local'],
  config,
  units: {
    steps: 'steps',
    stepsPerSec: 'steps/s',
    accessesPerSec: 'accesses/s',
    slowdown: 'x linux-local',
    missRatio: 'ratio',
    victimHitRatio: 'ratio',
    victimRepeatHits: 'hits',
    flushes: 'flushes',
    remoteRequestsPerSec: 'requests/s',
    missLatencyMeanUs: 'us',
    missLatencyP99Us: 'us',
    flushLatencyMeanUs: 'us',
    flushLatencyP99Us: 'us',
    flushNetLatencyMeanUs: 'us',
    flushNetLatencyP99Us: 'us',
  },
  headline: ['stepsPerSec', 'remoteRequestsPerSec', 'slowdown'],
  start(sim: Simulation, sys: { processor: MemoryPath; kernel: { build: string } }, c: Config) {
    const L = layout(c);
    const mem = sys.processor;
    mem.mapFile(L.images.first, L.images.pages);
    mem.mapFile(L.labels.first, L.labels.pages);
    // The model's weights were initialised before training starts: they live in memory.
    for (const w of L.weights) mem.mapResident(w.first, w.pages);
    const barrier = new Barrier(sim, c.threads);
    const stats: ThreadStats[] = [];
    let running = c.threads;
    for (let t = 0; t < c.threads; t++) {
      const s: ThreadStats = { accesses: 0, localNs: 0 };
      stats.push(s);
      const body = runStream(sim, mem, threadContext(t, 'python', sys.kernel.build), mnistStream(c, L, t), barrier, s);
      sim.spawn(`python/${t}`, (function* () {
        yield* body;
        if (--running === 0) sim.finish();
      })());
    }
    return {
      metrics: () => {
        const secs = sim.now / 1e9;
        const accesses = stats.reduce((n, s) => n + s.accesses, 0);
        // Threads meet at every barrier, so the local run takes as long as its slowest thread.
        const localNs = Math.max(...stats.map((s) => s.localNs));
        // Two barriers a step; a trial that failed counts only the steps it finished.
        const steps = Math.floor(barrier.rounds / 2);
        const out: Record<string, number> = {
          steps,
          stepsPerSec: secs > 0 ? steps / secs : 0,
          accessesPerSec: secs > 0 ? accesses / secs : 0,
          slowdown: localNs > 0 ? sim.now / localNs : 0,
        };
        if (mem instanceof Processor) {
          const faults = mem.hits + mem.misses;
          out.missRatio = faults ? mem.misses / faults : 0;
          out.flushes = mem.flushes;
          out.remoteRequestsPerSec = secs > 0 ? mem.remoteRequests / secs : 0;
          if (mem.victim) {
            out.victimHitRatio = mem.victim.lookups ? mem.victim.hitCount / mem.victim.lookups : 0;
            out.victimRepeatHits = mem.victim.repeatHits;
          }
          Object.assign(out, mem.missLatency.metrics('missLatency'), mem.flushLatency.metrics('flushLatency'), mem.flushNetLatency.metrics('flushNetLatency'));
        }
        return out;
      },
    };
  },
});
