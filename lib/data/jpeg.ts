/**
 * JPEG decoding through `jpeg-js` (baseline and progressive, gray and colour).
 *
 * @module
 */
import jpeg from "jpeg-js";
import type { Raster } from "./raster.ts";

/** Reads the component count from the first start-of-frame marker (0 if there is none). */
function componentCount(bytes: Uint8Array): number {
  let pos = 2;
  while (pos + 9 < bytes.length) {
    if (bytes[pos] !== 0xff) return 0;
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 &&
      marker !== 0xcc;
    if (isFrame) return bytes[pos + 9];
    pos += 2 + length;
  }
  return 0;
}

/**
 * Decodes a JPEG into an 8-bit {@linkcode Raster}: 1 channel for a grayscale file, 3 (RGB)
 * otherwise. Throws a `SyntaxError` for a damaged file.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import jpeg from "jpeg-js";
 * import { decodeJpeg } from "./jpeg.ts";
 *
 * const rgba = new Uint8Array(8 * 8 * 4).fill(200);
 * const file = jpeg.encode({ width: 8, height: 8, data: rgba }, 95).data;
 * const image = decodeJpeg(new Uint8Array(file));
 * deepEqual([image.width, image.height, image.channels], [8, 8, 3]);
 * ```
 *
 * @param bytes The JPEG file.
 * @returns The decoded image.
 */
export function decodeJpeg(bytes: Uint8Array): Raster {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
    throw new SyntaxError(
      `Cannot decode JPEG as the SOI marker is missing: current value is [${
        Array.from(bytes.subarray(0, 2)).join(", ")
      }]`,
    );
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
  } catch (error) {
    throw new SyntaxError(
      `Cannot decode JPEG as the data is damaged: current value is ${(error as Error).message}`,
    );
  }
  const { width, height, data } = decoded;
  if (componentCount(bytes) !== 1) return { width, height, channels: 3, data };
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) gray[i] = data[3 * i];
  return { width, height, channels: 1, data: gray };
}
