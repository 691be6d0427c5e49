/**
 * pix2pixhd: NVIDIA's pix2pixHD (high-resolution image synthesis with conditional GANs) in
 * TypeScript, running on WebGPU with hand-written WGSL for every forward pass, backward pass
 * and optimizer step.
 *
 * @example Train a tiny layer
 * ```ts ignore
 * import { Adam, initGpu, mseLoss, tanh, Tensor } from "@pix2pixhd/pix2pixhd";
 * await initGpu();
 * const w = Tensor.from([0.5, -0.5], [2]);
 * w.requiresGrad = true;
 * const opt = new Adam([w], { lr: 0.01 });
 * const loss = mseLoss(tanh(w), 0.25);
 * loss.backward();
 * opt.step();
 * ```
 *
 * @module
 */

export { getGpu, type Gpu } from "./lib/gpu/device.ts";
export {
  f32bits,
  GpuKernelError,
  initGpu,
  type Kernel,
  Runtime,
  runtime,
} from "./lib/gpu/kernel.ts";
export { BufferPool, type PoolStats, sizeClass } from "./lib/gpu/pool.ts";
export {
  type DType,
  type Node,
  Storage,
  Tensor,
  type TensorContainer,
  tidy,
} from "./lib/tensor/tensor.ts";
export {
  backward,
  clearTape,
  full,
  isGradEnabled,
  noGrad,
  record,
  tapeLength,
} from "./lib/tensor/autograd.ts";
export * from "./lib/ops/elementwise.ts";
export { conv2d, type Conv2dOptions } from "./lib/ops/conv2d.ts";
export { convTranspose2d, type ConvTranspose2dOptions } from "./lib/ops/conv_transpose2d.ts";
export * from "./lib/ops/reflection_pad2d.ts";
export * from "./lib/ops/instance_norm2d.ts";
export * from "./lib/ops/batch_norm2d.ts";
export * from "./lib/ops/avg_pool2d.ts";
export * from "./lib/ops/max_pool2d.ts";
export * from "./lib/ops/concat.ts";
export * from "./lib/ops/reduce.ts";
export * from "./lib/ops/label_maps.ts";
export * from "./lib/ops/rgb_to_float.ts";
export * from "./lib/ops/instance_pool.ts";
export { Adam, type AdamOptions } from "./lib/optim/adam.ts";
export * from "./lib/io/mod.ts";
export * from "./lib/data/mod.ts";
export * from "./lib/nn/mod.ts";
export * from "./lib/pix2pixhd/mod.ts";
export * from "./lib/pix2pixhd/training.ts";
export * from "./lib/app/mod.ts";
export * from "./lib/features/clusters.ts";
export { parseClusterNpy } from "./lib/features/npy_clusters.ts";
export * from "./lib/edit/scene.ts";
export * from "./lib/edit/render.ts";
export * from "./lib/edit/session.ts";
export * from "./lib/edit/server.ts";
