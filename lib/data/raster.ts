/**
 * The decoded image type shared by the PNG and JPEG decoders, the resizers and the transforms.
 *
 * @module
 */

/**
 * A decoded image: interleaved samples in row-major order, shape (height, width, channels).
 *
 * `data` is a `Uint8Array` for 8-bit images and a `Uint16Array` for 16-bit ones. A palette image
 * keeps its indices in `data` (one channel) and its colours in `palette`, (N, 3) RGB bytes.
 */
export interface Raster {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Samples per pixel: 1 (gray or palette index), 2 (gray + alpha), 3 (RGB) or 4 (RGBA). */
  channels: number;
  /** Samples, (height, width, channels). */
  data: Uint8Array | Uint16Array;
  /** RGB colours of a palette image, (N, 3). */
  palette?: Uint8Array;
}

/**
 * Checks that a raster's sizes and sample count agree, throwing a `RangeError` otherwise.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { checkRaster } from "./raster.ts";
 *
 * checkRaster({ width: 2, height: 1, channels: 3, data: new Uint8Array(6) });
 * throws(() => checkRaster({ width: 2, height: 2, channels: 3, data: new Uint8Array(6) }));
 * ```
 *
 * @param image The raster to check.
 */
export function checkRaster(image: Raster): void {
  const { width, height, channels, data } = image;
  if (!(width > 0 && height > 0 && Number.isInteger(width) && Number.isInteger(height))) {
    throw new RangeError(
      `Cannot use the image as its size must be positive integers: current value is ${width}x${height}`,
    );
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `Cannot use the image as it must hold width*height*channels = ${
        width * height * channels
      } samples: current value is ${data.length}`,
    );
  }
}
