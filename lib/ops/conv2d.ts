/**
 * 2D convolution with PyTorch's semantics: NCHW input, (Cout, Cin, kh, kw) weight, zero or
 * reflection padding, stride 1 or 2, optional bias, with its backward pass, on the implicit-GEMM
 * passes of conv_gemm.ts.
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
  convParamGrads,
} from "./conv_gemm.ts";
import { activationGrad } from "./elementwise.ts";
import { reflectionPad2dBackward } from "./reflection_pad2d.ts";
import { expect4d, expectFloat } from "./util.ts";

/** Options of {@linkcode conv2d}. */
export interface Conv2dOptions {
  /** The step between kernel positions: 1 (default) or 2. */
  stride?: number;
  /** Values added on every side of the input (default 0). */
  padding?: number;
  /**
   * What the padding holds, as PyTorch's `padding_mode`: `zeros` (default), or `reflect`, the
   * input mirrored at its edges as `ReflectionPad2d` pads it (so `conv2d(x, w, b, { padding: p,
   * paddingMode: "reflect" })` is `conv2d(reflectionPad2d(x, p), w, b)`, with the mirrored pixels
   * read where they lie: no padded copy is made or kept); each padding must then be smaller than
   * the input's side.
   */
  paddingMode?: "zeros" | "reflect";
  /**
   * An activation applied to the result in the same pass (default none): `relu`, or a LeakyReLU's
   * negative slope (≥ 0): `relu(conv2d(x, w, b))` with the same values and gradients, in one
   * dispatch fewer.
   */
  activation?: "relu" | number;
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
  const mode = options.paddingMode ?? "zeros";
  if (mode !== "zeros" && mode !== "reflect") {
    throw new RangeError(
      `Cannot convolve as paddingMode must be 'zeros' or 'reflect': current value is '${mode}'`,
    );
  }
  const reflect = mode === "reflect";
  const g: ConvGeometry = { stride: options.stride ?? 1, padding: options.padding ?? 0, reflect };
  checkConvArgs("convolve", x, w, b, { wIn: 1, ...g });
  const [, , h, wd] = x.shape;
  const [, , kh, kw] = w.shape;
  const p = g.padding;
  if (reflect && p >= Math.min(h, wd)) {
    throw new RangeError(
      `Cannot convolve with reflection padding as the padding must be smaller than the input's ` +
        `sides: current value is ${p} for an input of ${h}×${wd}`,
    );
  }
  if (h + 2 * p < kh || wd + 2 * p < kw) {
    throw new RangeError(
      `Cannot convolve as the padded input must be at least as large as the kernel: current ` +
        `value is ${h + 2 * p}×${wd + 2 * p} for a ${kh}×${kw} kernel`,
    );
  }
  const act = options.activation ?? null;
  if (act !== null && act !== "relu" && !(typeof act === "number" && act >= 0 && act < Infinity)) {
    throw new RangeError(
      `Cannot convolve with an activation as it must be 'relu' or a LeakyReLU's negative slope, a finite number ≥ 0: current value is ${act}`,
    );
  }
  const y = convForward(x, w, b, g, act);
  const inputs = b ? [x, w, b] : [x, w];
  // The input is kept for the backward pass only if the weight gradient needs it; the output
  // only if there is an activation to take the gradient through.
  const saved = [w, ...(act !== null ? [y] : []), ...(w.requiresGrad ? [x] : [])];
  const name = act === null ? "conv2d" : act === "relu" ? "conv2d_relu" : "conv2d_leaky_relu";
  // Each gradient is added into the one its input has so far, in the pass that computes it.
  return record(y, name, inputs, saved, (dyOut, [ws, ...rest], [dx, dw, db]) => {
    const dy = act === null ? dyOut : activationGrad(rest.shift()!, dyOut, act);
    const xs = rest[0];
    try {
      const dxOut = x.requiresGrad ? inputGrad(dy, ws, g, [h, wd], dx ?? undefined) : null;
      // The bias gradient in the weight gradient's passes where there is one.
      const bias = b?.requiresGrad ? { into: db ?? undefined } : undefined;
      if (!w.requiresGrad) return [dxOut, null, bias ? channelSum(dy, bias.into) : null];
      const grads = convParamGrads(xs, dy, g, [kh, kw], dw ?? undefined, bias);
      return [dxOut, grads.dw, grads.db];
    } finally {
      if (dy !== dyOut) dy.dispose();
    }
  });
}

/**
 * The input gradient of conv2d (added into `into` in place if given); with reflection padding
 * taken over the padded input, then the mirrored border folded back as ReflectionPad2d's
 * backward does.
 */
function inputGrad(
  dy: Tensor,
  w: Tensor,
  g: ConvGeometry,
  size: [number, number],
  into?: Tensor,
): Tensor {
  if (!g.reflect) return convInputGrad(dy, w, null, g, size, into);
  const p = g.padding;
  const padded = convInputGrad(dy, w, null, { stride: g.stride, padding: 0 }, [
    size[0] + 2 * p,
    size[1] + 2 * p,
  ]);
  try {
    return reflectionPad2dBackward(padded, [dy.shape[0], w.shape[1], ...size], [p, p, p, p], into);
  } finally {
    padded.dispose();
  }
}
