/**
 * pix2pixHD's residual block.
 *
 * @module
 */

import { Conv2d, Layer, ReflectionPad2d, ReLU, Sequential } from "../../nn/layers.ts";
import { add } from "../../ops/elementwise.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { normLayer, type NormType } from "./norm.ts";

/**
 * x + block(x), with block = ReflectionPad(1), Conv3×3, Norm, ReLU, ReflectionPad(1), Conv3×3,
 * Norm (no activation after the sum). Keys `conv_block.1.*` and `conv_block.5.*` (and the norms'
 * at `.2` and `.6` with `--norm batch`).
 *
 * @example
 * ```ts ignore
 * const block = new ResnetBlock(256, { norm: "instance" });
 * const y = block.forward(x); // (N, 256, H, W) -> (N, 256, H, W)
 * ```
 */
export class ResnetBlock extends Layer {
  /** The residual branch. */
  readonly convBlock: Sequential;

  /** A block over `dim` channels. */
  constructor(dim: number, options: { norm: NormType }) {
    super();
    this.convBlock = this.addModule(
      "conv_block",
      new Sequential([
        new ReflectionPad2d(1),
        new Conv2d(dim, dim, { kernelSize: 3 }),
        normLayer(options.norm, dim),
        new ReLU(),
        new ReflectionPad2d(1),
        new Conv2d(dim, dim, { kernelSize: 3 }),
        normLayer(options.norm, dim),
      ]),
    );
  }

  /** (N, dim, H, W) -> (N, dim, H, W). */
  forward(x: Tensor): Tensor {
    const h = this.convBlock.forward(x);
    const y = add(x, h);
    h.dispose();
    return y;
  }
}
