import { equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { writeStreetDataset } from "./synthetic/make.ts";
import { openDataset } from "./open.ts";
import { encodePng } from "./png.ts";

Deno.test("openDataset refuses a broken dataset, listing every problem with its file", async () => {
  const root = await Deno.makeTempDir();
  try {
    await writeStreetDataset(root, { count: 3, width: 64, height: 32 });
    const label = join(root, "train_label", "synth_000001_000019_gtFine_labelIds.png");
    await Deno.writeFile(
      label,
      encodePng({ width: 64, height: 32, channels: 1, data: new Uint8Array(64 * 32).fill(40) }),
    );
    const photo = join(root, "train_img", "synth_000002_000019_leftImg8bit.png");
    await Deno.writeFile(photo, (await Deno.readFile(photo)).slice(0, 300));
    const options = { labelNc: 35, transform: { resizeOrCrop: "none" as const }, nThreads: 0 };
    await rejects(() => openDataset(root, options), (error: Error) => {
      ok(error instanceof RangeError);
      ok(error.message.includes("has 2 problem(s)"), error.message);
      ok(error.message.includes(`${label}: label values 40`), error.message);
      ok(error.message.includes(`${photo}: it cannot be read`), error.message);
      return true;
    });
    // Without the check the loader opens, and the corrupt photo fails when it is met.
    const loader = await openDataset(root, { ...options, check: false, serialBatches: true });
    try {
      equal(loader.length, 3);
      await rejects(async () => {
        for await (const _ of loader.epoch(0)) { /* consume */ }
      }, new RegExp(photo.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    } finally {
      loader.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("openDataset on the fixture streams its batches", async () => {
  const root = new URL("../../fixtures/data/city", import.meta.url).pathname;
  const loader = await openDataset(root, {
    labelNc: 35,
    transform: { resizeOrCrop: "crop", fineSize: 64 },
    batchSize: 4,
    nThreads: 1,
  });
  try {
    let n = 0;
    for await (const batch of loader.epoch(0)) n += batch.size;
    equal(n, 16);
  } finally {
    loader.close();
  }
});
