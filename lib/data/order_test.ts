import { deepEqual, equal, notDeepEqual, throws } from "node:assert/strict";
import { epochOrder } from "./order.ts";

Deno.test("serial_batches keeps the sorted order and drops a last partial batch", () => {
  deepEqual(epochOrder(7, 0, { batchSize: 3, serialBatches: true }), [[0, 1, 2], [3, 4, 5]]);
  deepEqual(epochOrder(7, 5, { serialBatches: true }).flat(), [0, 1, 2, 3, 4, 5, 6]);
  deepEqual(epochOrder(2, 0, { batchSize: 3 }), []);
});

Deno.test("shuffles differ per epoch and seed, and repeat exactly", () => {
  const a = epochOrder(50, 1, { seed: 3 });
  deepEqual(a, epochOrder(50, 1, { seed: 3 }));
  notDeepEqual(a, epochOrder(50, 2, { seed: 3 }));
  notDeepEqual(a, epochOrder(50, 1, { seed: 4 }));
  deepEqual(a.flat().sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
});

Deno.test("every sample is reachable even when the last partial batch is dropped", () => {
  const seen = new Set<number>();
  for (let epoch = 0; epoch < 20; epoch++) {
    for (const i of epochOrder(5, epoch, { batchSize: 2 }).flat()) seen.add(i);
  }
  deepEqual(seen.size, 5);
});

Deno.test("max_dataset_size stops the epoch as pix2pixHD's loader does", () => {
  deepEqual(epochOrder(10, 0, { maxDatasetSize: 3 }).length, 3);
  deepEqual(epochOrder(10, 0, { batchSize: 2, maxDatasetSize: 3 }).length, 2);
  deepEqual(epochOrder(10, 0, { batchSize: 4, maxDatasetSize: 100 }).length, 2);
});

Deno.test("epochOrder rejects bad options", () => {
  throws(() => epochOrder(10, 0, { batchSize: 0 }), RangeError);
  throws(() => epochOrder(10, 0, { maxDatasetSize: 0 }), RangeError);
  throws(() => epochOrder(-1, 0), RangeError);
});

Deno.test("shards: the ranks' batches put together are one process's batches of batchSize · size", () => {
  for (
    const [count, batchSize, size, max] of [[16, 1, 2, Infinity], [17, 2, 3, Infinity], [
      16,
      1,
      4,
      6,
    ]]
  ) {
    const whole = epochOrder(count, 5, {
      batchSize: batchSize * size,
      seed: 9,
      maxDatasetSize: max,
    });
    const ranks = Array.from(
      { length: size },
      (_, rank) =>
        epochOrder(count, 5, { batchSize, seed: 9, maxDatasetSize: max, shard: { rank, size } }),
    );
    for (const r of ranks) equal(r.length, whole.length);
    deepEqual(whole.map((_, b) => ranks.flatMap((r) => r[b])), whole);
  }
  throws(() => epochOrder(4, 0, { shard: { rank: 2, size: 2 } }), /rank 2 of 2/);
  throws(() => epochOrder(4, 0, { shard: { rank: 0, size: 0 } }), /rank 0 of 0/);
});
