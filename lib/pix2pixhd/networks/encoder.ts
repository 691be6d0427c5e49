/**
 * pix2pixHD's feature encoder: an encoder-decoder whose output is averaged over each instance.
 *
 * @module
 */

import { Sequential } from "../../nn/layers.ts";
import { Module } from "../../nn/module.ts";
import { instanceAvgPool } from "../../ops/instance_pool.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { integerOption } from "./check.ts";
import { globalGeneratorLayers } from "./global_generator.ts";
import type { NormType } from "./norm.ts";

/** Options of {@linkcode Encoder}, with the defaults of pix2pixHD's class. */
export interface EncoderOptions {
  /** Channels after the front end (default 32; `--nef` 16). */
  ngf?: number;
  /** Stride-2 downsamplings, mirrored by as many upsamplings (default 4). */
  nDownsampling?: number;
  /** The norm layers (default "instance"). */
  norm?: NormType;
}

/**
 * pix2pixHD's `Encoder` (`netG='encoder'`): the global generator's layers without residual
 * blocks (ReflectionPad(3), Conv7×7, Norm, ReLU; nDownsampling × [Conv3×3 s2, Norm, ReLU];
 * nDownsampling × [ConvTranspose3×3 s2, Norm, ReLU]; ReflectionPad(3), Conv7×7, Tanh), keys
 * `model.*`, followed by instance-wise average pooling.
 *
 * @example
 * ```ts ignore
 * const e = new Encoder(3, 3, { ngf: 16, nDownsampling: 4 });
 * const ids = uniqueIds(await inst.data()); // the instance map's ids, sorted
 * const features = e.forward(image, inst, ids); // (N, 3, H, W), constant over each instance
 * ```
 */
export class Encoder extends Module {
  /** The encoder-decoder. */
  readonly model: Sequential;

  /** An encoder from `inputNc` image channels to `outputNc` feature channels. */
  constructor(inputNc: number, outputNc: number, options: EncoderOptions = {}) {
    super();
    this.model = this.addModule(
      "model",
      new Sequential(
        globalGeneratorLayers(inputNc, outputNc, {
          ngf: integerOption("ngf", options.ngf ?? 32, 1),
          nDownsampling: integerOption("nDownsampling", options.nDownsampling ?? 4, 0),
          nBlocks: 0,
          norm: options.norm,
        }),
      ),
    );
  }

  /** The features before pooling: (N, inputNc, H, W) -> (N, outputNc, H, W), in [-1, 1]. */
  encode(image: Tensor): Tensor {
    return this.model.forward(image);
  }

  /**
   * The features of `image` (N, inputNc, H, W), each pixel replaced by the mean over the pixels
   * of its instance in `inst` (int32, (N, 1, H, W)), per batch element and channel. `ids` are
   * the sorted unique values of `inst` (`uniqueIds` of its data).
   */
  forward(image: Tensor, inst: Tensor, ids: ArrayLike<number>): Tensor {
    const raw = this.encode(image);
    try {
      return instanceAvgPool(raw, inst, ids);
    } finally {
      raw.dispose();
    }
  }
}
