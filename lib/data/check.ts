/**
 * The dataset check (`cli/check_dataset.ts`, and the same check when training starts): pairing,
 * decodability, channels, sizes, label values and instance classes outside `0..label_nc-1`, and
 * sizes the generator cannot take. Every problem is listed with its file, not just the first.
 *
 * @module
 */
import { instanceLabel, toInstanceIds, toLabelIds } from "./convert.ts";
import { decodeImage } from "./decode.ts";
import {
  type DatasetEntry,
  type DatasetProblem,
  type Layout,
  type LayoutOptions,
  scanDataset,
} from "./layout.ts";
import type { Raster } from "./raster.ts";
import { planTransform, type TransformOptions } from "./transform.ts";

/** Options of {@linkcode checkDataset}. */
export interface CheckOptions extends LayoutOptions {
  /** The training transform, to check the sizes the generator will see. Default `none`. */
  transform?: TransformOptions;
  /** The multiple the generator needs sizes to be ({@linkcode sizeMultiple}). Default 16. */
  multiple?: number;
  /** `--batchSize`: samples of a batch must share a size. Default 1. */
  batchSize?: number;
}

/** What {@linkcode checkDataset} found. */
export interface CheckReport {
  /** The layout found. */
  layout: Layout;
  /** Complete samples. */
  samples: number;
  /** The complete samples' files, sorted by label path (what `listDataset` returns). */
  entries: DatasetEntry[];
  /** Pixels per label value 0..255 over all label maps (all zero when `label_nc` is 0). */
  labelCounts: number[];
  /** Sizes as read, "WxH", with the number of samples of each. */
  sizes: Record<string, number>;
  /** Every problem, sorted by file. */
  problems: DatasetProblem[];
}

async function decodeFile(path: string, problems: DatasetProblem[]): Promise<Raster | undefined> {
  try {
    return decodeImage(await Deno.readFile(path), path);
  } catch (error) {
    problems.push({ file: path, message: `it cannot be read: ${(error as Error).message}` });
    return undefined;
  }
}

/**
 * Checks a dataset and lists every problem with its file.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { checkDataset } from "./check.ts";
 *
 * const root = new URL("../../fixtures/data/city", import.meta.url).pathname;
 * const report = await checkDataset(root, { labelNc: 35 });
 * deepEqual([report.samples, report.problems.length], [16, 0]);
 * deepEqual(report.labelCounts[35], 0);
 * ```
 *
 * @param root The dataset root (`--dataroot`).
 * @param options Layout, maps, label classes, transform and batch size.
 * @returns The report.
 */
export async function checkDataset(root: string, options: CheckOptions = {}): Promise<CheckReport> {
  const { transform = { resizeOrCrop: "none" }, multiple = 16, batchSize = 1 } = options;
  const labelNc = options.labelNc ?? 35;
  const scan = await scanDataset(root, options);
  const problems = [...scan.problems];
  const labelCounts = new Array<number>(256).fill(0);
  const sizes: Record<string, number> = {};
  const outputs = new Map<string, string>();
  for (const entry of scan.entries) {
    const size = await checkEntry(entry, { labelNc, labelCounts, problems });
    if (!size) continue;
    const key = `${size.width}x${size.height}`;
    sizes[key] = (sizes[key] ?? 0) + 1;
    try {
      const { crop } = planTransform(size, { ...transform, multiple }, {
        cropX: 0,
        cropY: 0,
        flip: false,
      });
      const out = `${crop.width}x${crop.height}`;
      if (!outputs.has(out)) outputs.set(out, entry.label);
      if (crop.width % multiple !== 0 || crop.height % multiple !== 0) {
        problems.push({
          file: entry.label,
          message:
            `with resize_or_crop ${transform.resizeOrCrop} its size ${key} becomes ${out}, which is not a multiple of ${multiple} as the generator needs`,
        });
      }
    } catch (error) {
      problems.push({ file: entry.label, message: (error as Error).message });
    }
  }
  if (scan.entries.length === 0) {
    problems.push({ file: root, message: "the dataset has no complete samples" });
  } else if (scan.entries.length < batchSize) {
    problems.push({
      file: root,
      message: `the dataset has ${scan.entries.length} samples, fewer than batchSize ${batchSize}`,
    });
  }
  if (batchSize > 1 && outputs.size > 1) {
    const list = [...outputs].map(([size, file]) => `${size} (e.g. ${file})`).join(", ");
    problems.push({
      file: root,
      message: `samples of a batch must share a size, but the transformed sizes differ: ${list}`,
    });
  }
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return {
    layout: scan.layout,
    samples: scan.entries.length,
    entries: scan.entries,
    labelCounts,
    sizes,
    problems,
  };
}

async function checkEntry(
  entry: DatasetEntry,
  state: { labelNc: number; labelCounts: number[]; problems: DatasetProblem[] },
): Promise<{ width: number; height: number } | undefined> {
  const { labelNc, labelCounts, problems } = state;
  const label = await decodeFile(entry.label, problems);
  const others: [string, Raster | undefined][] = [];
  for (const path of [entry.inst, entry.image, entry.feat]) {
    if (path) others.push([path, await decodeFile(path, problems)]);
  }
  if (!label) return undefined;
  let ok = true;
  if (labelNc > 0) {
    try {
      const ids = toLabelIds(label, entry.label);
      const counts = new Array<number>(256).fill(0);
      for (let i = 0; i < ids.length; i++) counts[ids[i]]++;
      const bad: string[] = [];
      counts.forEach((n, v) => {
        labelCounts[v] += n;
        if (n > 0 && v >= labelNc) bad.push(`${v} (${n} px)`);
      });
      if (bad.length > 0) {
        problems.push({
          file: entry.label,
          message: `label values ${bad.join(", ")} are outside 0..${
            labelNc - 1
          } (label_nc ${labelNc})`,
        });
      }
    } catch (error) {
      problems.push({ file: entry.label, message: (error as Error).message });
      ok = false;
    }
  }
  for (const [path, raster] of others) {
    if (!raster) {
      ok = false;
      continue;
    }
    if (raster.width !== label.width || raster.height !== label.height) {
      problems.push({
        file: path,
        message:
          `its size ${raster.width}x${raster.height} differs from ${label.width}x${label.height} of ${entry.label}`,
      });
      ok = false;
    }
    if (path === entry.inst) {
      try {
        const bad = outOfRangeInstances(toInstanceIds(raster, path), labelNc);
        if (bad) problems.push({ file: path, message: bad });
      } catch (error) {
        problems.push({ file: path, message: (error as Error).message });
        ok = false;
      }
    }
  }
  return ok ? { width: label.width, height: label.height } : undefined;
}

/**
 * The problem with instance ids whose class is not below `labelNc` (an id's class is the id
 * itself below 1000, else id // 1000, as Cityscapes numbers instances), or undefined.
 */
function outOfRangeInstances(ids: Int32Array, labelNc: number): string | undefined {
  if (labelNc <= 0) return undefined;
  const bad = new Map<number, number>();
  for (const id of ids) {
    if (instanceLabel(id) >= labelNc) bad.set(id, (bad.get(id) ?? 0) + 1);
  }
  if (bad.size === 0) return undefined;
  const sorted = [...bad].sort((a, b) => a[0] - b[0]);
  const shown = sorted.slice(0, 8).map(([id, n]) => `${id} (${n} px)`).join(", ");
  return `instance ids ${shown}${
    sorted.length > 8 ? ` and ${sorted.length - 8} more` : ""
  } have classes outside 0..${
    labelNc - 1
  } (label_nc ${labelNc}; an id's class is the id below 1000, else id // 1000)`;
}
