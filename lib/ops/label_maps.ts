/**
 * Label and instance maps as network inputs: an int32 map checked on upload, its one-hot
 * encoding and pix2pixHD's instance boundary map. Neither op has a gradient.
 *
 * @module
 */

import { Tensor } from "../tensor/tensor.ts";
import src from "./label_maps.wgsl" with { type: "text" };
import { kernels, launch } from "./util.ts";

const K = kernels("label_maps", src, ["one_hot", "boundary"] as const);

/**
 * Uploads an integer map of shape (N, 1, H, W) as an int32 tensor. With `numClasses`, every
 * value must lie in 0..numClasses-1; the first one outside is named in the error.
 *
 * @example
 * ```ts ignore
 * const labels = labelMap(new Uint8Array([0, 7, 7, 26]), [1, 1, 2, 2], 35);
 * ```
 */
export function labelMap(
  data: ArrayLike<number>,
  shape: readonly number[],
  numClasses?: number,
): Tensor {
  if (shape.length !== 4 || shape[1] !== 1) {
    throw new TypeError(
      `Cannot make a label map as its shape must be [N, 1, H, W]: current value is [${shape}]`,
    );
  }
  const ids = Int32Array.from(data);
  if (numClasses !== undefined) {
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i];
      if (v < 0 || v >= numClasses) {
        const [, , h, w] = shape;
        const n = Math.floor(i / (h * w));
        const y = Math.floor(i / w) % h;
        throw new RangeError(
          `Cannot use label ${v} at (n ${n}, y ${y}, x ${i % w}) as labels must lie in 0..${
            numClasses - 1
          }`,
        );
      }
    }
  }
  return Tensor.from(ids, shape);
}

function expectMap(what: string, t: Tensor): void {
  if (t.dtype !== "int32" || t.shape.length !== 4 || t.shape[1] !== 1) {
    throw new TypeError(
      `Cannot use ${what} as it must be an int32 map [N, 1, H, W]: current value is ${t.dtype} [${t.shape}]`,
    );
  }
}

/** One-hot encoding of an int32 label map (N, 1, H, W) into (N, numClasses, H, W) floats. */
export function oneHot(labels: Tensor, numClasses: number): Tensor {
  expectMap("the label map", labels);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(
      `Cannot one-hot encode into ${numClasses} classes: it must be a positive integer`,
    );
  }
  const [n, , h, w] = labels.shape;
  const y = Tensor.empty([n, numClasses, h, w]);
  launch(K.one_hot, [labels.buffer, y.buffer], [y.size, numClasses, h, w], y.size);
  return y;
}

/**
 * pix2pixHD's boundary map of an int32 instance map (N, 1, H, W): 1 where a 4-neighbour has
 * another id, else 0.
 */
export function boundaryMap(instances: Tensor): Tensor {
  expectMap("the instance map", instances);
  const [n, , h, w] = instances.shape;
  const y = Tensor.empty([n, 1, h, w]);
  launch(K.boundary, [instances.buffer, y.buffer], [y.size, 1, h, w], y.size);
  return y;
}
