/**
 * A tiny trained run with instance features, made once per test process and shared by the
 * tests of encoding, testing with features and the editor: a copy of the fixtures' city data,
 * two epochs of a small global G with E on two 128×64 images, then `cli/encode.ts` with 3
 * clusters per class.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encode, type EncodeResult } from "../lib/app/encode.ts";
import { parseOptions } from "../lib/app/options.ts";
import { train } from "../lib/app/train.ts";

const city = fileURLToPath(new URL("../fixtures/data/city", import.meta.url));

/**
 * The data and run flags (shared by train, encode, test and edit), with some values replaced,
 * such as `{ name: "other" }`.
 */
export function featureArgs(
  run: Pick<FeatureRun, "dataroot" | "checkpoints">,
  values: Record<string, string> = {},
): string[] {
  const flags: Record<string, string> = {
    dataroot: run.dataroot,
    checkpoints_dir: run.checkpoints,
    name: "feat",
    loadSize: "256",
    resize_or_crop: "scale_width",
    nThreads: "0",
    seed: "3",
    ...values,
  };
  return Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v]);
}

/** A tiny global G, D and schedule: 2 images, no VGG, no results page. */
export const TINY_TRAIN: readonly string[] = Object.entries({
  netG: "global",
  ngf: "4",
  n_downsample_global: "2",
  n_blocks_global: "1",
  ndf: "4",
  n_layers_D: "1",
  num_D: "1",
  max_dataset_size: "2",
  niter_decay: "0",
  lr: "0.002",
}).flatMap(([k, v]) => [`--${k}`, v]).concat(["--no_vgg_loss", "--no_html"]);

/** The shared run's flags: E trained with G for 2 epochs. */
const TRAIN = [
  ...TINY_TRAIN,
  "--instance_feat",
  "--nef",
  "4",
  "--n_downsample_E",
  "2",
  "--niter",
  "2",
]; // deno-fmt-ignore // deno-fmt-ignore

/** Where the shared run lives. */
export interface FeatureRun {
  /** A temporary copy of fixtures/data/city. */
  dataroot: string;
  /** The checkpoints folder (the run is `feat`). */
  checkpoints: string;
  /** `cli/encode.ts`'s result, 3 clusters per class. */
  encoded: EncodeResult;
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(join(from, e.name), join(to, e.name));
    else if (e.isFile) await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

let made: Promise<FeatureRun> | undefined;

/** The shared run (trained and encoded on first use; removed when the process exits). */
export function featureRun(): Promise<FeatureRun> {
  made ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "pix2pixhd_feat_" });
    globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
    const partial = { dataroot: join(root, "city"), checkpoints: join(root, "checkpoints") };
    await copyDir(city, partial.dataroot);
    const base = featureArgs(partial);
    await train(parseOptions("train", [...base, ...TRAIN]), { print: () => {}, progress: false });
    const encoded = await encode(
      parseOptions("encode", [...base, "--n_clusters", "3", "--max_dataset_size", "4"]),
      { print: () => {} },
    );
    return { ...partial, encoded };
  })();
  return made;
}

/**
 * Writes the run's clusters as `name` in its checkpoint folder with centres spread over
 * [-1, 1], and returns the file's path. The tiny run's E is barely trained, so its centres lie
 * within 0.01 of each other and a style change would be invisible; these keep its classes.
 */
export async function writeSpreadClusters(run: FeatureRun, name: string): Promise<string> {
  const encoded = JSON.parse(await Deno.readTextFile(run.encoded.clusters));
  const spread = [[1, 1, 1], [-1, -1, -1], [1, -1, 0]];
  for (const label of Object.keys(encoded.labels)) {
    encoded.labels[label] = spread.slice(0, encoded.labels[label].length);
  }
  const path = join(run.checkpoints, "feat", name);
  await Deno.writeTextFile(path, JSON.stringify(encoded));
  return path;
}
