/**
 * pix2pixHD's multi-scale discriminator: the same PatchGAN, with separate weights, on the input
 * and on successively halved copies of it.
 *
 * @module
 */

import { AvgPool2d } from "../../nn/layers.ts";
import { Module } from "../../nn/module.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { integerOption } from "./check.ts";
import { NLayerDiscriminator, type NLayerDiscriminatorOptions } from "./nlayer_discriminator.ts";

/** Options of {@linkcode MultiscaleDiscriminator}, with the defaults of pix2pixHD's class. */
export interface MultiscaleDiscriminatorOptions extends NLayerDiscriminatorOptions {
  /** Scales (default 3; `--num_D` 2). */
  numD?: number;
}

/**
 * pix2pixHD's `MultiscaleDiscriminator`. Scale i's stages are children `scale{i}_layer{j}` with
 * `getIntermFeat` (j = 0 ... nLayers + 1), else `layer{i}` (one flat Sequential). Numbering is
 * the original's: scale numD - 1 sees the full-resolution input, scale numD - 2 the input halved
 * by AvgPool2d(3, 2, 1, count_include_pad=False), ..., scale 0 the coarsest, so a checkpoint with
 * fewer scales keeps its scales at the same absolute resolutions.
 *
 * @example
 * ```ts ignore
 * const d = new MultiscaleDiscriminator(39, { ndf: 64, numD: 2, getIntermFeat: true });
 * const [full, half] = d.forward(x); // each the 5 stage outputs of one scale
 * ```
 */
export class MultiscaleDiscriminator extends Module {
  /** The discriminator of each scale, by the original's index (0 is the coarsest). */
  readonly scales: readonly NLayerDiscriminator[];
  /** The downsampler between scales. */
  readonly downsample: AvgPool2d;
  /** Whether every scale's score map ends in a sigmoid (`useSigmoid`), for the BCE loss. */
  readonly sigmoid: boolean;

  /** A discriminator of `inputNc`-channel inputs. */
  constructor(inputNc: number, options: MultiscaleDiscriminatorOptions = {}) {
    super();
    const { numD = 3, ...single } = options;
    integerOption("numD", numD, 1);
    const scales = [];
    for (let i = 0; i < numD; i++) {
      const d = new NLayerDiscriminator(inputNc, single);
      if (d.getIntermFeat) {
        d.scoringStages.forEach((stage, j) => this.addModule(`scale${i}_layer${j}`, stage));
      } else this.addModule(`layer${i}`, d.model);
      scales.push(d);
    }
    this.scales = scales;
    this.sigmoid = !!options.useSigmoid;
    this.downsample = this.addModule(
      "downsample",
      new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
    );
  }

  /** Training mode for every scale (their layers are this module's children). */
  override train(mode = true): this {
    for (const d of this.scales) d.training = mode;
    return super.train(mode);
  }

  /**
   * One list per scale, full resolution first: each scale's stage outputs with
   * `getIntermFeat`, else [score map].
   */
  forward(x: Tensor): Tensor[][] {
    const n = this.scales.length;
    const out: Tensor[][] = [];
    let input = x;
    try {
      for (let i = 0; i < n; i++) {
        out.push(this.scales[n - 1 - i].forward(input));
        if (i === n - 1) break;
        const next = this.downsample.forward(input);
        if (input !== x) input.dispose();
        input = next;
      }
    } finally {
      if (input !== x) input.dispose();
    }
    return out;
  }
}
