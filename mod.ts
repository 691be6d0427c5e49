/**
 * pix2pixhd: NVIDIA's pix2pixHD (high-resolution image synthesis with conditional GANs) in
 * TypeScript, running on WebGPU with hand-written WGSL for every forward pass, backward pass
 * and optimizer step.
 *
 * This entry point runs wherever WebGPU does, a web page included: the engine, the ops (as
 * `ops`), the networks and their training step, checkpoints read from and written to bytes,
 * image codecs, instance features and the scene editor's library. Files and folders are in
 * `@pix2pixhd/pix2pixhd/fs`, the editor's local server in `@pix2pixhd/pix2pixhd/server`, and
 * each command line in its own entry (`@pix2pixhd/pix2pixhd/train`, `/test`, `/encode`, `/edit`,
 * `/convert`, ...).
 *
 * @example Train a tiny layer
 * ```ts ignore
 * import { Adam, initGpu, ops, Tensor } from "@pix2pixhd/pix2pixhd";
 * await initGpu();
 * const w = Tensor.from([0.5, -0.5], [2]);
 * w.requiresGrad = true;
 * const opt = new Adam([w], { lr: 0.01 });
 * const loss = ops.mseLoss(ops.tanh(w), 0.25);
 * loss.backward();
 * opt.step();
 * ```
 *
 * @example Synthesize a photo from a checkpoint's bytes
 * ```ts ignore
 * import {
 *   architectureOf, BytesSource, buildGenerator, generatePhoto, initGpu, openCheckpointSource,
 * } from "@pix2pixhd/pix2pixhd";
 * await initGpu();
 * const arch = architectureOf(optJson, "opt.json");
 * const netG = buildGenerator(arch, 0);
 * using checkpoint = await openCheckpointSource(new BytesSource(bytes, "latest_net_G.pth"));
 * await netG.loadStateDict(checkpoint, { strict: true });
 * const photo = await generatePhoto(netG, { width, height, label, inst }, { labelNc: 35 });
 * ```
 *
 * @module
 */

// The engine.
export { getGpu, type Gpu } from "./lib/gpu/device.ts";
export { GpuKernelError, initGpu, type Kernel, Runtime, runtime } from "./lib/gpu/kernel.ts";
export { BufferPool, type PoolStats } from "./lib/gpu/pool.ts";
export {
  type DType,
  type Node,
  Storage,
  Tensor,
  type TensorContainer,
  tidy,
} from "./lib/tensor/tensor.ts";
export { backward, isGradEnabled, noGrad } from "./lib/tensor/autograd.ts";
export * as ops from "./lib/ops/mod.ts";
// The layers' option types, also at the top level where the layers are.
export type { AvgPool2dOptions, Size2d } from "./lib/ops/avg_pool2d.ts";
export type { Padding2d } from "./lib/ops/reflection_pad2d.ts";
export { Adam, type AdamOptions } from "./lib/optim/adam.ts";
export * from "./lib/nn/mod.ts";

// Checkpoints, from and to bytes.
export { type ByteSource, BytesSource } from "./lib/io/byte_source.ts";
export { Checkpoint, type CheckpointFormat, type CheckpointParts } from "./lib/io/checkpoint.ts";
export {
  dtypeSize,
  HOST_DTYPES,
  type HostDType,
  isHostDType,
  type TypedArrayOf,
} from "./lib/io/dtype.ts";
export { openCheckpointSource } from "./lib/io/open_checkpoint.ts";
export { MAX_PICKLE_BYTES, MAX_PICKLE_DEPTH, MAX_PICKLE_OBJECTS } from "./lib/io/pickle.ts";
export { MAX_KEY_CHARACTERS } from "./lib/io/torch_pickle.ts";
export {
  encodeCheckpoint,
  type SaveCheckpointOptions,
  type SaveFormat,
} from "./lib/io/save_checkpoint.ts";
export { encodeSafetensors, type SaveSafetensorsOptions } from "./lib/io/safetensors_writer.ts";
export { encodeTorch, type SaveTorchOptions } from "./lib/io/torch_writer.ts";
export type { LazyTensor, StateDict, TensorData, TensorSource } from "./lib/io/tensor_data.ts";
export { bfloat16ToFloat32, float16ToFloat32, toFloat32 } from "./lib/io/to_float32.ts";

// Images and label maps.
export { checkRaster, type Raster } from "./lib/data/raster.ts";
export { decodeImage, isJpeg, isPng } from "./lib/data/decode.ts";
export {
  decodePng,
  encodePng,
  type PngDecodeOptions,
  type PngHeader,
  readPngHeader,
} from "./lib/data/png.ts";
export { decodeJpeg } from "./lib/data/jpeg.ts";
export { instanceLabel, toInstanceIds, toLabelIds, toRgb } from "./lib/data/convert.ts";
export { CITYSCAPES_LABELS, cityscapesId, type CityscapesLabel } from "./lib/data/cityscapes.ts";
export {
  applyPlan,
  drawParams,
  type MultipleOptions,
  planTransform,
  RESIZE_OR_CROP,
  type ResizeOrCrop,
  sizeMultiple,
  type TransformOptions,
  type TransformParams,
  type TransformPlan,
} from "./lib/data/transform.ts";
export {
  type Box,
  type Plane,
  resizeBicubic,
  resizeNearest,
  type ResizeOptions,
} from "./lib/data/resize.ts";
export { mixSeed, Rng } from "./lib/data/rng.ts";
export { type Batch, collate } from "./lib/data/batch.ts";
export type { Sample } from "./lib/data/sample.ts";
export type { DatasetEntry } from "./lib/data/layout.ts";
export { epochOrder, type OrderOptions } from "./lib/data/order.ts";
export {
  colorizeLabels,
  encodeImage,
  imageBytes,
  type ImageFormat,
  labelColormap,
  labelImage,
} from "./lib/data/visuals.ts";

// pix2pixHD.
export * from "./lib/pix2pixhd/mod.ts";
export {
  architectureOf,
  buildGenerator,
  type GeneratorArchitecture,
  generatorInputNc,
  usesFeatures,
} from "./lib/pix2pixhd/architecture.ts";
export { generatePhoto, type PhotoInputs } from "./lib/pix2pixhd/photo.ts";
export * from "./lib/features/clusters.ts";
export { parseClusterNpy } from "./lib/io/npy.ts";

// The scene editor, without a server.
export * from "./lib/edit/scene.ts";
export { type CropBox, type Generator, renderScene, styleVariants } from "./lib/edit/render.ts";
export * from "./lib/edit/session.ts";
export { classNames, handleApi, pageFetch, type Route, ROUTES } from "./lib/edit/api.ts";
