/**
 * Turns decoded images into the compact arrays the loader hands on: RGB bytes for photos (as
 * Pillow's `convert("RGB")`), 8-bit ids for label maps and 32-bit ids for instance maps.
 *
 * @module
 */
import type { Raster } from "./raster.ts";

/**
 * Converts an image to RGB bytes (height, width, 3) as Pillow's `convert("RGB")` does: gray is
 * repeated, alpha dropped, palettes looked up, 16-bit colour keeps its high byte and 16-bit gray
 * (Pillow's mode `I`) is clipped to 0..255.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { toRgb } from "./convert.ts";
 *
 * const gray = { width: 2, height: 1, channels: 1, data: new Uint8Array([5, 9]) };
 * deepEqual(toRgb(gray), new Uint8Array([5, 5, 5, 9, 9, 9]));
 * ```
 *
 * @param image The decoded image.
 * @returns RGB bytes, (height, width, 3); the image's own array when it already is 8-bit RGB.
 */
export function toRgb(image: Raster): Uint8Array {
  const { width, height, channels, data, palette } = image;
  const n = width * height;
  if (channels === 3 && data instanceof Uint8Array) return data;
  const out = new Uint8Array(n * 3);
  if (palette) {
    const entries = palette.length / 3;
    for (let i = 0; i < n; i++) {
      const k = data[i];
      if (k < entries) {
        out[3 * i] = palette[3 * k];
        out[3 * i + 1] = palette[3 * k + 1];
        out[3 * i + 2] = palette[3 * k + 2];
      }
    }
    return out;
  }
  const wide = data instanceof Uint16Array;
  if (channels <= 2) {
    for (let i = 0; i < n; i++) {
      let v = data[i * channels];
      if (wide) v = channels === 1 ? Math.min(v, 255) : v >> 8;
      out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = v;
    }
    return out;
  }
  const shift = wide ? 8 : 0;
  for (let i = 0; i < n; i++) {
    out[3 * i] = data[i * channels] >> shift;
    out[3 * i + 1] = data[i * channels + 1] >> shift;
    out[3 * i + 2] = data[i * channels + 2] >> shift;
  }
  return out;
}

function requireSingleChannel(image: Raster, what: string, name: string): void {
  if (image.channels !== 1) {
    throw new TypeError(
      `Cannot read ${name} as a ${what} as it must have one channel: current value is ${image.channels} channels`,
    );
  }
}

/**
 * Reads a label map's ids: one channel, 8-bit (or a palette's indices, as PIL's mode `P`).
 * A 16-bit map is accepted while its values fit in 8 bits.
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { toLabelIds } from "./convert.ts";
 *
 * const ids = { width: 2, height: 1, channels: 1, data: new Uint8Array([7, 26]) };
 * deepEqual(toLabelIds(ids, "a.png"), new Uint8Array([7, 26]));
 * const rgb = { width: 1, height: 1, channels: 3, data: new Uint8Array(3) };
 * throws(() => toLabelIds(rgb, "a.png"), TypeError);
 * ```
 *
 * @param image The decoded label map.
 * @param name The file's path, used in error messages.
 * @returns Label ids, (height, width).
 */
export function toLabelIds(image: Raster, name: string): Uint8Array {
  requireSingleChannel(image, "label map", name);
  const { data } = image;
  if (data instanceof Uint8Array) return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    if (data[i] > 255) {
      const x = i % image.width;
      const y = Math.floor(i / image.width);
      throw new RangeError(
        `Cannot read ${name} as a label map as its ids must fit in 8 bits: current value is ${
          data[i]
        } at (${x}, ${y})`,
      );
    }
    out[i] = data[i];
  }
  return out;
}

/**
 * Reads an instance map's ids as 32-bit integers: 16-bit values such as 33001 stay positive.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { toInstanceIds } from "./convert.ts";
 *
 * const inst = { width: 2, height: 1, channels: 1, data: new Uint16Array([7, 33001]) };
 * deepEqual(toInstanceIds(inst, "a.png"), new Int32Array([7, 33001]));
 * ```
 *
 * @param image The decoded instance map (8- or 16-bit, one channel).
 * @param name The file's path, used in error messages.
 * @returns Instance ids, (height, width).
 */
export function toInstanceIds(image: Raster, name: string): Int32Array {
  requireSingleChannel(image, "instance map", name);
  return Int32Array.from(image.data);
}

/**
 * The class of an instance id: the id itself below 1000, else `id // 1000` (Cityscapes).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { instanceLabel } from "./convert.ts";
 *
 * deepEqual([7, 26001].map(instanceLabel), [7, 26]);
 * ```
 */
export function instanceLabel(id: number): number {
  return id < 1000 ? id : Math.floor(id / 1000);
}
