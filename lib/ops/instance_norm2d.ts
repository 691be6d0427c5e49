/**
 * Instance normalization, PyTorch's `InstanceNorm2d(affine=False, track_running_stats=False)`,
 * pix2pixHD's default norm layer: each (n, c) plane is shifted to mean 0 and scaled to variance 1.
 *
 * @module
 */

import { runtime } from "../gpu/kernel.ts";
import { record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import shared from "../../shaders/gather_epilogue.wgsl" with { type: "text" };
import moments from "../../shaders/moments.wgsl" with { type: "text" };
import norm from "./instance_norm2d.wgsl" with { type: "text" };
import { activationParams, expect4d, expectFloat, f32bits, kernels } from "./util.ts";

const src = moments + shared + norm;

const K = kernels(
  "instance_norm2d",
  src,
  [
    "chunk_stats",
    "normalize",
    "normalize_plane",
    "grad_sums",
    "grad_apply",
    "grad_plane",
  ] as const,
);

/**
 * Splits each of `planes` planes of `size` elements into chunks of 256·per, one workgroup each,
 * returning [chunks, per]. One chunk a plane (one dispatch a pass) where the planes alone give
 * the adapter enough workgroups: 8 on CPU adapters (lavapipe), whose few cores each run a
 * workgroup at a time; 256 on GPUs, for planes of up to 16384 elements. Otherwise GPUs get up to 16 chunks of at least 16 elements a
 * thread, to fill their many cores; CPU adapters up to 4 chunks of at least 64, as each
 * workgroup's barriers cost them microseconds.
 */
function chunking(planes: number, size: number, cpu: boolean): [number, number] {
  const [maxChunks, minPer, enough] = cpu ? [4, 64, 8] : [16, 16, 256];
  // On GPUs a plane a workgroup only up to 64 elements a thread.
  if (planes >= enough && (cpu || size <= 256 * 64)) return [1, Math.ceil(size / 256)];
  const per = Math.max(minPer, Math.ceil(size / (256 * maxChunks)));
  return [Math.ceil(size / (256 * per)), per];
}

/** Options of {@linkcode instanceNorm2d}. */
export interface InstanceNorm2dOptions {
  /** Added to the variance before the square root (default 1e-5, as PyTorch). */
  eps?: number;
  /**
   * An activation applied to the result in the same passes (default none): `relu` gives
   * `relu(instanceNorm2d(x))`, a number s gives `leakyRelu(instanceNorm2d(x), s)`, with the same
   * values and gradients, in two fewer dispatches and passes over the data.
   */
  activation?: "relu" | number;
}

/**
 * Normalizes each plane of x (N, C, H, W) to (x - mean) / sqrt(var + eps), with the biased
 * variance, as PyTorch's `InstanceNorm2d` without affine parameters. The statistics are
 * computed stably (shifted sums per thread merged with Chan's formula), so a large common
 * offset costs no precision.
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
  const act = options.activation;
  if (act !== undefined && act !== "relu" && !(typeof act === "number" && Number.isFinite(act))) {
    throw new RangeError(
      `Cannot normalize with an activation as it must be 'relu' or a LeakyReLU's negative slope, a finite number: current value is ${act}`,
    );
  }
  const rt = runtime();
  const planes = n * c;
  const [chunks, per] = chunking(planes, h * w, rt.gpu.isFallback);
  const fused = act !== undefined;
  const params = [planes, h * w, chunks, per, f32bits(eps), ...activationParams(act ?? null)];
  const grid = rt.grid(planes * chunks);

  const part = Tensor.empty([planes, chunks, 2]);
  const stats = Tensor.empty([planes, 3]);
  const y = Tensor.empty(x.shape);
  const forward = [x.buffer, part.buffer, y.buffer, stats.buffer];
  if (chunks === 1) rt.dispatch(K.normalize_plane, forward, params, grid);
  else {
    rt.dispatch(K.chunk_stats, forward.slice(0, 2), params, grid);
    rt.dispatch(K.normalize, forward, params, grid);
  }
  part.dispose();

  // The backward needs y before the activation: fused, it recomputes it from x.
  const name = act === undefined
    ? "instance_norm2d"
    : act === "relu"
    ? "instance_norm2d_relu"
    : "instance_norm2d_leaky_relu";
  record(y, name, [x], [fused ? x : y, stats], (dy, [ys, st]) => {
    const gpart = Tensor.empty([planes, chunks, 2]);
    const dx = Tensor.empty(x.shape);
    const buffers = [ys.buffer, dy.buffer, gpart.buffer, st.buffer, dx.buffer];
    if (chunks === 1) rt.dispatch(K.grad_plane, buffers, params, grid);
    else {
      rt.dispatch(K.grad_sums, buffers.slice(0, 4), params, grid);
      rt.dispatch(K.grad_apply, buffers, params, grid);
    }
    gpart.dispose();
    return [dx];
  });
  stats.dispose();
  return y;
}
