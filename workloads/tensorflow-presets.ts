// The networks, datasets and process start-up the tensorflow workload runs, as data: the schema a
// user's own layers and dataset are read with, and the presets of the TensorFlow 1.x tutorial CNNs
// that LegoOS ran in 2018 (log-09-2018.md, 16 September: TF4-MNIST and TF4-Cifar). The 2018
// scripts are not public: the tutorials' own networks and batches are assumed, and each preset's
// step count is derived from the Linux run time of that day, as its comment shows.
import * as z from 'zod';
import { duration, size } from '../harness/experiment/units.js';

const int = z.int().positive();

const conv = z.strictObject({
  kind: z.literal('conv'),
  input: z.tuple([int, int, int]).meta({ description: 'height, width and channels in' }),
  kernel: int,
  filters: int,
  pool: int.default(1).meta({ description: 'the pooling stride after the convolution (1: none)' }),
});
const dense = z.strictObject({ kind: z.literal('dense'), inputs: int, units: int });
const layer = z.discriminatedUnion('kind', [conv, dense]);
export type Layer = z.output<typeof layer>;

export const network = z.array(layer).min(1);

/** Weights (floats), forward FLOPs and activations (floats) per sample of one layer; a
 *  convolution keeps its output and, when it pools, the pooled output too. */
export function layerCost(l: Layer): { weights: number; flops: number; activations: number } {
  if (l.kind === 'dense') return { weights: l.inputs * l.units + l.units, flops: 2 * l.inputs * l.units, activations: l.units };
  const [h, w, c] = l.input;
  const out = h * w * l.filters;
  return {
    weights: l.kernel * l.kernel * c * l.filters + l.filters,
    flops: 2 * out * l.kernel * l.kernel * c,
    activations: out + (l.pool > 1 ? Math.ceil(h / l.pool) * Math.ceil(w / l.pool) * l.filters : 0),
  };
}

export const dataset = z.strictObject({
  samples: int,
  sampleBytes: size().meta({ description: 'one decoded training input' }),
  labelBytes: size().prefault('4 B'),
  resident: z.boolean().meta({ description: 'decoded into memory before training (MNIST), or records read from the files every step (CIFAR-10)' }),
  fileBytes: size({ zero: true }).meta({ description: 'what is read from the files before training when resident' }),
  recordBytes: size({ zero: true }).prefault('0 B').meta({ description: 'one record in the files, when not resident' }),
  decodeNs: duration().meta({ description: 'CPU time to decode one sample' }),
});

export const startup = z.strictObject({
  libraries: size().meta({ description: "pages of the interpreter's, numpy's and TensorFlow's shared libraries touched from exec on" }),
  fileCalls: z.int().nonnegative().meta({ description: 'stat, open, read and close calls of the imports' }),
  mappings: z.int().nonnegative().meta({ description: 'mmap, mprotect and brk calls before training (and munmap calls at exit)' }),
  importCpu: duration().meta({ description: 'CPU time of the interpreter and its imports' }),
  heap: size().meta({ description: 'heap the imports touch' }),
  graphCpu: duration().meta({ description: 'CPU time to build the graph, create the session and initialise the variables' }),
  graphHeap: size().meta({ description: 'heap the graph and session touch' }),
  stepMappings: z.int().nonnegative().meta({ description: "each thread's mmap and munmap calls per step for tensors above malloc's mmap threshold" }),
});

// The presets are written as parsed values (bytes and nanoseconds) with their units spelled out:
// parsing "96 MiB" at import loads mathjs, which every worker thread would then pay for.
const B = 1;
const MiB = 2 ** 20;
const us = 1e3;
const s = 1e9;

/** Python 2.7 and TensorFlow 1.10 (CPU wheel) starting on the testbed; every value an estimate,
 *  for the reason given beside it. */
const PYTHON_TF: z.output<typeof startup> = {
  // _pywrap_tensorflow_internal.so and libtensorflow_framework.so are some 200 MB in the 1.10
  // wheel; loading relocates their data and the imports run a part of their code; numpy's and
  // the interpreter's libraries add a few MB.
  libraries: 96 * MiB,
  // `import tensorflow` loads about a thousand modules; Python 2.7 tries several names in each
  // sys.path entry for each: some 20 calls a module.
  fileCalls: 20000,
  // about four mappings for each of some 150 shared objects, and the allocators' arenas
  mappings: 1200,
  // `python -c "import tensorflow"` takes about 2 s on a 2.4 GHz Haswell core
  importCpu: 2 * s,
  heap: 128 * MiB,
  // the estimator builds the graph, creates the session, initialises and checkpoints the variables
  graphCpu: 1 * s,
  graphHeap: 64 * MiB,
  // TensorFlow's CPU allocator hands large tensors to malloc, which maps those above its threshold
  stepMappings: 8,
};

export interface Preset {
  network: z.output<typeof network>;
  dataset: z.output<typeof dataset>;
  startup: z.output<typeof startup>;
  batch: number;
  steps: number;
}

export const PRESETS: Record<string, Preset> = {
  // tensorflow/tensorflow, tutorials/layers/cnn_mnist.py: two 5x5 convolutions (32 and 64 filters,
  // each pooled 2x2), a dense layer of 1024, logits; batch 100, plain SGD. The 55,000 training
  // images are read from the four .gz files (11,594,722 B) and decoded to float32. Steps: the run
  // of 29 August logged step 101 (log-08-2018.md), so it trained at least 101; on linux-local 101
  // steps and this start-up take 13.8 s, against the 13.2 s Linux took on 16 September.
  'mnist-cnn': {
    network: network.parse([
      { kind: 'conv', input: [28, 28, 1], kernel: 5, filters: 32, pool: 2 },
      { kind: 'conv', input: [14, 14, 32], kernel: 5, filters: 64, pool: 2 },
      { kind: 'dense', inputs: 3136, units: 1024 },
      { kind: 'dense', inputs: 1024, units: 10 },
    ]),
    // gunzip and a float32 conversion of 784 bytes: a few microseconds
    dataset: { samples: 55000, sampleBytes: 3136 * B, labelBytes: 4 * B, resident: true, fileBytes: 11594722 * B, recordBytes: 0 * B, decodeNs: 5 * us },
    startup: PYTHON_TF,
    batch: 100,
    steps: 101,
  },
  // tensorflow/models, tutorials/image/cifar10/cifar10.py: two 5x5 convolutions of 64 filters on
  // 24x24 crops (pooled with stride 2), dense layers of 384 and 192, logits; batch 128. The input
  // pipeline reads 3,073-byte records from the binary batches (the 170 MB download) every step and
  // distorts each image (crop, flip, brightness, contrast, standardisation: tens of microseconds).
  // Steps: on linux-local this start-up takes 3.07 s and a step 0.152 s, so the Linux run of 16
  // September (235.5 s) trained (235.5 - 3.07) / 0.152 = 1,529 steps.
  'cifar10-cnn': {
    network: network.parse([
      { kind: 'conv', input: [24, 24, 3], kernel: 5, filters: 64, pool: 2 },
      { kind: 'conv', input: [12, 12, 64], kernel: 5, filters: 64, pool: 2 },
      { kind: 'dense', inputs: 2304, units: 384 },
      { kind: 'dense', inputs: 384, units: 192 },
      { kind: 'dense', inputs: 192, units: 10 },
    ]),
    dataset: { samples: 50000, sampleBytes: 6912 * B, labelBytes: 4 * B, resident: false, fileBytes: 0 * B, recordBytes: 3073 * B, decodeNs: 30 * us },
    startup: PYTHON_TF,
    batch: 128,
    steps: 1529,
  },
};
