/**
 * Images people look at: generator outputs as 8-bit RGB (pix2pixHD's `tensor2im`), label maps in
 * colour (`tensor2label`: Cityscapes' colours for 35 classes, a bit-interleaved palette
 * otherwise), and writing them as PNG or JPEG.
 *
 * @module
 */
import jpeg from "jpeg-js";
import type { Batch } from "./batch.ts";
import { CITYSCAPES_LABELS } from "./cityscapes.ts";
import { toRgb } from "./convert.ts";
import { encodePng } from "./png.ts";
import type { Raster } from "./raster.ts";

/**
 * pix2pixHD's `labelcolormap(n)`: Cityscapes' colours (ids 0..33, then 34 as license plate)
 * when n is 35, else colour i interleaves the bits of i over R, G and B from the top bit down.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { labelColormap } from "./visuals.ts";
 *
 * deepEqual([...labelColormap(35).subarray(26 * 3, 27 * 3)], [0, 0, 142]); // car
 * deepEqual([...labelColormap(4).subarray(3, 12)], [128, 0, 0, 0, 128, 0, 128, 128, 0]);
 * ```
 */
export function labelColormap(n: number): Uint8Array {
  const cmap = new Uint8Array(n * 3);
  if (n === 35) {
    CITYSCAPES_LABELS.forEach((label, i) => cmap.set(label.color, i * 3));
    cmap.set([0, 0, 142], 34 * 3);
    return cmap;
  }
  for (let i = 0; i < n; i++) {
    let r = 0, g = 0, b = 0;
    let id = i;
    for (let j = 0; j < 7; j++) {
      r |= (id & 1) << (7 - j);
      g |= ((id >> 1) & 1) << (7 - j);
      b |= ((id >> 2) & 1) << (7 - j);
      id >>= 3;
    }
    cmap.set([r, g, b], i * 3);
  }
  return cmap;
}

/**
 * Label ids (H·W bytes) in colour, RGB (H, W, 3); ids at or beyond `labelNc` are black.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { colorizeLabels } from "./visuals.ts";
 *
 * deepEqual([...colorizeLabels(new Uint8Array([7, 99]), 35)], [128, 64, 128, 0, 0, 0]);
 * ```
 */
export function colorizeLabels(ids: Uint8Array, labelNc: number): Uint8Array {
  const palette = labelColormap(labelNc);
  return toRgb({ width: ids.length, height: 1, channels: 1, data: ids, palette });
}

/** A batch's first input label as RGB bytes (H, W, 3): ids in colour, or the RGB label image. */
export function labelImage(batch: Batch, labelNc: number): Uint8Array {
  const n = batch.width * batch.height;
  return batch.labelChannels === 1
    ? colorizeLabels(batch.label.subarray(0, n), labelNc)
    : batch.label.subarray(0, 3 * n);
}

/**
 * pix2pixHD's `tensor2im`: a (3, H, W) image in [-1, 1], planar float, to RGB bytes (H, W, 3)
 * by `uint8(clip((x + 1) / 2 * 255, 0, 255))`, truncating.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { imageBytes } from "./visuals.ts";
 *
 * deepEqual([...imageBytes(new Float32Array([-1, 0, 1]), 1, 1)], [0, 127, 255]);
 * ```
 */
export function imageBytes(planar: Float32Array, width: number, height: number): Uint8Array {
  const n = width * height;
  if (planar.length < 3 * n) {
    throw new RangeError(
      `Cannot convert the image as (3, ${height}, ${width}) needs ${
        3 * n
      } values: current value is ${planar.length}`,
    );
  }
  const out = new Uint8Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) {
      const v = (planar[c * n + i] + 1) / 2 * 255;
      out[3 * i + c] = v >= 255 ? 255 : v > 0 ? Math.trunc(v) : 0;
    }
  }
  return out;
}

/** Image file formats written. */
export type ImageFormat = "png" | "jpg";

/** RGB bytes (H, W, 3) as a PNG or a JPEG (quality 75, Pillow's default) file's bytes. */
export function encodeImage(
  rgb: Uint8Array,
  width: number,
  height: number,
  format: ImageFormat,
): Uint8Array {
  if (format === "png") {
    const raster: Raster = { width, height, channels: 3, data: rgb };
    return encodePng(raster);
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
    rgba[4 * i + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ data: rgba, width, height }, 75).data);
}
