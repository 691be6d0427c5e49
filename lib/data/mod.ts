/**
 * Data: pix2pixHD's dataset layouts, PNG/JPEG decoding, Pillow-exact transforms, the streaming
 * loader with worker threads, the dataset check and the synthetic street-scene generator.
 *
 * The loader hands compact arrays per batch: label ids (bytes), instance ids (int32) and photos
 * (RGB bytes); one-hot encoding, the boundary map and normalisation run on the GPU.
 *
 * @example
 * ```ts
 * import { DataLoader, listDataset, sizeMultiple } from "./mod.ts";
 *
 * const root = new URL("../../fixtures/data/city", import.meta.url).pathname;
 * const loader = new DataLoader(await listDataset(root, { phase: "train", labelNc: 35 }), {
 *   labelNc: 35,
 *   transform: { resizeOrCrop: "none", multiple: sizeMultiple({ netG: "global" }), flip: true },
 *   batchSize: 2,
 *   nThreads: 1,
 * });
 * try {
 *   for await (const batch of loader.epoch(0)) {
 *     batch.label; // (2, 128, 256) label ids
 *     batch.inst; // (2, 128, 256) instance ids
 *     batch.image; // (2, 128, 256, 3) RGB bytes
 *   }
 * } finally {
 *   loader.close();
 * }
 * ```
 *
 * @module
 */
export * from "./batch.ts";
export * from "./check.ts";
export * from "./cityscapes.ts";
export * from "./convert.ts";
export * from "./decode.ts";
export * from "./jpeg.ts";
export * from "./layout.ts";
export * from "./loader.ts";
export * from "./make.ts";
export * from "./open.ts";
export * from "./order.ts";
export * from "./png.ts";
export * from "./raster.ts";
export * from "./resize.ts";
export * from "./rng.ts";
export * from "./sample.ts";
export * from "./transform.ts";
export { benchData, type DataBenchLine, type DataBenchOptions } from "./bench.ts";
