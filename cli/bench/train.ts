/**
 * Training and inference benchmarks with pix2pixHD's networks, by default its 512p configuration
 * (global generator, ngf 64, 4 downsamplings, 9 residual blocks; num_D 2, ndf 64, n_layers_D 3;
 * label_nc 35 with instance maps) at 512×256: one full training step (G, every discriminator
 * scale, VGG19, both Adam updates) and one generator inference, each line with the peak bytes the
 * buffer pool held (weights, optimizer state and activations; the inference line is measured with
 * only G allocated, as test.py holds it). Each line's `ms` is the median of its timed runs, each
 * run between two full synchronizations, after warm-up runs, as fixtures/train_parity/bench.py
 * times PyTorch; the lines' `shape` strings are the same as that script's, so that the two sides
 * pair up. VGG19 weights are random unless `vggWeights` is given: the timing does not depend on
 * them. A case that fails (out of memory, a refused binding) prints a line with `error`.
 *
 * @module
 */

import type { Batch } from "../../lib/data/batch.ts";
import { initGpu } from "../../lib/gpu/kernel.ts";
import { initWeights } from "../../lib/nn/init.ts";
import { labelMap } from "../../lib/ops/label_maps.ts";
import { defineD } from "../../lib/pix2pixhd/networks/define_d.ts";
import { buildGenerator } from "../../lib/pix2pixhd/architecture.ts";
import type { GlobalGenerator, LocalEnhancer } from "../../lib/pix2pixhd/networks/mod.ts";
import { labelInput } from "../../lib/pix2pixhd/input.ts";
import { Trainer } from "../../lib/pix2pixhd/trainer.ts";
import { loadVgg19, Vgg19 } from "../../lib/pix2pixhd/vgg19.ts";
import { noGrad } from "../../lib/tensor/autograd.ts";
import { Tensor } from "../../lib/tensor/tensor.ts";
import { benchMedian } from "./util.ts";

/** The networks' configuration, with pix2pixHD's flag names and defaults. */
export interface BenchArchitecture {
  netG: "global" | "local";
  ngf: number;
  n_downsample_global: number;
  n_blocks_global: number;
  n_local_enhancers: number;
  n_blocks_local: number;
  ndf: number;
  num_D: number;
  n_layers_D: number;
  /** Whether the training step has the VGG loss (pix2pixHD's default). */
  vgg: boolean;
}

/** pix2pixHD's defaults: the 512p configuration. */
export const DEFAULT_ARCHITECTURE: Readonly<BenchArchitecture> = {
  netG: "global",
  ngf: 64,
  n_downsample_global: 4,
  n_blocks_global: 9,
  n_local_enhancers: 1,
  n_blocks_local: 3,
  ndf: 64,
  num_D: 2,
  n_layers_D: 3,
  vgg: true,
};

/** Options of {@linkcode benchTrain}. */
export interface BenchTrainOptions {
  /** A torchvision VGG19 checkpoint; random weights when absent. */
  vggWeights?: string;
  /** Width and height of each case (default 512×256). */
  sizes?: readonly (readonly [width: number, height: number])[];
  /** The networks (default {@linkcode DEFAULT_ARCHITECTURE}). */
  architecture?: Partial<BenchArchitecture>;
  /** Which measurements (default both). */
  what?: readonly ("generate" | "train_step")[];
  /** Untimed runs first (default 1). */
  warmup?: number;
  /** Timed runs (default 1). */
  iters?: number;
}

const LABEL_NC = 35;

/** The shape string of a generator line, as fixtures/train_parity/bench.py writes it. */
export function generateShape(a: BenchArchitecture, width: number, height: number): string {
  return `N=1 ${width}x${height} ${a.netG} ngf ${a.ngf}, label_nc 35 + instance`;
}

/** The shape string of a training-step line, as fixtures/train_parity/bench.py writes it. */
export function stepShape(a: BenchArchitecture, width: number, height: number): string {
  return `N=1 ${width}x${height} ${a.netG} ngf ${a.ngf}, num_D ${a.num_D}, ` +
    `n_layers_D ${a.n_layers_D}${a.vgg ? "" : ", no VGG"}, label_nc 35 + instance`;
}

/**
 * The bench's batch, the same pattern fixtures/train_parity/bench.py makes: blocks of 16×16
 * pixels share a label (so the boundary map is mostly zeros, as in real data), instance ids are
 * label · 1000, and each photo byte is a hash of its index (H, W, 3).
 */
export function benchBatch(width: number, height: number): Batch {
  const n = width * height;
  const label = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const block = Math.floor(y / 16) * 1000 + Math.floor(x / 16);
      label[y * width + x] = (Math.imul(block, 2654435761) >>> 0) % LABEL_NC;
    }
  }
  const inst = Int32Array.from(label, (v) => v * 1000);
  const image = Uint8Array.from(
    { length: 3 * n },
    (_, i) => ((Math.imul(i, 2654435761) + 1013904223) >>> 0) >>> 24,
  );
  return {
    size: 1,
    width,
    height,
    label,
    labelChannels: 1,
    inst,
    image,
    indices: [0],
    entries: [],
  };
}

/** G of the bench's architecture (label_nc 35 with instance maps, no features). */
function networksG(a: BenchArchitecture): GlobalGenerator | LocalEnhancer {
  return buildGenerator({
    ...a,
    label_nc: LABEL_NC,
    input_nc: 3,
    output_nc: 3,
    no_instance: false,
    norm: "instance",
    instance_feat: false,
    label_feat: false,
    feat_num: 3,
  }, 1);
}

/** Prints the generator-inference and training-step lines of each size. */
export async function benchTrain(options: BenchTrainOptions = {}): Promise<void> {
  const rt = await initGpu();
  const a: BenchArchitecture = { ...DEFAULT_ARCHITECTURE, ...options.architecture };
  const what = options.what ?? ["generate", "train_step"];
  const runs = { warmup: options.warmup ?? 1, iters: options.iters ?? 1 };
  const peak = () => ({ peak_bytes: rt.pool.stats().peak });
  for (const [width, height] of options.sizes ?? [[512, 256]]) {
    const batch = benchBatch(width, height);
    if (what.includes("generate")) {
      // With only G allocated, as test.py holds it.
      await benchMedian({
        name: "pix2pixhd.generate",
        shape: generateShape(a, width, height),
        ...runs,
        setup: (keep) => {
          const netG = networksG(a);
          const label = labelMap(batch.label, [1, 1, height, width], LABEL_NC);
          const inst = Tensor.from(batch.inst!, [1, 1, height, width]);
          keep(netG, label, inst);
          return () =>
            void noGrad(() => netG.forward(labelInput(label, inst, { labelNc: LABEL_NC })));
        },
        extra: { config: a },
        after: peak,
      });
    }
    if (what.includes("train_step")) {
      await benchMedian({
        name: "pix2pixhd.train_step",
        shape: stepShape(a, width, height),
        ...runs,
        setup: async (keep) => {
          const netG = networksG(a);
          const netD = defineD({
            inputNc: LABEL_NC + 1 + 3,
            ndf: a.ndf,
            nLayersD: a.n_layers_D,
            numD: a.num_D,
            seed: 2,
          });
          const vgg = !a.vgg
            ? undefined
            : options.vggWeights
            ? await loadVgg19(options.vggWeights)
            : initWeights(new Vgg19(), { seed: 3 });
          const trainer = new Trainer({ netG, netD, vgg }, {
            labelNc: LABEL_NC,
            noVggLoss: !a.vgg,
          });
          keep(netG, netD, trainer, ...(vgg ? [vgg] : []));
          return () => void trainer.recordStep(batch);
        },
        extra: { config: a },
        after: peak,
      });
    }
  }
}
