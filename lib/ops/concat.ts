/**
 * Channel concat and channel slice (dimension 1), each the other's backward pass. pix2pixHD
 * concatenates the one-hot label map, the instance edge map and the image or features into the
 * inputs of its generator and discriminators.
 *
 * @module
 */

import { record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import src from "./concat.wgsl" with { type: "text" };
import { expectFloat, kernels, launch } from "./util.ts";

const K = kernels("concat", src, ["copy_channels", "slice_backward"] as const);

function expectChannels(what: string, x: Tensor): void {
  if (x.shape.length < 2) {
    throw new TypeError(
      `Cannot use ${what} as it must have a channel dimension (N, C, ...): current shape is [${x.shape}]`,
    );
  }
}

/** Product of the dimensions after the channel one. */
function rest(shape: readonly number[]): number {
  return shape.slice(2).reduce((a, b) => a * b, 1);
}

/** Copies `count` channels of src (N, Cs, ...) from `srcAt` into dst (N, Cd, ...) at `dstAt`. */
function copyChannels(src: Tensor, srcAt: number, dst: Tensor, dstAt: number, count: number): void {
  const [n, srcC] = src.shape;
  const r = rest(src.shape);
  const total = n * count * r;
  const params = [total, r, count, srcC, srcAt, dst.shape[1], dstAt];
  launch(K.copy_channels, [src.buffer, dst.buffer], params, total);
}

/**
 * Joins tensors along the channel dimension, as `torch.cat(xs, 1)`. Every tensor has the same
 * shape except for dimension 1.
 *
 * @example
 * ```ts ignore
 * const input = concat([label, edges, image]); // (1, 35, H, W), (1, 1, H, W), (1, 3, H, W)
 * ```
 */
export function concat(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) {
    throw new RangeError(
      "Cannot concatenate as there must be at least one tensor: current value is 0",
    );
  }
  const first = xs[0];
  xs.forEach((
    x,
    i,
  ) => (expectFloat(`concat's input ${i}`, x), expectChannels(`concat's input ${i}`, x)));
  for (const x of xs) {
    const same = x.shape.length === first.shape.length &&
      x.shape.every((d, k) => k === 1 || d === first.shape[k]);
    if (!same) {
      throw new TypeError(
        `Cannot concatenate tensors whose shapes differ outside dimension 1: current shapes are [${first.shape}] and [${x.shape}]`,
      );
    }
  }
  const offsets: number[] = [];
  let channels = 0;
  for (const x of xs) offsets.push(channels), channels += x.shape[1];
  const shape = [...first.shape];
  shape[1] = channels;
  const y = Tensor.empty(shape);
  xs.forEach((x, i) => copyChannels(x, 0, y, offsets[i], x.shape[1]));
  return record(y, "concat", xs, [], (dy) =>
    xs.map((x, i) => {
      if (!x.requiresGrad) return null;
      const dx = Tensor.empty(x.shape);
      copyChannels(dy, offsets[i], dx, 0, x.shape[1]);
      return dx;
    }));
}

/**
 * Channels `start` (included) to `end` (excluded) of x (N, C, ...), as `x[:, start:end]`.
 *
 * @example
 * ```ts ignore
 * const image = slice(input, 36, 39);
 * ```
 */
export function slice(x: Tensor, start: number, end: number): Tensor {
  expectFloat("slice", x), expectChannels("slice's input", x);
  const c = x.shape[1];
  if (!Number.isInteger(start) || start < 0 || start > c) {
    throw new RangeError(
      `Cannot slice as start must be an integer in 0..${c}: current value is ${start}`,
    );
  }
  if (!Number.isInteger(end) || end < start || end > c) {
    throw new RangeError(
      `Cannot slice as end must be an integer in ${start}..${c}: current value is ${end}`,
    );
  }
  const shape = [...x.shape];
  shape[1] = end - start;
  const y = Tensor.empty(shape);
  copyChannels(x, start, y, 0, end - start);
  return record(y, "slice", [x], [], (dy) => {
    const dx = Tensor.empty(x.shape);
    const r = rest(x.shape);
    const params = [dx.size, r, end - start, end - start, start, c, 0];
    launch(K.slice_backward, [dy.buffer, dx.buffer], params, dx.size);
    return [dx];
  });
}
