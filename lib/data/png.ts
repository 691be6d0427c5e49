/**
 * PNG decoding and encoding. Non-interlaced 8- and 16-bit images, which is what datasets hold,
 * take a fast path (the runtime's native inflate where it has one, then unfiltering straight into
 * the output); interlaced and sub-byte images go through `fast-png`, which also encodes.
 *
 * @module
 */
import { decode as fastDecode, encode as fastEncode } from "fast-png";
import { checkRaster, type Raster } from "./raster.ts";
import { InflateLimitError, inflateZlib } from "./zlib.ts";

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The fields of a PNG header (IHDR) that decoding and checking need. */
export interface PngHeader {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  depth: number;
  /** PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA. */
  colorType: number;
  /** Samples per pixel (1 for palette images). */
  channels: number;
  /** Whether the image is Adam7-interlaced. */
  interlaced: boolean;
}

/** Options of {@linkcode decodePng} and {@linkcode readPngHeader}. */
export interface PngDecodeOptions {
  /** What to call the file in error messages, usually its path; "PNG" if not given. */
  name?: string;
}

function fail(name: string, what: string, value: string): never {
  throw new SyntaxError(`Cannot decode ${name} as ${what}: current value is ${value}`);
}

/**
 * Reads the header of a PNG without decoding its pixels.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { encodePng, readPngHeader } from "./png.ts";
 *
 * const png = encodePng({ width: 3, height: 2, channels: 1, data: new Uint16Array(6) });
 * deepEqual(readPngHeader(png).depth, 16);
 * ```
 *
 * @param bytes The PNG file.
 * @param options The name to use in errors.
 * @returns The header fields.
 */
export function readPngHeader(bytes: Uint8Array, options: PngDecodeOptions = {}): PngHeader {
  const name = options.name ?? "PNG";
  if (bytes.length < 33) fail(name, "the file is too short for a header", `${bytes.length} bytes`);
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== SIGNATURE[i]) {
      fail(
        name,
        "the PNG signature is missing",
        `[${Array.from(bytes.subarray(0, 8)).join(", ")}]`,
      );
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (type !== "IHDR") fail(name, "the first chunk must be IHDR", JSON.stringify(type));
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const depth = bytes[24];
  const colorType = bytes[25];
  const channels = CHANNELS[colorType];
  if (channels === undefined) fail(name, "the colour type is unknown", `${colorType}`);
  const depths = colorType === 0 ? [1, 2, 4, 8, 16] : colorType === 3 ? [1, 2, 4, 8] : [8, 16];
  if (!depths.includes(depth)) {
    fail(name, `colour type ${colorType} allows depths ${depths}`, `${depth}`);
  }
  if (width === 0 || height === 0) fail(name, "the size must be positive", `${width}x${height}`);
  if (bytes[26] !== 0 || bytes[27] !== 0) {
    fail(name, "compression and filter methods must be 0", "other");
  }
  if (bytes[28] > 1) fail(name, "the interlace method must be 0 or 1", `${bytes[28]}`);
  return { width, height, depth, colorType, channels, interlaced: bytes[28] === 1 };
}

/** Splits the chunks, returning the concatenated IDAT payload and the palette. */
function readChunks(bytes: Uint8Array, name: string): { idat: Uint8Array; palette?: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let palette: Uint8Array | undefined;
  let total = 0;
  let pos = 8;
  let ended = false;
  while (pos + 8 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const end = pos + 12 + length;
    if (end > bytes.length) {
      fail(
        name,
        `chunk ${JSON.stringify(type)} runs past the end of the file`,
        `${bytes.length} bytes`,
      );
    }
    if (type === "IDAT") {
      parts.push(bytes.subarray(pos + 8, pos + 8 + length));
      total += length;
    } else if (type === "PLTE") {
      palette = bytes.slice(pos + 8, pos + 8 + length);
    } else if (type === "IEND") {
      ended = true;
      break;
    }
    pos = end;
  }
  if (!ended) fail(name, "the file ends before IEND (truncated)", `${bytes.length} bytes`);
  if (parts.length === 0) fail(name, "there is no IDAT chunk", "0 IDAT chunks");
  if (parts.length === 1) return { idat: parts[0], palette };
  const idat = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    idat.set(part, offset);
    offset += part.length;
  }
  return { idat, palette };
}

/**
 * Adds the row at `p` to the row at `o`, byte by byte modulo 256. Four bytes at a time
 * (carries kept inside each byte) where the rows are 4-byte aligned.
 */
function addRow(out: Uint8Array, o: number, p: number, length: number) {
  let i = 0;
  if ((out.byteOffset + o) % 4 === 0 && (out.byteOffset + p) % 4 === 0) {
    const words = length >> 2;
    const a = new Uint32Array(out.buffer, out.byteOffset + o, words);
    const b = new Uint32Array(out.buffer, out.byteOffset + p, words);
    for (let k = 0; k < words; k++) {
      const x = a[k];
      const y = b[k];
      a[k] = ((x & 0x7f7f7f7f) + (y & 0x7f7f7f7f)) ^ ((x ^ y) & 0x80808080);
    }
    i = words << 2;
  }
  for (; i < length; i++) out[o + i] = (out[o + i] + out[p + i]) & 255;
}

/** Reverses the PNG row filters, writing the rows contiguously into `out`. */
function unfilter(
  raw: Uint8Array,
  out: Uint8Array,
  shape: { height: number; stride: number; bpp: number },
  name: string,
) {
  const { height, stride, bpp } = shape;
  for (let y = 0; y < height; y++) {
    const src = y * (stride + 1);
    const filter = raw[src];
    const o = y * stride;
    const p = o - stride; // previous output row
    const s = src + 1;
    switch (filter) {
      case 0:
        out.set(raw.subarray(s, s + stride), o);
        break;
      case 1:
        for (let i = 0; i < bpp; i++) out[o + i] = raw[s + i];
        for (let i = bpp; i < stride; i++) out[o + i] = (raw[s + i] + out[o + i - bpp]) & 255;
        break;
      case 2:
        out.set(raw.subarray(s, s + stride), o);
        if (y > 0) addRow(out, o, p, stride);
        break;
      case 3:
        for (let i = 0; i < stride; i++) {
          const left = i >= bpp ? out[o + i - bpp] : 0;
          const up = y > 0 ? out[p + i] : 0;
          out[o + i] = (raw[s + i] + ((left + up) >> 1)) & 255;
        }
        break;
      case 4:
        if (y === 0) {
          // With no row above, Paeth predicts the left neighbour (the Sub filter).
          for (let i = 0; i < bpp; i++) out[o + i] = raw[s + i];
          for (let i = bpp; i < stride; i++) out[o + i] = (raw[s + i] + out[o + i - bpp]) & 255;
          break;
        }
        for (let i = 0; i < bpp; i++) out[o + i] = (raw[s + i] + out[p + i]) & 255;
        for (let i = bpp; i < stride; i++) {
          const a = out[o + i - bpp];
          const b = out[p + i];
          const c = out[p + i - bpp];
          let pa = b - c;
          let pb = a - c;
          let pc = pa + pb;
          if (pa < 0) pa = -pa;
          if (pb < 0) pb = -pb;
          if (pc < 0) pc = -pc;
          out[o + i] = (raw[s + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
        }
        break;
      default:
        fail(name, `row ${y} must use filter 0..4`, `${filter}`);
    }
  }
}

/** Unpacks 1/2/4-bit samples to one byte each; gray values are scaled to 0..255. */
function unpackSubByte(packed: Uint8Array, header: PngHeader): Uint8Array {
  const { width, height, depth } = header;
  const stride = Math.ceil((width * depth) / 8);
  const out = new Uint8Array(width * height);
  const mask = (1 << depth) - 1;
  const scale = header.colorType === 0 ? 255 / mask : 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const v = (packed[y * stride + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
      out[y * width + x] = v * scale;
    }
  }
  return out;
}

/**
 * Decodes a PNG into a {@linkcode Raster}: 8-bit images as `Uint8Array`, 16-bit ones as
 * `Uint16Array` (values kept, never wrapped), palette images as indices plus `palette`, and
 * 1/2/4-bit gray scaled to 0..255 as Pillow does. Throws a `SyntaxError` for a damaged file.
 *
 * @example Round trip of a 16-bit instance map
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { decodePng, encodePng } from "./png.ts";
 *
 * const data = new Uint16Array([7, 26001, 33002, 7]);
 * const png = encodePng({ width: 2, height: 2, channels: 1, data });
 * deepEqual(decodePng(png).data, data);
 * ```
 *
 * @param bytes The PNG file.
 * @param options The name to use in errors.
 * @returns The decoded image.
 */
export function decodePng(bytes: Uint8Array, options: PngDecodeOptions = {}): Raster {
  const name = options.name ?? "PNG";
  const header = readPngHeader(bytes, options);
  const { width, height, depth, channels } = header;
  const { idat, palette } = readChunks(bytes, name);
  if (header.colorType === 3 && !palette) fail(name, "a palette image needs a PLTE chunk", "none");
  const paletteRgb = palette?.subarray(0, palette.length - (palette.length % 3));
  if (header.interlaced) {
    // fast-png inflates without a bound: check the data's size first.
    inflate(idat, header, name);
    return fromFastPng(bytes, header, { name, palette: paletteRgb });
  }
  const stride = Math.ceil((width * channels * depth) / 8);
  const raw = inflate(idat, header, name);
  if (raw.length < height * (stride + 1)) {
    fail(name, `the image data must hold ${height * (stride + 1)} bytes`, `${raw.length} bytes`);
  }
  const out = new Uint8Array(height * stride);
  unfilter(raw, out, { height, stride, bpp: Math.max(1, (channels * depth) >> 3) }, name);
  return finish(out, header, paletteRgb);
}

/** Extra inflated bytes past the header's size that decoding tolerates (and ignores). */
const TRAILING = 1 << 20;

/** Adam7's seven passes: first column and row, column and row steps. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** The bytes of filtered scanlines (with their filter bytes) that the header's image holds. */
function imageDataSize({ width, height, channels, depth, interlaced }: PngHeader): number {
  const row = (w: number) => 1 + Math.ceil((w * channels * depth) / 8);
  if (!interlaced) return height * row(width);
  let size = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.ceil((width - x0) / dx);
    const h = Math.ceil((height - y0) / dy);
    if (w > 0 && h > 0) size += h * row(w);
  }
  return size;
}

/**
 * Inflates the image data, stopping at the header's size plus {@linkcode TRAILING}: a small
 * header over data that inflates to gigabytes (a PNG bomb) fails here instead of filling memory.
 */
function inflate(idat: Uint8Array, header: PngHeader, name: string): Uint8Array {
  const size = imageDataSize(header);
  const limit = size + TRAILING;
  try {
    return inflateZlib(idat, { limit, expected: size });
  } catch (error) {
    if (error instanceof InflateLimitError) {
      fail(
        name,
        `its image data must inflate to at most ${limit} bytes for ${header.width}×${header.height}`,
        "more",
      );
    }
    fail(name, "the compressed data is damaged", String((error as Error).message));
  }
}

function finish(out: Uint8Array, header: PngHeader, palette?: Uint8Array): Raster {
  const { width, height, channels, depth } = header;
  if (depth === 16) {
    // PNG stores big-endian samples: swap the bytes of each one in place.
    const data = new Uint16Array(out.buffer, out.byteOffset, width * height * channels);
    if (LITTLE_ENDIAN) {
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        data[i] = (v >> 8) | ((v & 0xff) << 8);
      }
    }
    return { width, height, channels, data };
  }
  const data = depth === 8 ? out : unpackSubByte(out, header);
  return palette ? { width, height, channels, data, palette } : { width, height, channels, data };
}

function fromFastPng(
  bytes: Uint8Array,
  header: PngHeader,
  { name, palette }: { name: string; palette?: Uint8Array },
): Raster {
  let decoded;
  try {
    decoded = fastDecode(bytes);
  } catch (error) {
    fail(name, "the interlaced image data is damaged", String((error as Error).message));
  }
  const { width, height, channels } = header;
  if (header.depth === 16) {
    return { width, height, channels, data: new Uint16Array(decoded.data) };
  }
  const packed = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length);
  const data = header.depth === 8 ? packed : unpackSubByte(packed, header);
  return palette ? { width, height, channels, data, palette } : { width, height, channels, data };
}

/**
 * Encodes a raster as a PNG (8-bit for `Uint8Array` data, 16-bit for `Uint16Array`).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { decodePng, encodePng } from "./png.ts";
 *
 * const rgb = new Uint8Array([255, 0, 0, 0, 255, 0]);
 * deepEqual(decodePng(encodePng({ width: 2, height: 1, channels: 3, data: rgb })).data, rgb);
 * ```
 *
 * @param image The image; palettes are not written.
 * @returns The PNG file.
 */
export function encodePng(image: Raster): Uint8Array {
  checkRaster(image);
  if (image.palette) {
    throw new TypeError(
      "Cannot encode PNG as palette images are not supported: current value is a palette",
    );
  }
  const depth = image.data instanceof Uint16Array ? 16 : 8;
  const { width, height, channels, data } = image;
  return fastEncode({ width, height, channels, data, depth });
}
