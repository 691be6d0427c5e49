/**
 * Training and inference benchmarks at 512×256 with pix2pixHD's default networks (global
 * generator, ngf 64, 4 downsamplings, 9 residual blocks; num_D 2, ndf 64, n_layers_D 3; label_nc
 * 35 with instance maps): one full training step (G, both discriminator scales, VGG19, both Adam
 * updates) and one generator inference, each line with the peak bytes the buffer pool held
 * (weights, optimizer state and activations; the inference line is measured with only G
 * allocated, as test.py holds it). VGG19 weights are random unless `vggWeights` is
 * given: the timing does not depend on them.
 *
 * @module
 */

import type { Batch } from "../../lib/data/batch.ts";
import { initGpu } from "../../lib/gpu/kernel.ts";
import { initWeights } from "../../lib/nn/init.ts";
import { labelMap } from "../../lib/ops/label_maps.ts";
import { defineD } from "../../lib/pix2pixhd/networks/define_d.ts";
import { defineG } from "../../lib/pix2pixhd/networks/define_g.ts";
import { labelInput } from "../../lib/pix2pixhd/input.ts";
import { Trainer } from "../../lib/pix2pixhd/trainer.ts";
import { loadVgg19, Vgg19 } from "../../lib/pix2pixhd/vgg19.ts";
import { noGrad } from "../../lib/tensor/autograd.ts";
import { Tensor } from "../../lib/tensor/tensor.ts";
import { bench } from "./util.ts";

/** Options of {@linkcode benchTrain}. */
export interface BenchTrainOptions {
  /** A torchvision VGG19 checkpoint; random weights when absent. */
  vggWeights?: string;
  /** Width and height (default 512×256). */
  size?: readonly [width: number, height: number];
  /** Timed training steps after the warm-up one (default 1). */
  iters?: number;
}

/** A batch of random Cityscapes-like maps: 35 label ids, instance ids, photo bytes. */
function randomBatch(width: number, height: number): Batch {
  const n = width * height;
  let s = 1;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  // Blocks of 16×16 pixels share a label, so the boundary map is mostly zeros as in real data.
  const label = Uint8Array.from({ length: n }, (_, i) => {
    const block = Math.floor(i / width / 16) * 1000 + Math.floor((i % width) / 16);
    return (Math.imul(block, 2654435761) >>> 0) % 35;
  });
  const inst = Int32Array.from(label, (v) => v * 1000);
  const image = Uint8Array.from({ length: 3 * n }, () => next() >>> 24);
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

/** Prints the generator-inference and training-step lines. */
export async function benchTrain(options: BenchTrainOptions = {}): Promise<void> {
  const rt = await initGpu();
  const [width, height] = options.size ?? [512, 256];
  const shape = `N=1 ${width}x${height} global ngf 64, num_D 2, label_nc 35 + instance`;
  const batch = randomBatch(width, height);
  const measure = async (name: string, iters: number, run: () => void) => {
    rt.pool.trim();
    rt.pool.resetPeak();
    // A getter, so that the line reads the peak once the runs are done.
    const extra = {
      get peak_bytes() {
        return rt.pool.stats().peak;
      },
    };
    await bench({ name, shape, iters, run, extra });
  };

  // Inference first, with only G allocated, as test.py holds it.
  const netG = defineG({ netG: "global", inputNc: 36, seed: 1 });
  const label = labelMap(batch.label, [1, 1, height, width], 35);
  const inst = Tensor.from(batch.inst!, [1, 1, height, width]);
  await measure(
    "pix2pixhd.generate",
    2,
    () => void noGrad(() => netG.forward(labelInput(label, inst, { labelNc: 35 }))),
  );

  const netD = defineD({ inputNc: 39, numD: 2, seed: 2 });
  const vgg = options.vggWeights
    ? await loadVgg19(options.vggWeights)
    : initWeights(new Vgg19(), { seed: 3 });
  const trainer = new Trainer({ netG, netD, vgg }, { labelNc: 35 });
  await measure("pix2pixhd.train_step", options.iters ?? 1, () => void trainer.recordStep(batch));
  for (const t of [label, inst, netG, netD, vgg, trainer]) t.dispose();
}
