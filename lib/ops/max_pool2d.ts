/**
 * Max pooling, PyTorch's `MaxPool2d` (no dilation, floor mode). VGG19 downsamples with
 * `maxPool2d(x, 2)`. The backward pass routes each output's gradient to the first maximum of its
 * window, as PyTorch does, gathered per input element.
 *
 * @module
 */

import { record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import type { Size2d } from "./avg_pool2d.ts";
import src from "./max_pool2d.wgsl" with { type: "text" };
import { expect4d, expectFloat, kernels, launch } from "./util.ts";

const K = kernels("max_pool2d", src, ["forward", "backward"] as const);

/** Options of {@linkcode maxPool2d}, with PyTorch's defaults. */
export interface MaxPool2dOptions {
  /** The step between windows; the kernel size when absent. */
  stride?: Size2d;
  /** Implicit -inf padding on each side, at most half the kernel size (default 0). */
  padding?: Size2d;
}

function pair(what: string, v: Size2d, min: number): [number, number] {
  if (typeof v !== "number" && v.length !== 2) {
    throw new TypeError(
      `Cannot max-pool as ${what} must be a number or (height, width): current value is [${v}]`,
    );
  }
  const [a, b] = typeof v === "number" ? [v, v] : v;
  for (const x of [a, b]) {
    if (!Number.isInteger(x) || x < min) {
      throw new RangeError(
        `Cannot max-pool as ${what} must be an integer of at least ${min}: current value is ${x}`,
      );
    }
  }
  return [a, b];
}

/**
 * The maximum of x (N, C, H, W) over `kernelSize` windows, giving (N, C, Ho, Wo) with
 * Ho = floor((H + 2·padding - kernel) / stride) + 1.
 *
 * @example VGG19's downsampler
 * ```ts ignore
 * const half = maxPool2d(x, 2); // (N, C, H, W) -> (N, C, H / 2, W / 2)
 * ```
 */
export function maxPool2d(x: Tensor, kernelSize: Size2d, options: MaxPool2dOptions = {}): Tensor {
  expectFloat("maxPool2d", x), expect4d("maxPool2d's input", x);
  const [kh, kw] = pair("the kernel size", kernelSize, 1);
  const [sh, sw] = pair("the stride", options.stride ?? kernelSize, 1);
  const [ph, pw] = pair("the padding", options.padding ?? 0, 0);
  if (ph > kh / 2 || pw > kw / 2) {
    throw new RangeError(
      `Cannot max-pool as padding must be at most half the kernel size: current value is ${
        ph > kh / 2 ? ph : pw
      } for a kernel of ${ph > kh / 2 ? kh : kw}`,
    );
  }
  const [n, c, h, w] = x.shape;
  const ho = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (ho < 1 || wo < 1) {
    throw new RangeError(
      `Cannot max-pool as the output would be empty: current value is ${ho}x${wo} for an input of ${h}x${w}`,
    );
  }
  const params = (count: number) => [count, h, w, ho, wo, kh, kw, sh, sw, ph, pw];
  const y = Tensor.empty([n, c, ho, wo]); // (N, C, Ho, Wo)
  const arg = Tensor.empty([n, c, ho, wo], "int32"); // (N, C, Ho, Wo): h * W + w of the maximum
  launch(K.forward, [x.buffer, y.buffer, arg.buffer], params(y.size), y.size);
  const out = record(y, "max_pool2d", [x], [arg], (dy, [args]) => {
    const dx = Tensor.empty(x.shape); // (N, C, H, W)
    launch(K.backward, [args.buffer, dy.buffer, dx.buffer], params(dx.size), dx.size);
    return [dx];
  });
  arg.dispose();
  return out;
}
