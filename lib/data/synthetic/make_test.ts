import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { CITYSCAPES_LABELS, cityscapesId } from "../cityscapes.ts";
import { decodeImage } from "../decode.ts";
import { listDataset } from "../layout.ts";
import { renderStreetScene, writeStreetDataset } from "./make.ts";

Deno.test("street scenes hold Cityscapes label and instance ids that agree", () => {
  const seen = new Set<number>();
  for (const seed of [1, 2, 3, 4]) {
    const { label, inst, photo } = renderStreetScene({ width: 256, height: 128, seed });
    equal(photo.length, 256 * 128 * 3);
    for (let i = 0; i < label.length; i++) {
      seen.add(label[i]);
      const thing = CITYSCAPES_LABELS[label[i]].hasInstances;
      const id = thing ? Math.floor(inst[i] / 1000) : inst[i];
      if (id !== label[i]) {
        throw new RangeError(`pixel ${i}: label ${label[i]}, instance ${inst[i]}`);
      }
    }
  }
  for (
    const name of [
      "road",
      "sidewalk",
      "building",
      "vegetation",
      "sky",
      "car",
      "person",
      "pole",
      "traffic sign",
      "ego vehicle",
      "unlabeled",
    ]
  ) {
    ok(seen.has(cityscapesId(name)), name);
  }
});

Deno.test("cars are numbered 26000, 26001, ... and bicycles go past 32767", () => {
  const { inst } = renderStreetScene({ width: 512, height: 256, seed: 1 });
  const ids = new Set(inst);
  ok(ids.has(26000) && ids.has(26001));
  ok([...ids].some((id) => id >= 33000));
});

Deno.test("the photo is a deterministic rendering that depends on the labels", () => {
  const a = renderStreetScene({ width: 128, height: 64, seed: 7 });
  deepEqual(renderStreetScene({ width: 128, height: 64, seed: 7 }), a);
  // classes differ in mean colour, so a generator can learn the mapping
  const mean = (id: number) => {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < a.label.length; i++) {
      if (a.label[i] === id) {
        sum += a.photo[3 * i + 2] - a.photo[3 * i];
        n++;
      }
    }
    return sum / n;
  };
  ok(mean(cityscapesId("sky")) > mean(cityscapesId("road")) + 20);
});

Deno.test("writeStreetDataset writes both layouts, PNG or JPEG photos, repeatably", async () => {
  const root = await Deno.makeTempDir();
  const stems = await writeStreetDataset(join(root, "a"), {
    count: 3,
    width: 64,
    height: 32,
    seed: 2,
  });
  deepEqual(stems, ["synth_000000_000019", "synth_000001_000019", "synth_000002_000019"]);
  await writeStreetDataset(join(root, "b"), { count: 2, width: 64, height: 32, seed: 2 });
  const file = "train_inst/synth_000001_000019_gtFine_instanceIds.png";
  deepEqual(await Deno.readFile(join(root, "b", file)), await Deno.readFile(join(root, "a", file)));
  const inst = decodeImage(await Deno.readFile(join(root, "a", file)), file);
  ok(inst.data instanceof Uint16Array);

  await writeStreetDataset(join(root, "c"), {
    count: 2,
    width: 64,
    height: 32,
    layout: "cityscapes",
    phase: "val",
    photoFormat: "jpg",
  });
  const entries = await listDataset(join(root, "c"), { phase: "val" });
  ok(entries[0].image!.endsWith("leftImg8bit/val/synth/synth_000000_000019_leftImg8bit.jpg"));
  equal(decodeImage(await Deno.readFile(entries[0].image!), "jpg").channels, 3);
  await rejects(() => writeStreetDataset(root, { count: 0, width: 64, height: 32 }), RangeError);
  await rejects(() => writeStreetDataset(root, { count: 1, width: 8, height: 8 }), RangeError);
  await Deno.remove(root, { recursive: true });
});
