/**
 * Decodes an image file by its content (PNG or JPEG signature), naming the file in every error.
 *
 * @module
 */
import { decodeJpeg } from "./jpeg.ts";
import { decodePng } from "./png.ts";
import type { Raster } from "./raster.ts";

/**
 * Whether the bytes start with the PNG signature.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { isPng } from "./decode.ts";
 *
 * equal(isPng(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10])), true);
 * ```
 *
 * @param bytes The file's first bytes.
 * @returns Whether it is a PNG file.
 */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e &&
    bytes[3] === 0x47;
}

/**
 * Whether the bytes start with a JPEG SOI marker.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { isJpeg } from "./decode.ts";
 *
 * equal(isJpeg(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), true);
 * ```
 *
 * @param bytes The file's first bytes.
 * @returns Whether it is a JPEG file.
 */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Decodes a PNG or JPEG file. A `SyntaxError` names `name` when the file is neither, or damaged.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { decodeImage } from "./decode.ts";
 *
 * throws(() => decodeImage(new Uint8Array([1, 2, 3]), "train_img/a.png"), {
 *   name: "SyntaxError",
 *   message: /train_img\/a\.png/,
 * });
 * ```
 *
 * @param bytes The file's content.
 * @param name The file's path, used in error messages.
 * @returns The decoded image.
 */
export function decodeImage(bytes: Uint8Array, name: string): Raster {
  if (isPng(bytes)) return decodePng(bytes, { name });
  if (isJpeg(bytes)) {
    try {
      return decodeJpeg(bytes);
    } catch (error) {
      throw new SyntaxError(
        (error as Error).message.replace("Cannot decode JPEG", `Cannot decode ${name}`),
      );
    }
  }
  const head = Array.from(bytes.subarray(0, 4)).join(", ");
  throw new SyntaxError(
    `Cannot decode ${name} as it must be a PNG or JPEG file: current value is a file starting [${head}]`,
  );
}

/**
 * Reads and decodes an image file, naming it in every error.
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { readImage } from "./decode.ts";
 *
 * await rejects(() => readImage("/no/such/file.png"), Deno.errors.NotFound);
 * ```
 *
 * @param path The file to read.
 * @returns The decoded image.
 */
export async function readImage(path: string): Promise<Raster> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot read image as the file does not exist: current value is ${path}`,
      );
    }
    throw error;
  }
  return decodeImage(bytes, path);
}
