/**
 * The order of samples in an epoch, as pix2pixHD's data loader produces it: shuffled per epoch
 * unless `--serial_batches`, cut into `--batchSize` batches (a last partial batch is dropped, as
 * pix2pixHD floors the dataset length), and stopped once `--max_dataset_size` samples are reached.
 *
 * @module
 */
import { mixSeed, Rng } from "./rng.ts";

/** Options of {@linkcode epochOrder} (pix2pixHD flags in brackets). */
export interface OrderOptions {
  /** Samples per batch (`--batchSize`). Default 1. */
  batchSize?: number;
  /** Keep the sorted order instead of shuffling (`--serial_batches`). Default false. */
  serialBatches?: boolean;
  /** Stop the epoch once this many samples were given (`--max_dataset_size`). Default Infinity. */
  maxDatasetSize?: number;
  /** Seed of the per-epoch shuffles. Default 0. */
  seed?: number;
  /**
   * This process's part of a data-parallel run of `size` ranks: the epoch is cut into batches of
   * `batchSize · size` as one process would, and rank `rank` takes the `rank`-th `batchSize`
   * samples of each. Default: one rank.
   */
  shard?: { rank: number; size: number };
}

const SHUFFLE_STREAM = 0x5348; // keeps shuffle seeds apart from per-sample seeds

/**
 * Returns the dataset indices of each batch of an epoch. pix2pixHD draws the permutation from the
 * first floor(n / batchSize) * batchSize samples only; here all n samples are shuffled and the
 * batches taken from the front, so no file is left out of every epoch.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { epochOrder } from "./order.ts";
 *
 * deepEqual(epochOrder(5, 0, { batchSize: 2, serialBatches: true }), [[0, 1], [2, 3]]);
 * deepEqual(epochOrder(8, 3, { seed: 1 }), epochOrder(8, 3, { seed: 1 }));
 * // pix2pixHD stops at the first batch that starts at or past max_dataset_size
 * deepEqual(epochOrder(8, 0, { batchSize: 2, serialBatches: true, maxDatasetSize: 3 }).length, 2);
 * // rank 1 of 2 takes the second half of each batch of 4
 * deepEqual(
 *   epochOrder(9, 0, { batchSize: 2, serialBatches: true, shard: { rank: 1, size: 2 } }),
 *   [[2, 3], [6, 7]],
 * );
 * ```
 *
 * @param count Samples in the dataset.
 * @param epoch The epoch number (any integer; it selects the shuffle).
 * @param options Batch size, serial order, size cap and seed.
 * @returns The batches, each a list of dataset indices.
 */
export function epochOrder(count: number, epoch: number, options: OrderOptions = {}): number[][] {
  const { batchSize = 1, serialBatches = false, maxDatasetSize = Infinity, seed = 0 } = options;
  const { rank = 0, size = 1 } = options.shard ?? {};
  if (
    !(Number.isInteger(size) && size >= 1 && Number.isInteger(rank) && rank >= 0 && rank < size)
  ) {
    throw new RangeError(
      `Cannot order the epoch as the shard must be a rank 0..size-1 of a positive size: current value is rank ${rank} of ${size}`,
    );
  }
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new RangeError(
      `Cannot order the epoch as batchSize must be a positive integer: current value is ${batchSize}`,
    );
  }
  if (!(maxDatasetSize > 0)) {
    throw new RangeError(
      `Cannot order the epoch as max_dataset_size must be positive: current value is ${maxDatasetSize}`,
    );
  }
  if (!(Number.isInteger(count) && count >= 0)) {
    throw new RangeError(
      `Cannot order the epoch as the sample count must be a non-negative integer: current value is ${count}`,
    );
  }
  const order = Array.from({ length: count }, (_, i) => i);
  if (!serialBatches) new Rng(mixSeed(seed, SHUFFLE_STREAM, epoch)).shuffle(order);
  const global = batchSize * size;
  const batches = Math.min(Math.floor(count / global), Math.ceil(maxDatasetSize / global));
  return Array.from(
    { length: batches },
    (_, b) => order.slice(b * global + rank * batchSize, b * global + (rank + 1) * batchSize),
  );
}
