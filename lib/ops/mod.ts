/**
 * The ops: each runs its forward on the GPU and records its backward on the tape when a
 * gradient is wanted. Grouped as `ops` in the package, so that `ops.add` and `ops.sum` say what
 * they are.
 *
 * @example A loss and its gradient
 * ```ts ignore
 * import { initGpu, ops, Tensor } from "@pix2pixhd/pix2pixhd";
 * await initGpu();
 * const w = Tensor.from([0.5, -0.5], [2]);
 * w.requiresGrad = true;
 * const loss = ops.mseLoss(ops.tanh(w), 0.25);
 * loss.backward();
 * ```
 *
 * @module
 */
export { add, leakyRelu, mul, relu, scale, sigmoid, sub, tanh } from "./elementwise.ts";
export { bceLoss, l1Loss, type LossTerm, mean, mseLoss, sum, weightedLossSum } from "./reduce.ts";
export { conv2d, type Conv2dOptions } from "./conv2d.ts";
export { convTranspose2d, type ConvTranspose2dOptions } from "./conv_transpose2d.ts";
export { type Padding2d, reflectionPad2d } from "./reflection_pad2d.ts";
export { instanceNorm2d, type InstanceNorm2dOptions } from "./instance_norm2d.ts";
export { batchNorm2d, type BatchNorm2dOptions } from "./batch_norm2d.ts";
export { avgPool2d, type AvgPool2dOptions, type Size2d } from "./avg_pool2d.ts";
export { maxPool2d, type MaxPool2dOptions } from "./max_pool2d.ts";
export { concat, slice } from "./concat.ts";
export { boundaryMap, labelMap, oneHot } from "./label_maps.ts";
export { normalizedBytes, rgbToFloat } from "./rgb_to_float.ts";
export { instanceAvgPool, uniqueIds } from "./instance_pool.ts";
