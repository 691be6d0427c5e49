/**
 * Transposed 2D convolution with PyTorch's semantics and weight layout (Cin, Cout, kh, kw). It is
 * the input gradient of the conv2d that maps its output back to its input, so it runs on the
 * conv2d kernels: the forward pass is conv2d's input-gradient pass, the input gradient is conv2d's
 * forward pass, and the weight gradient is conv2d's weight-gradient pass with input and output
 * gradient swapped.
 *
 * @module
 */

import { record } from "../tensor/autograd.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { checkConvArgs } from "./conv2d.ts";
import {
  channelSum,
  convForward,
  type ConvGeometry,
  convInputGrad,
  convWeightGrad,
} from "./conv_gemm.ts";

/** Options of {@linkcode convTranspose2d}. */
export interface ConvTranspose2dOptions {
  /** The step between input positions in the output: 1 or 2 (default 2). */
  stride?: number;
  /** Rows and columns cut from every side of the full output (default 1). */
  padding?: number;
  /** Rows and columns added at the bottom and right, smaller than the stride (default 1). */
  outputPadding?: number;
}

/**
 * Transposed convolution (as PyTorch's `conv_transpose2d`): x (N, Cin, H, W) and w
 * (Cin, Cout, kh, kw), with an optional bias (Cout), give (N, Cout, Ho, Wo) where
 * Ho = (H - 1)·stride - 2·padding + kh + outputPadding. The defaults are pix2pixHD's upsampling
 * (stride 2, padding 1, output padding 1), which doubles the size with a 3×3 kernel. Records its
 * backward pass: input, weight and bias gradients.
 *
 * @example Double the size
 * ```ts ignore
 * const y = convTranspose2d(x, w, b); // (1, 128, 32, 64) -> (1, 64, 64, 128) for w (128, 64, 3, 3)
 * ```
 */
export function convTranspose2d(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  options: ConvTranspose2dOptions = {},
): Tensor {
  const g: ConvGeometry = { stride: options.stride ?? 2, padding: options.padding ?? 1 };
  const outputPadding = options.outputPadding ?? 1;
  const op = "transpose-convolve";
  checkConvArgs(op, x, w, b, { wIn: 0, ...g });
  if (!Number.isInteger(outputPadding) || outputPadding < 0 || outputPadding >= g.stride) {
    throw new RangeError(
      `Cannot ${op} as outputPadding must be a non-negative integer smaller than the stride ` +
        `${g.stride}: current value is ${outputPadding}`,
    );
  }
  const [, , h, wd] = x.shape;
  const [, , kh, kw] = w.shape;
  const ho = (h - 1) * g.stride - 2 * g.padding + kh + outputPadding;
  const wo = (wd - 1) * g.stride - 2 * g.padding + kw + outputPadding;
  if (ho <= 0 || wo <= 0) {
    throw new RangeError(
      `Cannot ${op} as the output would be empty: current value is ${ho}×${wo} for an input of ` +
        `${h}×${wd}, a ${kh}×${kw} kernel and padding ${g.padding}`,
    );
  }
  const y = convInputGrad(x, w, b, g, [ho, wo]);
  const inputs = b ? [x, w, b] : [x, w];
  // The input is kept for the backward pass only if the weight gradient needs it.
  const saved = w.requiresGrad ? [w, x] : [w];
  return record(y, "conv_transpose2d", inputs, saved, (dy, [ws, xs]) => [
    x.requiresGrad ? convForward(dy, ws, null, g) : null,
    w.requiresGrad ? convWeightGrad(dy, xs, g, [kh, kw]) : null,
    b?.requiresGrad ? channelSum(dy) : null,
  ]);
}
