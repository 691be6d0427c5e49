/**
 * Instance normalization, PyTorch's `InstanceNorm2d(affine=False, track_running_stats=False)`,
 * pix2pixHD's default norm layer: each (n, c) plane is shifted to mean 0 and scaled to variance 1.
 *
 * @module
 */

import { runtime } from "../gpu/kernel.ts";
import { record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import src from "./instance_norm2d.wgsl" with { type: "text" };
import { expect4d, expectFloat, f32bits, kernels, launch } from "./util.ts";

const K = kernels(
  "instance_norm2d",
  src,
  [
    "stats_partial",
    "stats_combine",
    "normalize",
    "grad_partial",
    "grad_combine",
    "grad_apply",
  ] as const,
);

/** Elements of a plane one workgroup reduces (CHUNK in the WGSL). */
const CHUNK = 4096;

/** Options of {@linkcode instanceNorm2d}. */
export interface InstanceNorm2dOptions {
  /** Added to the variance before the square root (default 1e-5, as PyTorch). */
  eps?: number;
}

/**
 * Normalizes each plane of x (N, C, H, W) to (x - mean) / sqrt(var + eps), with the biased
 * variance, as PyTorch's `InstanceNorm2d` without affine parameters. The statistics are
 * computed stably (shifted Welford sums merged pairwise), so a large common offset costs no
 * precision.
 *
 * @example
 * ```ts ignore
 * const y = relu(instanceNorm2d(conv2d(x, w, b)));
 * ```
 */
export function instanceNorm2d(x: Tensor, options: InstanceNorm2dOptions = {}): Tensor {
  expectFloat("instanceNorm2d", x), expect4d("instanceNorm2d's input", x);
  const eps = options.eps ?? 1e-5;
  if (!(eps > 0) || !Number.isFinite(eps)) {
    throw new RangeError(
      `Cannot normalize as eps must be a positive finite number: current value is ${eps}`,
    );
  }
  const [n, c, h, w] = x.shape;
  if (h * w < 2) {
    throw new TypeError(
      `Cannot normalize as each plane must have more than 1 element: current shape is [${x.shape}]`,
    );
  }
  const rt = runtime();
  const planes = n * c;
  const chunks = Math.ceil((h * w) / CHUNK);
  const params = [planes, h * w, chunks, f32bits(eps), x.size];
  const perPlane = rt.grid(Math.ceil(planes / 64));
  const perChunk = rt.grid(planes * chunks);

  const part = Tensor.empty([planes, chunks, 2]);
  const stats = Tensor.empty([planes, 3]);
  const y = Tensor.empty(x.shape);
  rt.dispatch(K.stats_partial, [x.buffer, part.buffer], params, perChunk);
  rt.dispatch(K.stats_combine, [x.buffer, part.buffer, stats.buffer], params, perPlane);
  launch(K.normalize, [x.buffer, stats.buffer, y.buffer], params, x.size);
  part.dispose();

  record(y, "instance_norm2d", [x], [y, stats], (dy, [ys, st]) => {
    const gpart = Tensor.empty([planes, chunks, 2]);
    const means = Tensor.empty([planes, 2]);
    const dx = Tensor.empty(x.shape);
    rt.dispatch(K.grad_partial, [ys.buffer, dy.buffer, gpart.buffer], params, perChunk);
    rt.dispatch(K.grad_combine, [gpart.buffer, means.buffer], params, perPlane);
    launch(
      K.grad_apply,
      [ys.buffer, dy.buffer, st.buffer, means.buffer, dx.buffer],
      params,
      x.size,
    );
    gpart.dispose(), means.dispose();
    return [dx];
  });
  stats.dispose();
  return y;
}
