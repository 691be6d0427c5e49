/**
 * NVIDIA's released label2city_1024p generator is run with `--netG local --ngf 32
 * --resize_or_crop none` and otherwise default flags. Those flags must build its exact layout
 * (182,857,059 parameters in 74 tensors, shared/reference/pix2pixhd.md §2), and cli/test.ts must
 * run a checkpoint of that layout, with no opt.json, strictly loaded.
 */
import { deepEqual, equal } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { networkPath, saveNetwork } from "../lib/app/checkpoints.ts";
import { buildG } from "../lib/app/model.ts";
import { parseOptions } from "../lib/app/options.ts";
import { test } from "../lib/app/test.ts";
import { decodePng } from "../lib/data/png.ts";
import { gpu } from "./check.ts";

const city = fileURLToPath(new URL("../fixtures/data/city", import.meta.url));
const FLAGS = [
  "--name",
  "label2city_1024p",
  "--netG",
  "local",
  "--ngf",
  "32",
  "--resize_or_crop",
  "none",
];

Deno.test("cli/test.ts runs a label2city_1024p checkpoint with the original's flags", async () => {
  await gpu();
  const dir = await Deno.makeTempDir();
  try {
    const { options } = parseOptions("test", FLAGS);
    const g = buildG(options);
    const params = g.parameters();
    deepEqual([params.length, params.reduce((n, p) => n + p.size, 0)], [74, 182_857_059]);
    await Deno.mkdir(join(dir, "label2city_1024p"));
    await saveNetwork(g, networkPath(join(dir, "label2city_1024p"), "latest", "G"));
    g.dispose();
    const result = await test(
      parseOptions("test", [
        ...FLAGS,
        "--checkpoints_dir",
        dir,
        "--dataroot",
        city,
        "--results_dir",
        join(dir, "results"),
        "--how_many",
        "1",
      ]), // deno-fmt-ignore
      { print: () => {} },
    );
    equal(result.images.length, 1);
    const image = decodePng(await Deno.readFile(result.images[0].synthesized));
    deepEqual([image.width, image.height], [256, 128]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
