/**
 * Parity of the training step with NVIDIA's pix2pixHD on the golden set: from
 * checkpoints/golden/latest_net_{G,D}.pth, with the random VGG19, three iterations on the first
 * three train pairs (`--serial_batches --no_flip --resize_or_crop none --pool_size 0 --lr 0.0002
 * --beta1 0.5`) against train/losses.json and train/after_net_{G,D}.pth.
 *
 * The first two iterations' losses match within 1e-4 relative. Three Adam steps with betas
 * (0.5, 0.999) amplify float32 rounding: each step moves almost every weight by about ±lr
 * whatever its gradient's size, so a weight whose gradient's sign rounding flips moves 2 lr the
 * other way, and the changed weights change the next gradients. PyTorch itself, from the same
 * checkpoints, misses iteration 3 by 3.2e-4 relative in float64 and by 5.6e-4 with another BLAS
 * (fixtures/train_parity/README.md). So the third iteration's losses are held to 2e-3 relative,
 * and the weights after it to 1e-4 absolute for all but 3% of each tensor's elements, every
 * element within the 3.188 lr that three Adam steps can move it. The biases that feed an
 * instance norm (manifest.json's non_reproducible_trained_params) are checked by that bound
 * alone.
 */
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { collate } from "../lib/data/batch.ts";
import { listDataset } from "../lib/data/layout.ts";
import { loadSample } from "../lib/data/sample.ts";
import { openCheckpoint } from "../lib/io/open_checkpoint.ts";
import { toFloat32 } from "../lib/io/to_float32.ts";
import type { Module } from "../lib/nn/module.ts";
import { defineD, defineG } from "../lib/pix2pixhd/networks/mod.ts";
import { LOSS_NAMES, Trainer } from "../lib/pix2pixhd/trainer.ts";
import { loadVgg19 } from "../lib/pix2pixhd/vgg19.ts";
import { gpu } from "./check.ts";
import { ckpt, D, G, golden, loaded, tiny } from "./golden.ts";

const LR = 0.0002;
/** Relative tolerance of each iteration's losses (see above). */
const LOSS_RTOL = [1e-4, 1e-4, 2e-3];
/** The share of a tensor's elements allowed beyond 1e-4 of train.py's after three steps. */
const OUTLIERS = 0.03;

/** What {@linkcode compare} found for one network. */
interface Match {
  /** The largest |ours - train.py's| over the tensors compared tightly. */
  worst: number;
  /** The share of their elements beyond 1e-4. */
  outliers: number;
}

/**
 * Checks a network after three steps against train.py's: every element within 3.188 lr of its
 * initial value, and all but {@linkcode OUTLIERS} of each tight tensor's elements within 1e-4.
 */
async function compare(net: Module, file: string, loose: readonly string[]): Promise<Match> {
  using after = await openCheckpoint(`${tiny}/train/${file}.pth`);
  using before = await openCheckpoint(`${tiny}/checkpoints/golden/latest_${file.slice(6)}.pth`);
  const ours = net.stateDict();
  equal(ours.size, after.keys().length, file);
  let worst = 0;
  let outliers = 0;
  let total = 0;
  for (const [key, t] of ours) {
    const got = await t.data();
    const initial = toFloat32(await before.read(key));
    for (let i = 0; i < got.length; i++) {
      ok(Math.abs(got[i] - initial[i]) <= 3.188 * LR, `${file} ${key}[${i}] moved too far`);
    }
    if (loose.includes(key)) continue;
    const want = toFloat32(await after.read(key));
    let far = 0;
    for (let i = 0; i < got.length; i++) {
      const d = Math.abs(got[i] - want[i]);
      worst = Math.max(worst, d);
      if (!(d <= 1e-4)) far++;
    }
    ok(far <= OUTLIERS * got.length, `${file} ${key}: ${far} of ${got.length} beyond 1e-4`);
    outliers += far;
    total += got.length;
  }
  return { worst, outliers: outliers / total };
}

Deno.test({
  name: "golden: three training iterations give train.py's losses and weights",
  ignore: golden === undefined,
  async fn() {
    await gpu();
    const manifest = JSON.parse(await Deno.readTextFile(`${tiny}/manifest.json`));
    const expected = JSON.parse(await Deno.readTextFile(`${tiny}/train/losses.json`)).iterations;
    const loose = manifest.non_reproducible_trained_params.params;
    const netG = await loaded(defineG(G), ckpt("G"));
    const netD = await loaded(defineD(D), ckpt("D"));
    const vgg = await loadVgg19(`${tiny}/vgg19_random.pth`);
    const trainer = new Trainer({ netG, netD, vgg }, {
      labelNc: 35,
      lr: LR,
      beta1: 0.5,
      lambdaFeat: 10,
      poolSize: 0,
    });
    const entries = (await listDataset(join(tiny, "data"))).slice(0, 3);
    const transform = { resizeOrCrop: "none", multiple: 16, flip: false } as const;
    for (const [i, entry] of entries.entries()) {
      ok(entry.label.includes(expected[i].train_image), entry.label);
      const sample = await loadSample(entry, { labelNc: 35, transform, seed: 0 });
      const losses = await trainer.step(collate([sample], [i]));
      const line = LOSS_NAMES.map((k) => {
        const rel = Math.abs(losses[k] - expected[i][k]) / Math.abs(expected[i][k]);
        ok(rel <= LOSS_RTOL[i], `iteration ${i + 1} ${k}: ${losses[k]} for ${expected[i][k]}`);
        return `${k} ${losses[k].toPrecision(8)} (rel ${rel.toExponential(1)})`;
      });
      console.log(`iteration ${i + 1}: ${line.join(", ")}`);
    }
    for (const [net, file] of [[netG, "after_net_G"], [netD, "after_net_D"]] as const) {
      const { worst, outliers } = await compare(net, file, loose[`train/${file}.pth`]);
      console.log(
        `${file}: max |error| ${worst.toExponential(2)}, ${
          (100 * outliers).toFixed(2)
        }% of elements beyond 1e-4`,
      );
    }
    for (const m of [netG, netD, vgg, trainer]) m.dispose();
  },
});
