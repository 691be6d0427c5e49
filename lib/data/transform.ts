/**
 * pix2pixHD's `resize_or_crop` transforms (`data/base_dataset.py`): one set of random parameters
 * per sample (crop position and flip), planned once and applied to every map of the sample.
 *
 * @module
 */
import { type Box, type Plane, resizeBicubic, resizeNearest } from "./resize.ts";
import type { Rng } from "./rng.ts";

/** The values of pix2pixHD's `--resize_or_crop`. */
export type ResizeOrCrop =
  | "resize_and_crop"
  | "crop"
  | "scale_width"
  | "scale_width_and_crop"
  | "none";

/** Every `--resize_or_crop` mode. */
export const RESIZE_OR_CROP: readonly ResizeOrCrop[] = [
  "resize_and_crop",
  "crop",
  "scale_width",
  "scale_width_and_crop",
  "none",
];

/** Options of the transforms (pix2pixHD flags in brackets). */
export interface TransformOptions {
  /** How to resize or crop (`--resize_or_crop`); pix2pixHD's default is `scale_width`. */
  resizeOrCrop: ResizeOrCrop;
  /** Resize target (`--loadSize`): the square side, or the width for `scale_width*`. Default 1024. */
  loadSize?: number;
  /** Square crop side (`--fineSize`) for the `*crop` modes. Default 512. */
  fineSize?: number;
  /** The multiple `none` rounds sizes to: 2^n_downsample_global, times 2^n_local_enhancers for
   * `--netG local` (see {@linkcode sizeMultiple}). Default 16. */
  multiple?: number;
  /** Whether to flip horizontally with probability 0.5 (training without `--no_flip`). Default false. */
  flip?: boolean;
}

/** The random decisions for one sample, shared by all its maps (pix2pixHD's `get_params`). */
export interface TransformParams {
  /** Left edge of the crop, in the resized image. */
  cropX: number;
  /** Top edge of the crop, in the resized image. */
  cropY: number;
  /** Whether to flip (applied only when the options allow flips). */
  flip: boolean;
}

/** What to do to a map of a given size: resize (optional), keep a window of it, flip. */
export interface TransformPlan {
  /** The size to resize to, or undefined to keep the size. */
  resize?: { width: number; height: number };
  /** The window to keep, in the (resized) image's coordinates. */
  crop: Box;
  /** Whether to mirror horizontally. */
  flip: boolean;
}

/** Options of {@linkcode sizeMultiple}. */
export interface MultipleOptions {
  /** `--netG`: `global` or `local`. */
  netG?: string;
  /** `--n_downsample_global`, default 4. */
  nDownsampleGlobal?: number;
  /** `--n_local_enhancers`, default 1. */
  nLocalEnhancers?: number;
}

/**
 * The multiple the generator needs sizes to be: 2^n_downsample_global, times 2^n_local_enhancers
 * for the local generator (16 for `global`, 32 for `local` with the defaults).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { sizeMultiple } from "./transform.ts";
 *
 * deepEqual(sizeMultiple({ netG: "global" }), 16);
 * deepEqual(sizeMultiple({ netG: "local", nDownsampleGlobal: 4, nLocalEnhancers: 1 }), 32);
 * ```
 *
 * @param options The generator's flags.
 * @returns The multiple.
 */
export function sizeMultiple(options: MultipleOptions = {}): number {
  const { netG = "global", nDownsampleGlobal = 4, nLocalEnhancers = 1 } = options;
  return 2 ** nDownsampleGlobal * (netG === "local" ? 2 ** nLocalEnhancers : 1);
}

function checkOptions(options: TransformOptions) {
  const { resizeOrCrop, loadSize = 1024, fineSize = 512, multiple = 16, flip = false } = options;
  if (!RESIZE_OR_CROP.includes(resizeOrCrop)) {
    throw new TypeError(
      `Cannot transform as resize_or_crop must be one of ${
        RESIZE_OR_CROP.join(", ")
      }: current value is ${resizeOrCrop}`,
    );
  }
  for (
    const [name, value] of [["loadSize", loadSize], ["fineSize", fineSize], [
      "multiple",
      multiple,
    ]] as const
  ) {
    if (!(Number.isInteger(value) && value > 0)) {
      throw new RangeError(
        `Cannot transform as ${name} must be a positive integer: current value is ${value}`,
      );
    }
  }
  return { resizeOrCrop, loadSize, fineSize, multiple, flip };
}

/** Python's `round` for the non-negative values used here: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The size after the resize step of a mode (before cropping). */
function resizedSize(width: number, height: number, o: ReturnType<typeof checkOptions>) {
  if (o.resizeOrCrop.startsWith("resize")) return { width: o.loadSize, height: o.loadSize };
  if (o.resizeOrCrop.startsWith("scale_width")) {
    if (width === o.loadSize) return { width, height };
    return { width: o.loadSize, height: Math.trunc((o.loadSize * height) / width) };
  }
  return { width, height };
}

/**
 * Draws one sample's random parameters as pix2pixHD's `get_params` does: crop x in
 * [0, max(0, w' - fineSize)], crop y likewise, then a coin for the flip, where w' and h' are the
 * size after the mode's resize step.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * import { drawParams } from "./transform.ts";
 *
 * const options = { resizeOrCrop: "crop", fineSize: 1024 } as const;
 * const a = drawParams({ width: 2048, height: 1024 }, options, new Rng(3));
 * deepEqual(a, drawParams({ width: 2048, height: 1024 }, options, new Rng(3)));
 * deepEqual(a.cropY, 0);
 * ```
 *
 * @param size The size of the sample's label map as read.
 * @param options The transform options.
 * @param rng The sample's generator.
 * @returns The crop position and flip decision.
 */
export function drawParams(
  size: { width: number; height: number },
  options: TransformOptions,
  rng: Rng,
): TransformParams {
  const o = checkOptions(options);
  const resized = resizedSize(size.width, size.height, o);
  const cropX = rng.int(0, Math.max(0, resized.width - o.fineSize));
  const cropY = rng.int(0, Math.max(0, resized.height - o.fineSize));
  const flip = rng.random() > 0.5;
  return { cropX, cropY, flip };
}

/**
 * Plans the transform of a map of the given size: the mode's resize, the `fineSize` crop (only
 * when the image is larger than `fineSize`; a crop never reaches past the image, where pix2pixHD
 * pads with zeros), `none`'s rounding to the nearest multiple (Python's `round`), then the flip.
 *
 * @example 1024p training on crops of 2048x1024 Cityscapes images
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { planTransform } from "./transform.ts";
 *
 * const plan = planTransform({ width: 2048, height: 1024 }, {
 *   resizeOrCrop: "crop",
 *   fineSize: 1024,
 *   flip: true,
 * }, { cropX: 500, cropY: 0, flip: true });
 * deepEqual(plan, { crop: { x: 500, y: 0, width: 1024, height: 1024 }, flip: true });
 * ```
 *
 * @param size The size of the map as read.
 * @param options The transform options.
 * @param params The sample's random parameters.
 * @returns The plan.
 */
export function planTransform(
  size: { width: number; height: number },
  options: TransformOptions,
  params: TransformParams,
): TransformPlan {
  const o = checkOptions(options);
  let { width, height } = resizedSize(size.width, size.height, o);
  let resize = width !== size.width || height !== size.height ? { width, height } : undefined;
  let crop: Box = { x: 0, y: 0, width, height };
  if (o.resizeOrCrop.endsWith("crop") && (width > o.fineSize || height > o.fineSize)) {
    const cw = Math.min(o.fineSize, width);
    const ch = Math.min(o.fineSize, height);
    const x = Math.min(params.cropX, width - cw);
    const y = Math.min(params.cropY, height - ch);
    crop = { x, y, width: cw, height: ch };
  }
  if (o.resizeOrCrop === "none") {
    width = roundHalfEven(size.width / o.multiple) * o.multiple;
    height = roundHalfEven(size.height / o.multiple) * o.multiple;
    if (width === 0 || height === 0) {
      throw new RangeError(
        `Cannot round the size to a multiple of ${o.multiple} as it rounds to zero: current value is ${size.width}x${size.height}`,
      );
    }
    resize = width !== size.width || height !== size.height ? { width, height } : undefined;
    crop = { x: 0, y: 0, width, height };
  }
  return resize
    ? { resize, crop, flip: o.flip && params.flip }
    : { crop, flip: o.flip && params.flip };
}

/** Mirrors rows in place. */
function flipRows(
  data: Uint8Array | Uint16Array | Int32Array,
  width: number,
  height: number,
  c: number,
) {
  if (c === 1) {
    for (let y = 0; y < height; y++) data.subarray(y * width, (y + 1) * width).reverse();
    return;
  }
  for (let y = 0; y < height; y++) {
    const row = y * width * c;
    for (let l = row, r = row + (width - 1) * c; l < r; l += c, r -= c) {
      for (let ch = 0; ch < c; ch++) {
        const t = data[l + ch];
        data[l + ch] = data[r + ch];
        data[r + ch] = t;
      }
    }
  }
}

/**
 * Applies a plan to one map: bicubic (photos, and label images when `label_nc` is 0) or nearest
 * (label ids, instance ids, feature maps). The result may share the input's array when the plan
 * keeps the whole image; otherwise it is a new array.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { applyPlan } from "./transform.ts";
 *
 * const ids = { width: 3, height: 1, channels: 1, data: new Int32Array([1, 2, 3]) };
 * const plan = { crop: { x: 0, y: 0, width: 3, height: 1 }, flip: true };
 * deepEqual(applyPlan(ids, plan, "nearest").data, new Int32Array([3, 2, 1]));
 * ```
 *
 * @param image The map, (height, width, channels).
 * @param plan The sample's plan for this size.
 * @param method `bicubic` (8-bit only) or `nearest`.
 * @returns The transformed map.
 */
export function applyPlan<T extends Uint8Array | Uint16Array | Int32Array>(
  image: Plane<T>,
  plan: TransformPlan,
  method: "bicubic" | "nearest",
): Plane<T> {
  const { crop } = plan;
  let out: Plane<T>;
  if (plan.resize) {
    const options = { ...plan.resize, window: crop };
    if (method === "bicubic") {
      if (!(image.data instanceof Uint8Array)) {
        throw new TypeError(
          `Cannot resize with bicubic as the image must be 8-bit: current value is ${image.data.constructor.name}`,
        );
      }
      out = resizeBicubic(image as Plane<Uint8Array>, options) as Plane<T>;
    } else {
      out = resizeNearest(image, options);
    }
  } else if (
    crop.x === 0 && crop.y === 0 && crop.width === image.width &&
    crop.height === image.height
  ) {
    out = image;
  } else {
    const c = image.channels;
    const data = new (image.data.constructor as { new (n: number): T })(
      crop.width * crop.height * c,
    );
    for (let y = 0; y < crop.height; y++) {
      const src = ((crop.y + y) * image.width + crop.x) * c;
      data.set(image.data.subarray(src, src + crop.width * c), y * crop.width * c);
    }
    out = { width: crop.width, height: crop.height, channels: c, data };
  }
  if (plan.flip) flipRows(out.data, out.width, out.height, out.channels);
  return out;
}
