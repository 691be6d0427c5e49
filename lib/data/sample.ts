/**
 * Loads one sample as pix2pixHD's `AlignedDataset.__getitem__` does, but hands compact arrays
 * instead of float tensors: label ids as bytes, instance ids as 32-bit integers, photos and
 * feature maps as RGB bytes. One-hot encoding, the boundary map and normalisation to [-1, 1]
 * happen on the GPU.
 *
 * @module
 */
import { toInstanceIds, toLabelIds, toRgb } from "./convert.ts";
import { decodeImage } from "./decode.ts";
import type { DatasetEntry } from "./layout.ts";
import type { Raster } from "./raster.ts";
import { Rng } from "./rng.ts";
import {
  applyPlan,
  drawParams,
  planTransform,
  type TransformOptions,
  type TransformParams,
} from "./transform.ts";

/** One transformed sample. Every map has the same width and height. */
export interface Sample {
  /** Width after the transform. */
  width: number;
  /** Height after the transform. */
  height: number;
  /** Label ids (height, width), or RGB bytes (height, width, 3) when `label_nc` is 0. */
  label: Uint8Array;
  /** 1 for label ids, 3 for an RGB label image (`label_nc` 0). */
  labelChannels: number;
  /** Instance ids (height, width), e.g. 26001 for car 1; stuff pixels hold their label id. */
  inst?: Int32Array;
  /** Photo, RGB bytes (height, width, 3). */
  image?: Uint8Array;
  /** Precomputed feature map, RGB bytes (height, width, 3). */
  feat?: Uint8Array;
  /** The random decisions that were applied. */
  params: TransformParams;
  /** The files read. */
  entry: DatasetEntry;
}

/** Options of {@linkcode loadSample}. */
export interface SampleOptions {
  /** Label classes (`--label_nc`); 0 reads the label as an RGB image, resized bicubically. */
  labelNc: number;
  /** The `resize_or_crop` options. */
  transform: TransformOptions;
  /** The sample's seed, e.g. `mixSeed(seed, epoch, index)`: it alone fixes crop and flip. */
  seed: number;
}

async function read(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot read sample file as it does not exist: current value is ${path}`,
      );
    }
    throw error;
  }
}

function sameSize(image: Raster, label: Raster, path: string, labelPath: string): void {
  if (image.width !== label.width || image.height !== label.height) {
    throw new RangeError(
      `Cannot transform ${path} with its label map ${labelPath} as their sizes differ: current value is ${image.width}x${image.height} for ${label.width}x${label.height}`,
    );
  }
}

/**
 * Reads, decodes and transforms one sample: one crop and flip decision, drawn from the sample's
 * seed for the label map's size, applied to every map; nearest-neighbour for label, instance and
 * feature maps, Pillow's bicubic for photos. Errors name the file concerned.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { listDataset } from "./layout.ts";
 * import { loadSample } from "./sample.ts";
 *
 * const root = new URL("../../fixtures/data/city", import.meta.url).pathname;
 * const [entry] = await listDataset(root);
 * const sample = await loadSample(entry, {
 *   labelNc: 35,
 *   transform: { resizeOrCrop: "none" },
 *   seed: 1,
 * });
 * deepEqual([sample.width, sample.height], [256, 128]);
 * ```
 *
 * @param entry The sample's files.
 * @param options Label classes, transform options and the sample's seed.
 * @returns The sample.
 */
export async function loadSample(entry: DatasetEntry, options: SampleOptions): Promise<Sample> {
  const paths = [entry.label, entry.inst, entry.image, entry.feat];
  const [label, inst, image, feat] = await Promise.all(
    paths.map((path) => path === undefined ? undefined : read(path)),
  );
  return decodeSample({ label: label!, inst, image, feat }, entry, options);
}

/** The bytes of one sample's files, as {@linkcode decodeSample} takes them. */
export interface SampleBytes {
  /** The label map's file. */
  label: Uint8Array;
  /** The instance map's file. */
  inst?: Uint8Array;
  /** The photo's file. */
  image?: Uint8Array;
  /** The feature map's file. */
  feat?: Uint8Array;
}

/**
 * {@linkcode loadSample} for files already read (a web page's, say): decodes and transforms the
 * bytes given; `entry` names each file in errors.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { encodePng } from "./png.ts";
 * import { decodeSample } from "./sample.ts";
 *
 * const label = encodePng({ width: 4, height: 2, channels: 1, data: new Uint8Array(8).fill(7) });
 * const sample = decodeSample({ label }, { key: "a", label: "a.png" }, {
 *   labelNc: 35,
 *   transform: { resizeOrCrop: "scale_width", loadSize: 8 },
 *   seed: 0,
 * });
 * deepEqual([sample.width, sample.height, sample.label[15]], [8, 4, 7]);
 * ```
 */
export function decodeSample(
  bytes: SampleBytes,
  entry: DatasetEntry,
  options: SampleOptions,
): Sample {
  const { label: labelBytes, inst: instBytes, image: imageBytes, feat: featBytes } = bytes;
  for (const k of ["inst", "image", "feat"] as const) {
    if ((bytes[k] === undefined) !== (entry[k] === undefined)) {
      throw new TypeError(
        `Cannot decode the sample of ${entry.label} as its ${k} file and name must come together: current value is ${
          bytes[k] === undefined ? "a name without bytes" : "bytes without a name"
        }`,
      );
    }
  }
  const labelRaster = decodeImage(labelBytes, entry.label);
  const params = drawParams(labelRaster, options.transform, new Rng(options.seed));
  const plan = planTransform(labelRaster, options.transform, params);
  const { width, height } = plan.crop;

  let label: Uint8Array;
  let labelChannels = 1;
  if (options.labelNc === 0) {
    const data = toRgb(labelRaster);
    label = applyPlan(
      { width: labelRaster.width, height: labelRaster.height, channels: 3, data },
      plan,
      "bicubic",
    ).data;
    labelChannels = 3;
  } else {
    const data = toLabelIds(labelRaster, entry.label);
    label = applyPlan(
      { width: labelRaster.width, height: labelRaster.height, channels: 1, data },
      plan,
      "nearest",
    ).data;
  }
  const sample: Sample = { width, height, label, labelChannels, params, entry };

  if (instBytes) {
    const raster = decodeImage(instBytes, entry.inst!);
    sameSize(raster, labelRaster, entry.inst!, entry.label);
    // Transform the decoded 8/16-bit ids, then widen only the pixels kept.
    const kept = applyPlan(
      { width: raster.width, height: raster.height, channels: raster.channels, data: raster.data },
      plan,
      "nearest",
    );
    sample.inst = toInstanceIds(
      { ...kept, data: kept.data as Uint8Array | Uint16Array },
      entry.inst!,
    );
  }
  if (imageBytes) {
    const raster = decodeImage(imageBytes, entry.image!);
    sameSize(raster, labelRaster, entry.image!, entry.label);
    const data = toRgb(raster);
    sample.image =
      applyPlan({ width: raster.width, height: raster.height, channels: 3, data }, plan, "bicubic")
        .data;
  }
  if (featBytes) {
    const raster = decodeImage(featBytes, entry.feat!);
    sameSize(raster, labelRaster, entry.feat!, entry.label);
    const data = toRgb(raster);
    sample.feat =
      applyPlan({ width: raster.width, height: raster.height, channels: 3, data }, plan, "nearest")
        .data;
  }
  return sample;
}
