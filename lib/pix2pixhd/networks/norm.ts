/**
 * pix2pixHD's `--norm` choice: `InstanceNorm2d(affine=False)` (no keys) or
 * `BatchNorm2d(affine=True)` (weight, bias and running statistics).
 *
 * @module
 */

import { BatchNorm2d, InstanceNorm2d, type Layer } from "../../nn/layers.ts";

/** The normalization layer of every network: `--norm instance` (default) or `--norm batch`. */
export type NormType = "instance" | "batch";

/**
 * The norm layer over `channels` channels, as pix2pixHD's `get_norm_layer(norm)(channels)`.
 *
 * @example
 * ```ts ignore
 * normLayer("batch", 64); // BatchNorm2d(64): weight, bias, running_mean, running_var, ...
 * ```
 */
export function normLayer(norm: NormType, channels: number): Layer {
  switch (norm) {
    case "instance":
      return new InstanceNorm2d(channels);
    case "batch":
      return new BatchNorm2d(channels);
    default:
      throw new RangeError(
        `Cannot make a norm layer as norm must be "instance" or "batch": current value is ${
          JSON.stringify(norm)
        }`,
      );
  }
}
