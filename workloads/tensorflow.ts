// A TensorFlow 1.x training process at page level, from exec to exit, as LegoOS ran the tutorial
// CNNs in 2018. The network (layers and shapes), the batch and the dataset are configuration, with
// presets for the tutorial's MNIST and CIFAR-10 CNNs (tensorflow-presets.ts). The main thread
// starts the interpreter (library pages through the file system, file calls of the imports, heap,
// memory-management calls), reads and decodes the dataset and builds the graph; then T threads
// train: per step each reads its share of the batch (from the decoded arrays, or records from the
// dataset files), reads every layer's weights forward and backward, reuses its activation buffers,
// writes its slice of the gradients, and after a barrier applies the optimizer to its slice of the
// weights, while the runtime heap churns through an arena; at exit the mappings are torn down.
// `process: training` keeps only the steps, as a process already started. The stream is
// generated page by page, never stored.
import * as z from 'zod';
import { workloads } from '../harness/registry.js';
import type { Simulation } from '../harness/sim/simulation.js';
import { Barrier } from '../harness/sim/sync.js';
import { computeRate, size } from '../harness/experiment/units.js';
import { threadContext } from '../models/lego/cpu.js';
import { Processor } from '../models/lego/processor.js';
import { runStream, type Access, type MemoryPath, type ThreadStats } from './access-stream.js';
import { layerCost, network, dataset, startup, PRESETS, type Layer } from './tensorflow-presets.js';

const config = z.strictObject({
  preset: z.enum(Object.keys(PRESETS) as [string, ...string[]]).default('mnist-cnn').meta({ description: 'the tutorial network, dataset, batch and step count to start from' }),
  network: network.optional().meta({ description: "the layers, replacing the preset's" }),
  dataset: dataset.optional().meta({ description: "the training data, replacing the preset's" }),
  startup: startup.optional().meta({ description: "what the process does before its first step, replacing the preset's" }),
  process: z.enum(['whole', 'training']).default('whole').meta({ description: 'whole: from exec to exit; training: the steps alone' }),
  threads: z.int().positive().default(4),
  steps: z.int().positive().optional().meta({ description: "training steps (default: the preset's, the real run's count)" }),
  batch: z.int().positive().optional().meta({ description: "samples per step (default: the preset's)" }),
  optimizer: z.enum(['sgd', 'adam']).default('sgd'),
  computeRate: computeRate().prefault('26 GFLOP/s').meta({ description: "FLOP/s one thread sustains (estimate: a third of a 2.4 GHz Haswell core's AVX2 FMA peak of 76.8 GFLOP/s, what Eigen's contractions reach)" }),
  runtimePages: z.int().positive().default(16).meta({ description: "pages of TensorFlow's shared executor and allocator state every thread updates around each op" }),
  heap: size().prefault('64 MiB').meta({ description: "the runtime allocator's arena the temporaries cycle through" }),
  heapChurn: size({ zero: true }).prefault('2 MiB').meta({ description: 'temporaries each thread allocates per step' }),
});

/** The configuration with the preset filling in what it leaves out. */
function withPreset(c: z.output<typeof config>) {
  const p = PRESETS[c.preset];
  return { ...c, network: c.network ?? p.network, dataset: c.dataset ?? p.dataset, startup: c.startup ?? p.startup, steps: c.steps ?? p.steps, batch: c.batch ?? p.batch };
}

type Config = ReturnType<typeof withPreset>;

const PAGE = 4096;
const LINES_PER_PAGE = 64;
/** Samples per block of a dense layer's matrix product (Eigen's contraction blocking, estimate). */
const DENSE_BLOCK = 8;

const pagesOf = (bytes: number) => Math.ceil(bytes / PAGE);

interface Region {
  first: number;
  pages: number;
}

/** Lays the address space out page by page: libraries, start-up heap, dataset files and arrays,
 *  weights, gradients, slots, activations, heap, runtime state. */
function layout(c: Config) {
  const layers = c.network.map((l: Layer) => ({ ...layerCost(l), conv: l.kind === 'conv' }));
  let next = 16; // leave page 0 and friends unmapped, as a process does
  const region = (bytes: number): Region => {
    const r = { first: next, pages: pagesOf(bytes) };
    next += r.pages + 1;
    return r;
  };
  const d = c.dataset;
  const whole = c.process === 'whole';
  const libraries = region(whole ? c.startup.libraries : 0);
  const startHeap = region(whole ? c.startup.heap : 0);
  const files = region(d.resident ? (whole ? d.fileBytes : 0) : d.samples * d.recordBytes);
  const images = region(d.resident ? d.samples * d.sampleBytes : 0);
  const labels = region(d.resident ? d.samples * d.labelBytes : 0);
  const graphHeap = region(whole ? c.startup.graphHeap : 0);
  const weights = layers.map((l) => region(l.weights * 4));
  const grads = layers.map((l) => region(l.weights * 4));
  const slots = c.optimizer === 'adam' ? layers.map((l) => [region(l.weights * 4), region(l.weights * 4)]) : [];
  const perThread = Math.ceil(c.batch / c.threads);
  const input = Array.from({ length: c.threads }, () => region(d.resident ? 0 : perThread * d.sampleBytes));
  const acts = Array.from({ length: c.threads }, () => layers.map((l) => region(perThread * l.activations * 4)));
  const actGrads = Array.from({ length: c.threads }, () => layers.map((l) => region(perThread * l.activations * 4)));
  const heap = region(c.heap);
  const runtime = region(c.runtimePages * PAGE);
  return { layers, libraries, startHeap, files, images, labels, graphHeap, weights, grads, slots, input, acts, actGrads, heap, runtime };
}

type Layout = ReturnType<typeof layout>;

/** The slice [from, to) of a region's pages that thread t of T owns. */
function slice(r: Region, t: number, T: number): Region {
  const from = Math.floor((r.pages * t) / T);
  return { first: r.first + from, pages: Math.floor((r.pages * (t + 1)) / T) - from };
}

function* tensorflowStream(c: Config, L: Layout, t: number, started: () => void): Generator<Access> {
  const { layers } = L;
  const d = c.dataset;
  const a: Access = { page: 0, write: false, repeat: LINES_PER_PAGE, computeNs: 0, barrier: false, mm: 0, files: 0 };
  const nsPerFlop = 1e9 / c.computeRate;
  const share = Math.floor((c.batch * (t + 1)) / c.threads) - Math.floor((c.batch * t) / c.threads);
  /** A region page by page, the CPU time spread over it, and `mm` and `files` system calls too. */
  function* walk(r: Region, write: boolean, computeNs: number, mm = 0, files = 0): Generator<Access> {
    const per = r.pages ? computeNs / r.pages : 0;
    const calls = mm + files > 0;
    const spread = (n: number, i: number) => Math.floor((n * (i + 1)) / r.pages) - Math.floor((n * i) / r.pages);
    for (let i = 0; i < r.pages; i++) {
      a.page = r.first + i;
      a.write = write;
      a.computeNs = per;
      if (calls) {
        a.mm = spread(mm, i);
        a.files = spread(files, i);
      }
      yield a;
    }
    a.mm = 0;
    a.files = 0;
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
  function* barrier(): Generator<Access> {
    a.barrier = true;
    yield a;
    a.barrier = false;
  }
  const s = c.startup;
  if (c.process === 'whole' && t === 0) {
    // exec to the first step: the interpreter and its imports run code from the libraries,
    // allocate their heap and stat, open and read module files; then the dataset is read and
    // decoded, and the graph built.
    yield* walk(L.libraries, false, s.importCpu / 2, s.mappings, s.fileCalls);
    yield* walk(L.startHeap, true, s.importCpu / 2);
    if (d.resident) {
      yield* walk(L.files, false, 0);
      yield* walk(L.images, true, d.samples * d.decodeNs);
      yield* walk(L.labels, true, 0);
    }
    yield* walk(L.graphHeap, true, s.graphCpu);
  }
  if (c.process === 'whole') yield* barrier();
  if (t === 0) started();
  let heapAt = Math.floor((L.heap.pages * t) / c.threads);
  const churnPages = Math.min(L.heap.pages, pagesOf(c.heapChurn));
  for (let step = 0; step < c.steps; step++) {
    const first = (step * c.batch + Math.floor((c.batch * t) / c.threads)) % (d.samples - share);
    if (d.resident) {
      const firstByte = first * d.sampleBytes;
      yield* walk({ first: L.images.first + Math.floor(firstByte / PAGE), pages: pagesOf((firstByte % PAGE) + share * d.sampleBytes) }, false, 0);
      yield* walk({ first: L.labels.first + Math.floor((first * d.labelBytes) / PAGE), pages: pagesOf(share * d.labelBytes) }, false, 0);
    } else {
      // the input pipeline reads the step's records from the files and decodes them
      const firstByte = first * d.recordBytes;
      yield* walk({ first: L.files.first + Math.floor(firstByte / PAGE), pages: pagesOf((firstByte % PAGE) + share * d.recordBytes) }, false, 0);
      yield* walk(L.input[t], true, share * d.decodeNs);
    }
    // Convolutions run sample by sample, re-reading their weights for each; the dense layers'
    // matrix products walk their weights once per block of samples.
    for (let l = 0; l < layers.length; l++) {
      const blocks = layers[l].conv ? share : Math.ceil(share / DENSE_BLOCK);
      const ns = (share * layers[l].flops * nsPerFlop) / blocks;
      for (let b = 0; b < blocks; b++) {
        yield* runtimeState();
        yield* walk(L.weights[l], false, ns / 2);
        yield* walk(slice(L.acts[t][l], b, blocks), true, ns / 2);
      }
    }
    for (let l = layers.length - 1; l >= 0; l--) {
      const blocks = layers[l].conv ? share : Math.ceil(share / DENSE_BLOCK);
      const ns = (2 * share * layers[l].flops * nsPerFlop) / blocks;
      for (let b = 0; b < blocks; b++) {
        yield* runtimeState();
        yield* walk(slice(L.acts[t][l], b, blocks), false, ns / 3);
        yield* walk(L.weights[l], false, ns / 3);
        yield* walk(slice(L.actGrads[t][l], b, blocks), true, ns / 3);
      }
      yield* walk(slice(L.grads[l], t, c.threads), true, 0);
    }
    yield* barrier();
    for (let l = 0; l < layers.length; l++) {
      yield* walk(slice(L.grads[l], t, c.threads), false, 0);
      for (const slot of L.slots[l] ?? []) yield* walk(slice(slot, t, c.threads), true, 0);
      yield* walk(slice(L.weights[l], t, c.threads), true, 0);
    }
    for (let i = 0; i < churnPages; i++) {
      a.page = L.heap.first + heapAt;
      a.write = true;
      a.computeNs = 0;
      a.mm = i === 0 ? s.stepMappings : 0;
      yield a;
      heapAt = (heapAt + 1) % L.heap.pages;
    }
    a.mm = 0;
    yield* barrier();
  }
  if (c.process === 'whole' && t === 0) {
    // exit: every mapping is torn down
    a.page = L.runtime.first;
    a.write = false;
    a.computeNs = 0;
    a.mm = s.mappings;
    yield a;
    a.mm = 0;
  }
}

workloads.register({
  kind: 'tensorflow',
  description: 'a TensorFlow 1.x training process (the tutorial MNIST or CIFAR-10 CNN, or layers of your own) with T threads, as a page-level access stream',
  systems: ['lego', 'linux-local'],
  config,
  units: {
    runtime: 's',
    slowdown: 'x linux-local',
    steps: 'steps',
    stepsPerSec: 'steps/s',
    accessesPerSec: 'accesses/s',
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
  headline: ['runtime', 'slowdown', 'remoteRequestsPerSec'],
  check: (given: z.output<typeof config>) => {
    const c = withPreset(given);
    if (c.batch > c.dataset.samples) return { path: ['batch'], message: `${c.batch} samples a step, but the dataset has ${c.dataset.samples}` };
    return c.threads > c.batch ? { path: ['threads'], message: `${c.threads} threads share a batch of ${c.batch}: each needs a sample` } : undefined;
  },
  start(sim: Simulation, sys: { processor: MemoryPath; kernel: { build: string } }, given: z.output<typeof config>) {
    const c = withPreset(given);
    const L = layout(c);
    const mem = sys.processor;
    mem.mapFile(L.libraries.first, L.libraries.pages);
    mem.mapFile(L.files.first, L.files.pages);
    // The model's weights were initialised before training starts: they live in memory.
    for (const w of L.weights) mem.mapResident(w.first, w.pages);
    const barrier = new Barrier(sim, c.threads);
    const stats: ThreadStats[] = [];
    let trainingFrom = 0;
    let running = c.threads;
    for (let t = 0; t < c.threads; t++) {
      const s: ThreadStats = { accesses: 0, localNs: 0 };
      stats.push(s);
      const stream = tensorflowStream(c, L, t, () => (trainingFrom = sim.now));
      const body = runStream(sim, mem, threadContext(t, 'python', sys.kernel.build), stream, barrier, s);
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
        // Two barriers a step (and one before the first); a failed trial counts the steps it finished.
        const steps = Math.min(c.steps, Math.floor((barrier.rounds - (c.process === 'whole' ? 1 : 0)) / 2));
        const trainingSecs = (sim.now - trainingFrom) / 1e9;
        const out: Record<string, number> = {
          runtime: secs,
          slowdown: localNs > 0 ? sim.now / localNs : 0,
          steps,
          stepsPerSec: trainingSecs > 0 ? steps / trainingSecs : 0,
          accessesPerSec: secs > 0 ? accesses / secs : 0,
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
