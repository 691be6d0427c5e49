/**
 * Pillow-exact resizing: `Image.resize(size, BICUBIC)` for 8-bit images and
 * `Image.resize(size, NEAREST)` for any integer map, as pix2pixHD applies them through
 * torchvision. Both can produce just a window of the resized image, with the same values the full
 * resize has there, so a resize followed by a crop costs only the crop.
 *
 * @module
 */

/** An interleaved image, (height, width, channels). */
export interface Plane<T extends Uint8Array | Uint16Array | Int32Array> {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Samples per pixel. */
  channels: number;
  /** Samples, (height, width, channels). */
  data: T;
}

/** A rectangle in pixels. */
export interface Box {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/** Options of {@linkcode resizeBicubic} and {@linkcode resizeNearest}. */
export interface ResizeOptions {
  /** Width of the resized image. */
  width: number;
  /** Height of the resized image. */
  height: number;
  /** The part of the resized image to produce; all of it if not given. */
  window?: Box;
}

const PRECISION_BITS = 22; // Pillow: 32 - 8 - 2
const SUPPORT = 2; // bicubic filter support

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/**
 * Pillow's `precompute_coeffs` and `normalize_coeffs_8bpc` for output positions
 * [first, first + count): per position the first input index, the tap count and fixed-point taps.
 */
function coefficients(inSize: number, outSize: number, first: number, count: number) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const inverse = 1 / filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(count * 2);
  const taps = new Int32Array(count * ksize);
  const w = new Float64Array(ksize);
  for (let i = 0; i < count; i++) {
    const center = (first + i + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = bicubic((x + xmin - center + 0.5) * inverse);
      sum += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const k = sum !== 0 ? w[x] / sum : w[x];
      const fixed = k * (1 << PRECISION_BITS);
      taps[i * ksize + x] = Math.trunc(k < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    bounds[2 * i] = xmin;
    bounds[2 * i + 1] = xmax;
  }
  return { bounds, taps, ksize };
}

function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function checkSizes(
  image: Plane<Uint8Array | Uint16Array | Int32Array>,
  options: ResizeOptions,
): Box {
  if (image.data.length !== image.width * image.height * image.channels) {
    throw new RangeError(
      `Cannot resize as the image must hold width*height*channels samples: current value is ${image.data.length} for ${image.width}x${image.height}x${image.channels}`,
    );
  }
  const { width, height } = options;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(
      `Cannot resize as the size must be positive integers: current value is ${width}x${height}`,
    );
  }
  const box = options.window ?? { x: 0, y: 0, width, height };
  if (
    !(box.x >= 0 && box.y >= 0 && box.width > 0 && box.height > 0 &&
      box.x + box.width <= width && box.y + box.height <= height)
  ) {
    throw new RangeError(
      `Cannot resize as the window must lie inside ${width}x${height}: current value is ${
        JSON.stringify(box)
      }`,
    );
  }
  return box;
}

/**
 * Resizes an 8-bit image with Pillow's bicubic filter (a = -0.5, widened when shrinking, 22-bit
 * fixed-point taps, horizontal pass then vertical pass), bit-exact with Pillow 9.
 *
 * @example Halve a 4x2 gray image
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { resizeBicubic } from "./resize.ts";
 *
 * const image = { width: 4, height: 2, channels: 1, data: new Uint8Array(8).fill(100) };
 * const half = resizeBicubic(image, { width: 2, height: 1 });
 * deepEqual(half.data, new Uint8Array([100, 100]));
 * ```
 *
 * @param image The source, (height, width, channels) bytes.
 * @param options The resized size and optionally the window of it to produce.
 * @returns The window of the resized image (all of it by default).
 */
export function resizeBicubic(image: Plane<Uint8Array>, options: ResizeOptions): Plane<Uint8Array> {
  const box = checkSizes(image, options);
  const { channels: c, data } = image;
  const inW = image.width;
  const inH = image.height;
  const outW = box.width;
  const outH = box.height;
  const horizontal = options.width !== inW;
  const vertical = options.height !== inH;
  const v = vertical ? coefficients(inH, options.height, box.y, outH) : undefined;
  // Rows of the source that the vertical pass reads.
  const rowFirst = v ? v.bounds[0] : box.y;
  const rowEnd = v ? v.bounds[2 * outH - 2] + v.bounds[2 * outH - 1] : box.y + outH;
  const rows = rowEnd - rowFirst;

  // Horizontal pass: rows [rowFirst, rowEnd) of the source, columns of the window.
  const mid = new Uint8Array(rows * outW * c);
  if (horizontal) {
    const h = coefficients(inW, options.width, box.x, outW);
    const { bounds, taps, ksize } = h;
    const half = 1 << (PRECISION_BITS - 1);
    for (let y = 0; y < rows; y++) {
      const src = (rowFirst + y) * inW * c;
      const dst = y * outW * c;
      if (c === 3) {
        // The common RGB case with the three channels in one pass over the taps.
        for (let x = 0; x < outW; x++) {
          const n = bounds[2 * x + 1];
          const t = x * ksize;
          let r = half;
          let g = half;
          let b = half;
          let p = src + bounds[2 * x] * 3;
          for (let k = 0; k < n; k++, p += 3) {
            const tap = taps[t + k];
            r = (r + data[p] * tap) | 0;
            g = (g + data[p + 1] * tap) | 0;
            b = (b + data[p + 2] * tap) | 0;
          }
          const o = dst + x * 3;
          mid[o] = clip8(r);
          mid[o + 1] = clip8(g);
          mid[o + 2] = clip8(b);
        }
        continue;
      }
      for (let x = 0; x < outW; x++) {
        const xmin = bounds[2 * x];
        const n = bounds[2 * x + 1];
        const t = x * ksize;
        for (let ch = 0; ch < c; ch++) {
          let sum = half;
          let p = src + xmin * c + ch;
          for (let k = 0; k < n; k++, p += c) sum += data[p] * taps[t + k];
          mid[dst + x * c + ch] = clip8(sum);
        }
      }
    }
  } else {
    for (let y = 0; y < rows; y++) {
      const src = ((rowFirst + y) * inW + box.x) * c;
      mid.set(data.subarray(src, src + outW * c), y * outW * c);
    }
  }
  if (!v) return { width: outW, height: outH, channels: c, data: mid };

  // Vertical pass over the intermediate rows.
  const out = new Uint8Array(outW * outH * c);
  const { bounds, taps, ksize } = v;
  const half = 1 << (PRECISION_BITS - 1);
  const rowSize = outW * c;
  // Sums stay within int32 (255 * sum|taps| * 2^22 < 2^31), so int32 arithmetic is exact.
  const acc = new Int32Array(rowSize);
  for (let y = 0; y < outH; y++) {
    const ymin = bounds[2 * y] - rowFirst;
    const n = bounds[2 * y + 1];
    acc.fill(half);
    for (let k = 0; k < n; k++) {
      const tap = taps[y * ksize + k];
      const src = (ymin + k) * rowSize;
      for (let i = 0; i < rowSize; i++) acc[i] = (acc[i] + mid[src + i] * tap) | 0;
    }
    const dst = y * rowSize;
    for (let i = 0; i < rowSize; i++) out[dst + i] = clip8(acc[i]);
  }
  return { width: outW, height: outH, channels: c, data: out };
}

/** Pillow's nearest-neighbour source indices: position accumulated in doubles, truncated. */
function nearestIndex(inSize: number, outSize: number, first: number, count: number): Int32Array {
  const scale = inSize / outSize;
  const index = new Int32Array(count);
  let pos = scale * 0.5;
  for (let i = 0; i < first; i++) pos += scale;
  for (let i = 0; i < count; i++) {
    index[i] = Math.min(Math.trunc(pos), inSize - 1);
    pos += scale;
  }
  return index;
}

/**
 * Resizes any integer map (labels, instance ids, feature maps) with Pillow's nearest-neighbour
 * rule, bit-exact with Pillow 9: source position `(i + 0.5) * in / out`, accumulated step by step
 * in doubles as Pillow does, then truncated.
 *
 * @example Double a 2x1 label map
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { resizeNearest } from "./resize.ts";
 *
 * const image = { width: 2, height: 1, channels: 1, data: new Int32Array([7, 26001]) };
 * const big = resizeNearest(image, { width: 4, height: 1 });
 * deepEqual(big.data, new Int32Array([7, 7, 26001, 26001]));
 * ```
 *
 * @param image The source map.
 * @param options The resized size and optionally the window of it to produce.
 * @returns The window of the resized map (all of it by default), of the source's array type.
 */
export function resizeNearest<T extends Uint8Array | Uint16Array | Int32Array>(
  image: Plane<T>,
  options: ResizeOptions,
): Plane<T> {
  const box = checkSizes(image, options);
  const { channels: c, data } = image;
  const xs = nearestIndex(image.width, options.width, box.x, box.width);
  const ys = nearestIndex(image.height, options.height, box.y, box.height);
  const out = new (data.constructor as { new (n: number): T })(box.width * box.height * c);
  for (let y = 0; y < box.height; y++) {
    const src = ys[y] * image.width * c;
    const dst = y * box.width * c;
    if (c === 1) {
      for (let x = 0; x < box.width; x++) out[dst + x] = data[src + xs[x]];
    } else {
      for (let x = 0; x < box.width; x++) {
        for (let ch = 0; ch < c; ch++) out[dst + x * c + ch] = data[src + xs[x] * c + ch];
      }
    }
  }
  return { width: box.width, height: box.height, channels: c, data: out };
}
