import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import type { Batch } from "./batch.ts";
import { type DatasetEntry, listDataset } from "./layout.ts";
import { DataLoader, type LoaderOptions } from "./loader.ts";
import { writeStreetDataset } from "./synthetic/make.ts";

const city = new URL("../../fixtures/data/city", import.meta.url).pathname;
const entries = await listDataset(city);
const TRAIN: LoaderOptions = {
  labelNc: 35,
  transform: { resizeOrCrop: "scale_width_and_crop", loadSize: 192, fineSize: 64, flip: true },
  batchSize: 2,
  seed: 11,
};

async function collect(loader: DataLoader, epoch: number): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of loader.epoch(epoch)) batches.push(batch);
  return batches;
}

async function run(options: LoaderOptions, epochs: number[], list: DatasetEntry[] = entries) {
  const loader = new DataLoader(list, options);
  try {
    const out: Batch[][] = [];
    for (const epoch of epochs) out.push(await collect(loader, epoch));
    return out;
  } finally {
    loader.close();
  }
}

Deno.test("workers give exactly the batches the calling thread gives, epoch after epoch", async () => {
  const inline = await run({ ...TRAIN, nThreads: 0 }, [0, 1]);
  const threaded = await run({ ...TRAIN, nThreads: 2 }, [0, 1]);
  deepEqual(threaded, inline);
  equal(inline[0].length, 8);
  deepEqual([inline[0][0].size, inline[0][0].width, inline[0][0].height], [2, 64, 64]);
  equal(inline[0][0].inst!.length, 2 * 64 * 64);
  equal(inline[0][0].image!.length, 2 * 64 * 64 * 3);
  // per-epoch shuffles differ; together they cover the dataset
  const order = (batches: Batch[]) => batches.flatMap((b) => b.indices);
  ok(order(inline[0]).join() !== order(inline[1]).join());
  deepEqual([...order(inline[0])].sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => i));
});

Deno.test("a run repeats exactly from its seed and changes with it", async () => {
  const [a] = await run({ ...TRAIN, nThreads: 1 }, [3]);
  const [b] = await run({ ...TRAIN, nThreads: 1 }, [3]);
  const [c] = await run({ ...TRAIN, nThreads: 1, seed: 12 }, [3]);
  deepEqual(a, b);
  ok(a.map((x) => x.indices.join()).join() !== c.map((x) => x.indices.join()).join());
});

Deno.test("serial_batches, max_dataset_size and batchSize as in pix2pixHD", async () => {
  const [serial] = await run({
    labelNc: 35,
    transform: { resizeOrCrop: "none" },
    batchSize: 3,
    serialBatches: true,
    maxDatasetSize: 7,
    nThreads: 2,
  }, [0]);
  deepEqual(serial.map((b) => b.indices), [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  deepEqual(serial[0].entries.map((e) => e.key), [
    "synth_000000_000019",
    "synth_000001_000019",
    "synth_000002_000019",
  ]);
  const loader = new DataLoader(entries, {
    labelNc: 35,
    transform: { resizeOrCrop: "none" },
    batchSize: 3,
    maxDatasetSize: 7,
  });
  deepEqual([loader.batches, loader.length], [3, 9]);
  loader.close();
});

Deno.test("prefetching stays within prefetch * batchSize samples ahead of the consumer", async () => {
  const loader = new DataLoader(entries, { ...TRAIN, nThreads: 2, prefetch: 2, batchSize: 2 });
  try {
    let most = 0;
    for await (const _ of loader.epoch(0)) {
      await new Promise((resolve) => setTimeout(resolve, 20)); // a slow consumer
      most = Math.max(most, loader.ahead);
      ok(loader.ahead <= 4, `${loader.ahead} samples ahead`);
    }
    equal(most, 4);
    equal(loader.ahead, 0);
  } finally {
    loader.close();
  }
});

Deno.test("a corrupt PNG met by a worker raises an error naming the file", async () => {
  const root = await Deno.makeTempDir();
  await writeStreetDataset(root, { count: 4, width: 32, height: 16 });
  const list = await listDataset(root);
  const bad = list[2].image!;
  const bytes = await Deno.readFile(bad);
  bytes.fill(0x42, 60, 200);
  await Deno.writeFile(bad, bytes);
  for (const nThreads of [0, 2]) {
    const loader = new DataLoader(list, {
      labelNc: 35,
      transform: { resizeOrCrop: "none" },
      serialBatches: true,
      nThreads,
    });
    try {
      await rejects(
        () => collect(loader, 0),
        (e: unknown) => e instanceof SyntaxError && e.message.includes(bad),
      );
      // the loader stays usable after a failed epoch
      const again = loader.epoch(0);
      deepEqual((await again.next()).value?.indices, [0]);
      await again.return();
    } finally {
      loader.close();
    }
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("leaving an epoch early, closing, and bad options", async () => {
  const loader = new DataLoader(entries, { ...TRAIN, nThreads: 1 });
  for await (const batch of loader.epoch(0)) {
    equal(batch.size, 2);
    break;
  }
  equal((await collect(loader, 1)).length, 8);
  const first = loader.epoch(2);
  await first.next();
  await rejects(() => loader.epoch(3).next(), TypeError); // one epoch at a time
  await first.return();
  loader.close();
  await rejects(() => loader.epoch(4).next(), TypeError);
  throws(() => new DataLoader(entries, { ...TRAIN, nThreads: -1 }), RangeError);
  throws(() => new DataLoader(entries, { ...TRAIN, prefetch: 0 }), RangeError);
  throws(() => new DataLoader([], TRAIN), RangeError);
});
