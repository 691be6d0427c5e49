import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { checkDataset } from "./check.ts";
import { writeStreetDataset } from "./synthetic/make.ts";
import { encodePng } from "./png.ts";

const city = new URL("../../fixtures/data/city", import.meta.url).pathname;

Deno.test("the fixture and the golden data pass, with their label values counted", async () => {
  const report = await checkDataset(city, {
    labelNc: 35,
    transform: { resizeOrCrop: "scale_width" },
  });
  deepEqual([report.layout, report.samples, report.problems], ["aligned", 16, []]);
  deepEqual(report.sizes, { "256x128": 16 });
  ok(report.labelCounts[26] > 0 && report.labelCounts[33] > 0);
  equal(report.labelCounts.reduce((a, b) => a + b), 16 * 256 * 128);
});

Deno.test("every problem is listed with its file", async () => {
  const root = await Deno.makeTempDir();
  await writeStreetDataset(root, { count: 6, width: 64, height: 32 });
  const stem = (i: number) => `synth_00000${i}_000019`;
  const file = (dir: string, i: number, suffix: string) =>
    join(root, dir, `${stem(i)}_${suffix}.png`);
  // 0: truncated photo; 1: instance map of another size; 2: RGB label map;
  // 3: a label map of 65x32 (65 is not a multiple of 16 after scale_width 130); 4: no photo;
  // 5: fine. Plus an unpaired photo.
  const photo = await Deno.readFile(file("train_img", 0, "leftImg8bit"));
  await Deno.writeFile(file("train_img", 0, "leftImg8bit"), photo.slice(0, 500));
  await Deno.writeFile(
    file("train_inst", 1, "gtFine_instanceIds"),
    encodePng({ width: 32, height: 32, channels: 1, data: new Uint16Array(1024) }),
  );
  await Deno.writeFile(
    file("train_label", 2, "gtFine_labelIds"),
    encodePng({ width: 64, height: 32, channels: 3, data: new Uint8Array(6144) }),
  );
  const odd = new Uint8Array(65 * 32).fill(7);
  await Deno.writeFile(
    file("train_label", 3, "gtFine_labelIds"),
    encodePng({ width: 65, height: 32, channels: 1, data: odd }),
  );
  await Deno.writeFile(
    file("train_inst", 3, "gtFine_instanceIds"),
    encodePng({ width: 65, height: 32, channels: 1, data: odd }),
  );
  await Deno.writeFile(
    file("train_img", 3, "leftImg8bit"),
    encodePng({ width: 65, height: 32, channels: 3, data: new Uint8Array(65 * 32 * 3) }),
  );
  await Deno.remove(file("train_img", 4, "leftImg8bit"));
  await Deno.writeFile(join(root, "train_img", "stray_leftImg8bit.png"), photo);

  const report = await checkDataset(root, {
    labelNc: 24,
    transform: { resizeOrCrop: "scale_width", loadSize: 130 },
    batchSize: 2,
  });
  const text = report.problems.map((p) => `${p.file}: ${p.message}`);
  const expect = (path: string, words: string) =>
    ok(
      text.some((t) => t.startsWith(path) && t.includes(words)),
      `${path} / ${words} in\n${text.join("\n")}`,
    );
  expect(file("train_img", 0, "leftImg8bit"), "it cannot be read: Cannot decode");
  expect(file("train_inst", 1, "gtFine_instanceIds"), "its size 32x32 differs from 64x32");
  expect(file("train_label", 2, "gtFine_labelIds"), "must have one channel: current value is 3");
  expect(file("train_label", 3, "gtFine_labelIds"), "becomes 130x64");
  expect(file("train_label", 4, "gtFine_labelIds"), "no partner");
  expect(file("train_label", 5, "gtFine_labelIds"), "outside 0..23 (label_nc 24)");
  expect(join(root, "train_img", "stray_leftImg8bit.png"), "no partner");
  expect(root, "samples of a batch must share a size");
  // Sample 1's label map is 64x32: nothing about it may mention sample 3's width.
  ok(
    !report.problems.some((p) =>
      p.file === file("train_label", 1, "gtFine_labelIds") && p.message.includes("65")
    ),
  );
  equal(report.samples, 5);
  await Deno.remove(root, { recursive: true });
});

Deno.test("instance ids whose class is outside label_nc are problems of the instance map", async () => {
  const root = await Deno.makeTempDir();
  await writeStreetDataset(root, { count: 2, width: 32, height: 16 });
  const inst = join(root, "train_inst", "synth_000001_000019_gtFine_instanceIds.png");
  const ids = new Uint16Array(32 * 16).fill(7);
  ids.fill(65001, 0, 10); // class 65
  ids.fill(35, 10, 13); // a stuff id >= label_nc
  ids.fill(34999, 13, 14); // class 34: fine
  await Deno.writeFile(inst, encodePng({ width: 32, height: 16, channels: 1, data: ids }));
  const report = await checkDataset(root, { labelNc: 35 });
  deepEqual(report.problems.map((p) => [p.file, p.message]), [[
    inst,
    "instance ids 35 (3 px), 65001 (10 px) have classes outside 0..34 (label_nc 35; an id's class is the id below 1000, else id // 1000)",
  ]]);
  // Without instance maps nothing is read from them.
  deepEqual((await checkDataset(root, { labelNc: 35, instance: false })).problems, []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("an empty or too small dataset is a problem of the root", async () => {
  const root = await Deno.makeTempDir();
  await writeStreetDataset(root, { count: 1, width: 32, height: 16 });
  const report = await checkDataset(root, { batchSize: 4 });
  deepEqual(report.problems.map((p) => [p.file, p.message]), [[
    root,
    "the dataset has 1 samples, fewer than batchSize 4",
  ]]);
  await Deno.remove(root, { recursive: true });
});
