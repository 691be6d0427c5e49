/**
 * Reflection padding of the last two dimensions, PyTorch's `ReflectionPad2d`, which pix2pixHD's
 * generators and encoder put before every 7×7 and residual 3×3 convolution.
 *
 * @module
 */

import { record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import src from "./reflection_pad2d.wgsl" with { type: "text" };
import { expect4d, expectFloat, kernels, launch } from "./util.ts";

const K = kernels("reflection_pad2d", src, ["forward", "backward"] as const);

/** Padding of each side, in PyTorch's order: (left, right, top, bottom). */
export type Padding2d = readonly [left: number, right: number, top: number, bottom: number];

/**
 * Pads x (N, C, H, W) by mirroring it at its edges (without repeating the edge), giving
 * (N, C, H + top + bottom, W + left + right). `padding` is one size for all four sides or
 * (left, right, top, bottom); as in PyTorch each must be smaller than the side it pads.
 *
 * @example
 * ```ts ignore
 * const y = reflectionPad2d(x, 3); // (1, 3, 256, 512) -> (1, 3, 262, 518)
 * ```
 */
export function reflectionPad2d(x: Tensor, padding: number | Padding2d): Tensor {
  expectFloat("reflectionPad2d", x), expect4d("reflectionPad2d's input", x);
  const pad = typeof padding === "number" ? [padding, padding, padding, padding] : [...padding];
  if (pad.length !== 4) {
    throw new TypeError(
      `Cannot pad as padding must be a number or (left, right, top, bottom): current value is [${pad}]`,
    );
  }
  for (const v of pad) {
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(
        `Cannot pad as padding must be a non-negative integer: current value is ${v}`,
      );
    }
  }
  const [n, c, h, w] = x.shape;
  const [left, right, top, bottom] = pad;
  for (const [v, size] of [[left, w], [right, w], [top, h], [bottom, h]]) {
    if (v >= size) {
      throw new RangeError(
        `Cannot pad as padding must be smaller than the input: current value is ${v} for an input of ${size}`,
      );
    }
  }
  const y = Tensor.empty([n, c, h + top + bottom, w + left + right]);
  launch(K.forward, [x.buffer, y.buffer], padParams(y.size, x.shape, pad), y.size);
  return record(
    y,
    "reflection_pad2d",
    [x],
    [],
    (dy) => [reflectionPad2dBackward(dy, x.shape, pad)],
  );
}

/** The kernels' parameters: `count` threads, input and output sizes, the four paddings. */
function padParams(
  count: number,
  shape: readonly number[],
  pad: readonly number[],
  accum = false,
): number[] {
  const [, , h, w] = shape;
  const [left, right, top, bottom] = pad;
  // deno-fmt-ignore
  return [
    count, h, w, h + top + bottom, w + left + right, left, right, top, bottom, accum ? 1 : 0,
  ];
}

/**
 * The backward pass of {@linkcode reflectionPad2d}: the gradient of the padded (N, C, H + top +
 * bottom, W + left + right) tensor folded back onto `shape` (N, C, H, W), every mirrored pixel's
 * gradient added to the pixel it copies; added into `into` in place if given. `pad` is (left,
 * right, top, bottom), not checked.
 */
export function reflectionPad2dBackward(
  dy: Tensor,
  shape: readonly number[],
  pad: readonly number[],
  into?: Tensor,
): Tensor {
  const dx = into ?? Tensor.empty(shape);
  launch(K.backward, [dy.buffer, dx.buffer], padParams(dx.size, shape, pad, !!into), dx.size);
  return dx;
}
