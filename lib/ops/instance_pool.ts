/**
 * Instance-wise average pooling, the last step of pix2pixHD's feature encoder: each instance's
 * pixels get the instance's mean feature, per batch element and channel.
 *
 * @module
 */

import { runtime } from "../gpu/kernel.ts";
import { record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import src from "./instance_pool.wgsl" with { type: "text" };
import { expect4d, expectFloat, kernels, launch } from "./util.ts";

const K = kernels("instance_pool", src, ["segment_means", "scatter"] as const);

/**
 * The sorted unique values of an instance map, as pix2pixHD's `np.unique(inst)`.
 *
 * @example
 * ```ts
 * import { uniqueIds } from "./instance_pool.ts";
 * uniqueIds(new Int32Array([26001, 7, 7, 26000])); // Int32Array [7, 26000, 26001]
 * ```
 */
export function uniqueIds(instances: ArrayLike<number>): Int32Array {
  return Int32Array.from(new Set(Array.from(instances))).sort();
}

function pool(x: Tensor, inst: Tensor, ids: Tensor): Tensor {
  const [n, c, h, w] = x.shape;
  const params = [n, c, h * w, ids.size];
  const means = Tensor.empty([n, ids.size, c]);
  const y = Tensor.empty(x.shape);
  runtime().dispatch(
    K.segment_means,
    [x.buffer, inst.buffer, ids.buffer, means.buffer],
    params,
    [ids.size, n],
  );
  launch(K.scatter, [x.buffer, inst.buffer, ids.buffer, means.buffer, y.buffer], params, y.size);
  means.dispose();
  return y;
}

/**
 * Replaces every pixel of x (N, C, H, W) by the mean of x over the pixels with the same id in
 * `instances` (int32, (N, 1, H, W)), per batch element and channel. `ids` lists the ids to pool
 * (all of them: {@linkcode uniqueIds} of the map); pixels of other ids pass through unchanged.
 */
export function instanceAvgPool(x: Tensor, instances: Tensor, ids: ArrayLike<number>): Tensor {
  expectFloat("instanceAvgPool", x), expect4d("the features", x);
  const [n, , h, w] = x.shape;
  instances.expectShape("the instance map", [n, 1, h, w]);
  if (instances.dtype !== "int32") {
    throw new TypeError(
      `Cannot use the instance map as it must be int32: current dtype is ${instances.dtype}`,
    );
  }
  const sorted = Int32Array.from(ids);
  for (let i = 1; i < sorted.length; i++) {
    if (!(sorted[i - 1] < sorted[i])) {
      throw new RangeError(
        `Cannot pool over ids as they must be sorted and unique: current value is ${
          sorted[i - 1]
        } before ${sorted[i]}`,
      );
    }
  }
  const limit = runtime().gpu.limits.maxComputeWorkgroupsPerDimension;
  if (sorted.length > limit) {
    throw new RangeError(`Cannot pool over ${sorted.length} ids: at most ${limit} are supported`);
  }
  if (sorted.length === 0) throw new RangeError("Cannot pool over an empty list of ids");
  const idt = Tensor.from(sorted, [sorted.length]);
  const y = pool(x, instances, idt);
  record(y, "instance_avg_pool", [x], [instances, idt], (dy, [inst, idSaved]) => [
    pool(dy, inst, idSaved),
  ]);
  idt.dispose();
  return y;
}
