/**
 * 2D convolution with PyTorch's semantics: NCHW input, (Cout, Cin, kh, kw) weight, zero padding,
 * stride 1 or 2, optional bias, with its backward pass, on the implicit-GEMM passes of
 * conv_gemm.ts.
 *
 * @module
 */

import { record } from "../tensor/autograd.ts";
import type { Tensor } from "../tensor/tensor.ts";
import {
  channelSum,
  convForward,
  type ConvGeometry,
  convInputGrad,
  convWeightGrad,
} from "./conv_gemm.ts";
import { expect4d, expectFloat } from "./util.ts";

/** Options of {@linkcode conv2d}. */
export interface Conv2dOptions {
  /** The step between kernel positions: 1 (default) or 2. */
  stride?: number;
  /** Zeros added on every side of the input (default 0). */
  padding?: number;
}

function checkInt(op: string, what: string, v: number, ok: boolean, rule: string): void {
  if (!Number.isInteger(v) || !ok) {
    throw new RangeError(`Cannot ${op} as ${what} must be ${rule}: current value is ${v}`);
  }
}

/**
 * Checks the arguments shared by conv2d and conv_transpose2d: float 4D input and weight, the
 * input's channels against `wIn` (the weight dimension holding input channels), the bias
 * against `wOut`, the stride and the padding.
 */
export function checkConvArgs(
  op: string,
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  layout: { wIn: 0 | 1; stride: number; padding: number },
): void {
  expectFloat(`the input of ${op}`, x);
  expectFloat(`the weight of ${op}`, w);
  expect4d(`the input of ${op}`, x);
  if (w.shape.length !== 4) {
    throw new TypeError(
      `Cannot use the weight of ${op} as it must be 4D (${
        layout.wIn === 1 ? "Cout, Cin" : "Cin, Cout"
      }, kh, kw): current shape is [${w.shape}]`,
    );
  }
  const cin = w.shape[layout.wIn];
  const cout = w.shape[1 - layout.wIn];
  if (x.shape[1] !== cin) {
    throw new TypeError(
      `Cannot ${op} as the input's channels must match dimension ${layout.wIn} of the weight ` +
        `[${w.shape}]: current value is ${x.shape[1]}`,
    );
  }
  if (w.shape[2] === 0 || w.shape[3] === 0) {
    throw new TypeError(
      `Cannot ${op} as the kernel must not be empty: current weight shape is [${w.shape}]`,
    );
  }
  if (b) {
    expectFloat(`the bias of ${op}`, b);
    if (b.shape.length !== 1 || b.shape[0] !== cout) {
      throw new TypeError(
        `Cannot ${op} as the bias must have shape [${cout}]: current shape is [${b.shape}]`,
      );
    }
  }
  checkInt(op, "stride", layout.stride, layout.stride === 1 || layout.stride === 2, "1 or 2");
  checkInt(op, "padding", layout.padding, layout.padding >= 0, "a non-negative integer");
}

/**
 * 2D convolution (cross-correlation, as PyTorch's `conv2d`): x (N, Cin, H, W) and w
 * (Cout, Cin, kh, kw), with an optional bias (Cout), give (N, Cout, Ho, Wo) where
 * Ho = ⌊(H + 2·padding - kh) / stride⌋ + 1. Records its backward pass: input, weight and bias
 * gradients.
 *
 * @example A 3×3 convolution that keeps the size
 * ```ts ignore
 * const y = conv2d(x, w, b, { stride: 1, padding: 1 });
 * ```
 */
export function conv2d(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  options: Conv2dOptions = {},
): Tensor {
  const g: ConvGeometry = { stride: options.stride ?? 1, padding: options.padding ?? 0 };
  checkConvArgs("convolve", x, w, b, { wIn: 1, ...g });
  const [, , h, wd] = x.shape;
  const [, , kh, kw] = w.shape;
  if (h + 2 * g.padding < kh || wd + 2 * g.padding < kw) {
    throw new RangeError(
      `Cannot convolve as the padded input must be at least as large as the kernel: current ` +
        `value is ${h + 2 * g.padding}×${wd + 2 * g.padding} for a ${kh}×${kw} kernel`,
    );
  }
  const y = convForward(x, w, b, g);
  const inputs = b ? [x, w, b] : [x, w];
  // The input is kept for the backward pass only if the weight gradient needs it.
  const saved = w.requiresGrad ? [w, x] : [w];
  return record(y, "conv2d", inputs, saved, (dy, [ws, xs]) => [
    x.requiresGrad ? convInputGrad(dy, ws, null, g, [h, wd]) : null,
    w.requiresGrad ? convWeightGrad(xs, dy, g, [kh, kw]) : null,
    b?.requiresGrad ? channelSum(dy) : null,
  ]);
}
