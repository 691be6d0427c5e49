/**
 * Batch normalization, PyTorch's `BatchNorm2d(affine=True)` as a function: pix2pixHD's norm
 * layer with `--norm batch`. The module that owns the parameters also counts
 * `num_batches_tracked`; this op only reads and updates the running statistics.
 *
 * @module
 */

import { runtime } from "../gpu/kernel.ts";
import { record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import moments from "../../shaders/moments.wgsl" with { type: "text" };
import norm from "./batch_norm2d.wgsl" with { type: "text" };
import { expect4d, expectFloat, f32bits, kernels } from "./util.ts";

const src = moments + norm;

const K = kernels(
  "batch_norm2d",
  src,
  [
    "chunk_stats",
    "combine",
    "normalize",
    "grad_sums",
    "grad_combine",
    "grad_apply",
  ] as const,
);

/** Options of {@linkcode batchNorm2d}. */
export interface BatchNorm2dOptions {
  /** The per-channel scale γ, (C). */
  weight: Tensor;
  /** The per-channel shift β, (C). */
  bias: Tensor;
  /**
   * Training mode normalizes with the batch's statistics (and updates the running ones, when
   * given); eval mode with the running statistics.
   */
  training: boolean;
  /** The running mean, (C): required in eval mode, updated in place in training mode. */
  runningMean?: Tensor;
  /** The running variance (unbiased), (C), like the running mean. */
  runningVar?: Tensor;
  /** Weight of the batch's statistics in the running ones (default 0.1, as PyTorch). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/**
 * Splits a plane of `size` elements into chunks of 256·per, one workgroup each, returning
 * [chunks, per]: more and smaller chunks on GPUs, fewer on CPU adapters, where workgroup
 * barriers are costly (as in instance_norm2d.ts).
 */
function chunking(size: number, cpu: boolean): [number, number] {
  const [maxChunks, minPer] = cpu ? [4, 64] : [16, 16];
  const per = Math.max(minPer, Math.ceil(size / (256 * maxChunks)));
  return [Math.ceil(size / (256 * per)), per];
}

function expectChannels(what: string, t: Tensor | undefined, c: number): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`Cannot normalize without ${what}`);
  expectFloat(what, t);
  t.expectShape(what, [c]);
  return t;
}

/**
 * Normalizes x (N, C, H, W) per channel over the batch and the image,
 * y = (x - mean) / sqrt(var + eps) · weight + bias, with PyTorch's semantics: in training mode
 * mean and (biased) variance come from the batch and `runningMean`, `runningVar` (when given)
 * move towards them by `momentum`, with the unbiased variance; in eval mode the running
 * statistics are used and left alone.
 *
 * @example
 * ```ts ignore
 * const y = batchNorm2d(x, { weight, bias, runningMean, runningVar, training: true });
 * ```
 */
export function batchNorm2d(x: Tensor, options: BatchNorm2dOptions): Tensor {
  expectFloat("batchNorm2d", x), expect4d("batchNorm2d's input", x);
  const [n, c, h, w] = x.shape;
  const { training, momentum = 0.1, eps = 1e-5 } = options;
  const weight = expectChannels("the weight", options.weight, c);
  const bias = expectChannels("the bias", options.bias, c);
  if (!(eps > 0) || !Number.isFinite(eps)) {
    throw new RangeError(
      `Cannot normalize as eps must be a positive finite number: current value is ${eps}`,
    );
  }
  if (!Number.isFinite(momentum)) {
    throw new RangeError(
      `Cannot normalize as momentum must be a finite number: current value is ${momentum}`,
    );
  }
  if (training && n * h * w < 2) {
    throw new TypeError(
      `Cannot normalize in training mode as each channel must have more than 1 value: current shape is [${x.shape}]`,
    );
  }
  if (typeof training !== "boolean") {
    throw new TypeError(
      `Cannot normalize as training must be true or false: current value is ${training}`,
    );
  }
  const tracked = options.runningMean !== undefined || options.runningVar !== undefined;
  if ((tracked || !training) && (!options.runningMean || !options.runningVar)) {
    throw new TypeError(
      training
        ? "Cannot normalize with only one running statistic: pass both runningMean and runningVar, or neither"
        : "Cannot normalize in eval mode without the running statistics runningMean and runningVar",
    );
  }
  if (tracked) {
    expectChannels("the running mean", options.runningMean, c);
    expectChannels("the running variance", options.runningVar, c);
  }
  const rt = runtime();
  const [chunks, per] = chunking(h * w, rt.gpu.isFallback);
  const params = [
    n * c,
    c,
    h * w,
    chunks,
    per,
    f32bits(eps),
    f32bits(momentum),
    +training,
    +(training && tracked),
  ];
  const grid = rt.grid(n * c * chunks);
  const perChannel = rt.grid(Math.ceil(c / 64));

  const stats = Tensor.empty([c, 3]);
  const scratch = tracked ? [] : [Tensor.empty([c]), Tensor.empty([c])];
  const [runningMean, runningVar] = tracked ? [options.runningMean!, options.runningVar!] : scratch;
  const part = training ? Tensor.empty([n, c, chunks, 2]) : null;
  if (part) rt.dispatch(K.chunk_stats, [x.buffer, part.buffer], params, grid);
  rt.dispatch(
    K.combine,
    [x.buffer, (part ?? x).buffer, runningMean.buffer, runningVar.buffer, stats.buffer],
    params,
    perChannel,
  );
  part?.dispose();
  for (const t of scratch) t.dispose();
  const y = Tensor.empty(x.shape);
  rt.dispatch(
    K.normalize,
    [x.buffer, stats.buffer, weight.buffer, bias.buffer, y.buffer],
    params,
    grid,
  );

  record(y, "batch_norm2d", [x, weight, bias], [x, stats, weight], (dy, [xs, st, ws]) => {
    const gpart = Tensor.empty([n, c, chunks, 2]);
    const dweight = Tensor.empty([c]);
    const dbias = Tensor.empty([c]);
    rt.dispatch(K.grad_sums, [xs.buffer, st.buffer, dy.buffer, gpart.buffer], params, grid);
    rt.dispatch(K.grad_combine, [gpart.buffer, dweight.buffer, dbias.buffer], params, perChannel);
    gpart.dispose();
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = Tensor.empty(x.shape);
      const buffers = [xs, st, dy, ws, dweight, dbias, dx].map((t) => t.buffer);
      rt.dispatch(K.grad_apply, buffers, params, grid);
    }
    return [dx, dweight, dbias];
  });
  stats.dispose();
  return y;
}
