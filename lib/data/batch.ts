/**
 * Batches of samples: each map of the batch in one compact array, (N, H, W) or (N, H, W, 3).
 *
 * @module
 */
import type { DatasetEntry } from "./layout.ts";
import type { Sample } from "./sample.ts";

/** A batch: the samples' maps stacked along a leading batch axis. */
export interface Batch {
  /** Samples in the batch. */
  size: number;
  /** Width of every sample. */
  width: number;
  /** Height of every sample. */
  height: number;
  /** Label ids (N, H, W), or RGB bytes (N, H, W, 3) when `labelChannels` is 3. */
  label: Uint8Array;
  /** 1 for label ids, 3 for RGB label images (`label_nc` 0). */
  labelChannels: number;
  /** Instance ids (N, H, W). */
  inst?: Int32Array;
  /** Photos, RGB bytes (N, H, W, 3). */
  image?: Uint8Array;
  /** Feature maps, RGB bytes (N, H, W, 3). */
  feat?: Uint8Array;
  /** Dataset index of each sample. */
  indices: number[];
  /** Files of each sample. */
  entries: DatasetEntry[];
}

function stack<T extends Uint8Array | Int32Array>(parts: T[]): T {
  if (parts.length === 1) return parts[0];
  const out = new (parts[0].constructor as { new (n: number): T })(parts.length * parts[0].length);
  parts.forEach((part, i) => out.set(part, i * part.length));
  return out;
}

/**
 * Stacks samples into a batch; a batch of one shares the sample's arrays. Throws a `RangeError`
 * naming the files when the samples' sizes or maps differ.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { collate } from "./batch.ts";
 *
 * const sample = (v: number) => ({
 *   width: 2, height: 1, label: new Uint8Array([v, v]), labelChannels: 1,
 *   params: { cropX: 0, cropY: 0, flip: false }, entry: { key: `${v}`, label: `${v}.png` },
 * });
 * const batch = collate([sample(7), sample(8)], [0, 1]);
 * deepEqual(batch.label, new Uint8Array([7, 7, 8, 8]));
 * ```
 *
 * @param samples The samples, in batch order.
 * @param indices Their dataset indices.
 * @returns The batch.
 */
export function collate(samples: Sample[], indices: number[]): Batch {
  if (samples.length === 0 || samples.length !== indices.length) {
    throw new RangeError(
      `Cannot collate as there must be one index per sample and at least one sample: current value is ${samples.length} samples and ${indices.length} indices`,
    );
  }
  const first = samples[0];
  for (const s of samples) {
    const same = s.width === first.width && s.height === first.height &&
      s.labelChannels === first.labelChannels && !s.inst === !first.inst &&
      !s.image === !first.image && !s.feat === !first.feat;
    if (!same) {
      throw new RangeError(
        `Cannot collate ${s.entry.label} with ${first.entry.label} as their sizes or maps differ: current value is ${s.width}x${s.height} for ${first.width}x${first.height}`,
      );
    }
  }
  const batch: Batch = {
    size: samples.length,
    width: first.width,
    height: first.height,
    label: stack(samples.map((s) => s.label)),
    labelChannels: first.labelChannels,
    indices,
    entries: samples.map((s) => s.entry),
  };
  if (first.inst) batch.inst = stack(samples.map((s) => s.inst!));
  if (first.image) batch.image = stack(samples.map((s) => s.image!));
  if (first.feat) batch.feat = stack(samples.map((s) => s.feat!));
  return batch;
}
