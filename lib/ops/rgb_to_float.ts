/**
 * Photos as network inputs: interleaved RGB bytes uploaded as they are (a quarter of the float
 * bytes) and turned into float planes in [-1, 1] on the GPU, exactly as torchvision's
 * `Normalize(0.5, 0.5)(ToTensor()(image))`. No gradient.
 *
 * @module
 */

import { runtime } from "../gpu/kernel.ts";
import { Tensor } from "../tensor/tensor.ts";
import src from "./rgb_to_float.wgsl" with { type: "text" };
import { kernels, launch } from "./util.ts";

const K = kernels("rgb_to_float", src, ["forward"] as const);

/** (b / 255 - 0.5) / 0.5 for every byte b, each step rounded to float32 as PyTorch does. */
export function normalizedBytes(): Float32Array {
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = Math.fround(Math.fround(b / 255) - 0.5) / 0.5;
  return table;
}

const tables = new WeakMap<object, Tensor>();

function table(): Tensor {
  const rt = runtime();
  let t = tables.get(rt);
  if (!t || t.disposed) {
    t = Tensor.from(normalizedBytes(), [256]).keep();
    tables.set(rt, t);
  }
  return t;
}

/**
 * RGB bytes (N, H, W, 3), row-major and interleaved as decoded images are, to a float tensor
 * (N, 3, H, W) in [-1, 1].
 *
 * @example A 1×2 image
 * ```ts ignore
 * const x = rgbToFloat(new Uint8Array([255, 0, 0, 0, 0, 255]), [1, 1, 2]); // (1, 3, 1, 2)
 * ```
 */
export function rgbToFloat(
  bytes: Uint8Array,
  shape: readonly [n: number, h: number, w: number],
): Tensor {
  const [n, h, w] = shape;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) {
      throw new RangeError(
        `Cannot convert RGB bytes as every dimension must be a positive integer: current shape is [${shape}]`,
      );
    }
  }
  if (bytes.length !== n * h * w * 3) {
    throw new RangeError(
      `Cannot convert RGB bytes of shape [${shape.join(", ")}, 3] as they must be ${
        n * h * w * 3
      } bytes: current value is ${bytes.length}`,
    );
  }
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  const words = Tensor.from(new Int32Array(padded.buffer), [padded.length / 4]);
  const y = Tensor.empty([n, 3, h, w]); // (N, 3, H, W)
  launch(K.forward, [words.buffer, table().buffer, y.buffer], [y.size, h, w], y.size);
  words.dispose();
  return y;
}
