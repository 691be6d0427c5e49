/**
 * Opening a dataset for training: the checks of `check_dataset` first, then the loader.
 *
 * @module
 */
import { checkDataset } from "./check.ts";
import { type LayoutOptions, listDataset } from "./layout.ts";
import { DataLoader, type LoaderOptions } from "./loader.ts";

/** Options of {@linkcode openDataset}: the layout, the loader, and the check. */
export interface OpenDatasetOptions extends LoaderOptions, Omit<LayoutOptions, "labelNc"> {
  /** The multiple the generator needs sizes to be ({@linkcode sizeMultiple}). Default 16. */
  multiple?: number;
  /** Run every check of `check_dataset` before loading (default true). */
  check?: boolean;
}

/**
 * Checks a dataset as `cli/check_dataset.ts` does (pairing, decodable files, sizes, label values,
 * size multiples, batch sizes) and opens a loader over it. Every problem found is listed in one
 * error, each with its file, so that training never starts on a dataset it would fail on later.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { openDataset } from "./open.ts";
 *
 * const root = new URL("../../fixtures/data/city", import.meta.url).pathname;
 * const loader = await openDataset(root, { labelNc: 35, transform: { resizeOrCrop: "none" } });
 * equal(loader.length, 16);
 * loader.close();
 * ```
 *
 * @param root The dataset root (`--dataroot`).
 * @param options Layout, loading, batching, threading, and whether to check first.
 * @returns The loader; close it when done.
 */
export async function openDataset(root: string, options: OpenDatasetOptions): Promise<DataLoader> {
  const { check = true, multiple, ...rest } = options;
  if (!check) return new DataLoader(await listDataset(root, rest), rest);
  const report = await checkDataset(root, { ...rest, multiple });
  if (report.problems.length > 0) {
    const list = report.problems.map((p) => `  ${p.file}: ${p.message}`).join("\n");
    throw new RangeError(
      `Cannot train on ${root} as the dataset has ${report.problems.length} problem(s):\n${list}`,
    );
  }
  return new DataLoader(report.entries, rest);
}
