/**
 * Average pooling, PyTorch's `AvgPool2d`. pix2pixHD downsamples its input pyramid and the inputs
 * of its coarser discriminators with `avgPool2d(x, 3, { stride: 2, padding: 1,
 * countIncludePad: false })`.
 *
 * @module
 */

import { record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import src from "./avg_pool2d.wgsl" with { type: "text" };
import { expect4d, expectFloat, kernels, launch } from "./util.ts";

const K = kernels("avg_pool2d", src, ["forward", "backward"] as const);

/** A size for both spatial dimensions, or (height, width). */
export type Size2d = number | readonly [height: number, width: number];

/** Options of {@linkcode avgPool2d}, with PyTorch's defaults. */
export interface AvgPool2dOptions {
  /** The step between windows; the kernel size when absent. */
  stride?: Size2d;
  /** Implicit zero padding on each side, at most half the kernel size (default 0). */
  padding?: Size2d;
  /** Whether padded positions count in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Whether the output size rounds up, so a last partial window counts (default false). */
  ceilMode?: boolean;
}

function pair(what: string, v: Size2d, min: number): [number, number] {
  const [a, b] = typeof v === "number" ? [v, v] : v;
  if (typeof v !== "number" && v.length !== 2) {
    throw new TypeError(
      `Cannot pool as ${what} must be a number or (height, width): current value is [${v}]`,
    );
  }
  for (const x of [a, b]) {
    if (!Number.isInteger(x) || x < min) {
      throw new RangeError(
        `Cannot pool as ${what} must be an integer of at least ${min}: current value is ${x}`,
      );
    }
  }
  return [a, b];
}

/** PyTorch's pooling output size along one side. */
function outputSize(size: number, k: number, s: number, pad: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * pad - k + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + pad) out--;
  return out;
}

/**
 * Averages x (N, C, H, W) over `kernelSize` windows, giving (N, C, Ho, Wo) with
 * Ho = floor((H + 2·padding - kernel) / stride) + 1 (rounded up with `ceilMode`).
 *
 * @example pix2pixHD's downsampler
 * ```ts ignore
 * const half = avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false });
 * ```
 */
export function avgPool2d(x: Tensor, kernelSize: Size2d, options: AvgPool2dOptions = {}): Tensor {
  expectFloat("avgPool2d", x), expect4d("avgPool2d's input", x);
  const [kh, kw] = pair("the kernel size", kernelSize, 1);
  const [sh, sw] = pair("the stride", options.stride ?? kernelSize, 1);
  const [ph, pw] = pair("the padding", options.padding ?? 0, 0);
  if (ph > kh / 2 || pw > kw / 2) {
    throw new RangeError(
      `Cannot pool as padding must be at most half the kernel size: current value is ${
        ph > kh / 2 ? ph : pw
      } for a kernel of ${ph > kh / 2 ? kh : kw}`,
    );
  }
  const includePad = options.countIncludePad ?? true;
  const ceil = options.ceilMode ?? false;
  const [n, c, h, w] = x.shape;
  const ho = outputSize(h, kh, sh, ph, ceil);
  const wo = outputSize(w, kw, sw, pw, ceil);
  if (ho < 1 || wo < 1) {
    throw new RangeError(
      `Cannot pool as the output would be empty: current value is ${ho}x${wo} for an input of ${h}x${w}`,
    );
  }
  const params = (count: number) => [count, h, w, ho, wo, kh, kw, sh, sw, ph, pw, +includePad];
  const y = Tensor.empty([n, c, ho, wo]);
  launch(K.forward, [x.buffer, y.buffer], params(y.size), y.size);
  return record(y, "avg_pool2d", [x], [], (dy) => {
    const dx = Tensor.empty(x.shape);
    launch(K.backward, [dy.buffer, dx.buffer], params(dx.size), dx.size);
    return [dx];
  });
}
