/**
 * pix2pixHD's `define_D`: the multi-scale discriminator with pix2pixHD's initial weights.
 *
 * @module
 */

import { initWeights } from "../../nn/init.ts";
import { MultiscaleDiscriminator } from "./multiscale_discriminator.ts";
import type { NormType } from "./norm.ts";

/** Options of {@linkcode defineD}, with the defaults of pix2pixHD's command line. */
export interface DefineDOptions {
  /** Input channels: labels, boundary map and image (39 for Cityscapes with instance maps). */
  inputNc: number;
  /** `--ndf` (default 64). */
  ndf?: number;
  /** `--n_layers_D` (default 3). */
  nLayersD?: number;
  /** `--norm` (default "instance"). */
  norm?: NormType;
  /** A sigmoid on the score maps, for `--no_lsgan` (default false). */
  useSigmoid?: boolean;
  /** `--num_D` (default 2). */
  numD?: number;
  /** Every layer's output, for feature matching: not `--no_ganFeat_loss` (default true). */
  getIntermFeat?: boolean;
  /** Seed of the initial weights (default 0). */
  seed?: number;
}

/**
 * Builds a {@linkcode MultiscaleDiscriminator} and gives it pix2pixHD's initial weights.
 *
 * @example The tiny golden configuration
 * ```ts ignore
 * const d = defineD({ inputNc: 39, ndf: 16, nLayersD: 3, numD: 2 });
 * const scores = d.forward(x); // 2 scales × 5 stage outputs
 * ```
 */
export function defineD(options: DefineDOptions): MultiscaleDiscriminator {
  const {
    inputNc,
    ndf = 64,
    nLayersD = 3,
    norm = "instance",
    useSigmoid = false,
    numD = 2,
    getIntermFeat = true,
    seed = 0,
  } = options;
  const d = new MultiscaleDiscriminator(inputNc, {
    ndf,
    nLayers: nLayersD,
    norm,
    useSigmoid,
    numD,
    getIntermFeat,
  });
  return initWeights(d, { seed });
}
