/**
 * Instance features end to end on a tiny run: `cli/encode.ts`'s features against a float64
 * recomputation from E's raw output, reproducible clusters, `cli/test.ts --instance_feat` with
 * seeded and given clusters and `--use_encoded_image`, feature maps precomputed for
 * `--load_features` and a run trained on them.
 */
import { deepEqual, equal, notDeepEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { networkPath } from "../lib/app/checkpoints.ts";
import { loadNetwork } from "../lib/app/checkpoints.ts";
import { encode, featureMapImage } from "../lib/app/encode.ts";
import { readRunClusters } from "../lib/app/features.ts";
import { buildE, transformOptions } from "../lib/app/model.ts";
import { parseOptions } from "../lib/app/options.ts";
import { test } from "../lib/app/test.ts";
import { train } from "../lib/app/train.ts";
import { listDataset } from "../lib/data/layout.ts";
import { decodePng, encodePng } from "../lib/data/png.ts";
import { loadSample } from "../lib/data/sample.ts";
import { instanceLabel } from "../lib/features/clusters.ts";
import { rgbToFloat } from "../lib/ops/rgb_to_float.ts";
import { noGrad } from "../lib/tensor/autograd.ts";
import { gpu } from "./check.ts";
import { featureArgs, featureRun, TINY_TRAIN } from "./feature_run.ts";

const quiet = { print: () => {} };

Deno.test("cli/encode.ts: every instance's feature is E's float64 mean; clusters reproducible", async () => {
  await gpu();
  const run = await featureRun();
  const dir = join(run.checkpoints, "feat");
  const features = JSON.parse(await Deno.readTextFile(run.encoded.features));
  equal(features.format, "pix2pixhd-instance-features");
  equal(run.encoded.images, 4);

  // Recompute the first image's features from E's raw (unpooled) output in float64.
  const o = run.encoded.options;
  const netE = buildE(o);
  await loadNetwork(netE, networkPath(dir, "latest", "E"), { strict: true });
  const entries = await listDataset(run.dataroot, { phase: "train", labelNc: 35, image: true });
  let expectedRows = 0;
  const firstRows = new Map<number, number[][]>();
  for (const [i, entry] of entries.slice(0, 4).entries()) {
    const s = await loadSample(entry, {
      labelNc: 35,
      transform: transformOptions(o, false),
      seed: 0,
    });
    const ids = new Set(s.inst!);
    expectedRows += ids.size;
    if (i > 0) continue;
    const raw = noGrad(() => netE.encode(rgbToFloat(s.image!, [1, s.height, s.width])));
    const data = await raw.floats();
    raw.dispose();
    const plane = s.width * s.height;
    for (const id of [...ids].sort((a, b) => a - b)) {
      const mean = [0, 0, 0];
      let n = 0;
      for (let p = 0; p < plane; p++) {
        if (s.inst![p] !== id) continue;
        n++;
        for (let k = 0; k < 3; k++) mean[k] += data[k * plane + p];
      }
      const row = [...mean.map((m) => m / n), n / Math.floor(plane / 32)];
      const list = firstRows.get(instanceLabel(id)) ?? [];
      list.push(row);
      firstRows.set(instanceLabel(id), list);
    }
  }
  netE.dispose();
  const rows = Object.values(features.labels as Record<string, number[][]>).flat();
  equal(rows.length, expectedRows);
  equal(run.encoded.instances, expectedRows);
  for (const [label, want] of firstRows) {
    // The first image's rows come first for each class.
    const got = features.labels[String(label)].slice(0, want.length);
    for (const [r, row] of want.entries()) {
      for (let k = 0; k < 4; k++) {
        ok(Math.abs(got[r][k] - row[k]) < 1e-5, `class ${label} row ${r} value ${k}`);
      }
    }
  }
  // K-means per class: min(large instances, 3) centres, the same on a second run.
  const { clusters } = await readRunClusters(
    parseOptions("test", [...featureArgs(run), "--n_clusters", "3", "--feat_num", "3"]).options,
    dir,
  );
  for (const [label, list] of Object.entries(features.labels as Record<string, number[][]>)) {
    const large = list.filter((r) => r[3] > 0.5).length;
    equal(clusters.centres.get(Number(label))?.length ?? 0, Math.min(large, 3), `class ${label}`);
  }
  const before = await Deno.readTextFile(run.encoded.clusters);
  await encode(
    parseOptions("encode", [...featureArgs(run), "--n_clusters", "3", "--max_dataset_size", "4"]),
    quiet,
  );
  equal(await Deno.readTextFile(run.encoded.clusters), before);
});

Deno.test("cli/test.ts --instance_feat: seeded clusters, given clusters, encoded images", async () => {
  await gpu();
  const run = await featureRun();
  const results = await Deno.makeTempDir();
  try {
    const args = (...extra: string[]) => {
      const i = extra.indexOf("--seed");
      const seed: Record<string, string> = i >= 0 ? { seed: extra.splice(i, 2)[1] } : {};
      return parseOptions("test", [
        ...featureArgs(run, seed),
        "--n_clusters",
        "3",
        "--how_many",
        "1",
        "--results_dir",
        results,
        ...extra,
      ]);
    };
    const read = async (path: string) => decodePng(await Deno.readFile(path)).data;
    const a = await test(args(), quiet);
    const image = await read(a.images[0].synthesized);
    const choices = JSON.parse(await Deno.readTextFile(a.clusterChoices!));
    const name = a.images[0].name;
    const picked = Object.entries(choices[name] as Record<string, number>);
    ok(picked.length > 0, "some instances got a cluster");
    // The same seed gives the same image; another seed other clusters.
    deepEqual(await read((await test(args(), quiet)).images[0].synthesized), image);
    const other = await test(args("--seed", "11"), quiet);
    const otherChoices = JSON.parse(await Deno.readTextFile(other.clusterChoices!))[name];
    notDeepEqual(otherChoices, choices[name]);
    // A given cluster is used; changing one instance's cluster changes the photo.
    const { clusters } = await readRunClusters(a.options, join(run.checkpoints, "feat"));
    const [id, k] = picked.find(([id]) =>
      clusters.centres.get(instanceLabel(Number(id)))!.length > 1
    )!;
    const k2 = (k + 1) % clusters.centres.get(instanceLabel(Number(id)))!.length;
    const given = await test(args("--cluster_choice", `${id}:${k2}`), quiet);
    equal(JSON.parse(await Deno.readTextFile(given.clusterChoices!))[name][id], k2);
    notDeepEqual(await read(given.images[0].synthesized), image);
    await rejects(() => test(args("--cluster_choice", `${id}:7`), quiet), /clusters 0\.\.\d/);
    // --use_encoded_image: E's features of the real photo.
    const encoded = await test(args("--use_encoded_image"), quiet);
    equal(encoded.clusterChoices, undefined);
    notDeepEqual(await read(encoded.images[0].synthesized), image);
    await rejects(
      () => test(args("--cluster_path", "missing.json"), quiet),
      /no clusters were found at .*missing\.json/,
    );
  } finally {
    await Deno.remove(results, { recursive: true });
  }
});

Deno.test("precomputed feature maps: encode writes them, training with --load_features reads them", async () => {
  await gpu();
  const run = await featureRun();
  const r = await encode(
    parseOptions("encode", [
      ...featureArgs(run),
      "--n_clusters",
      "3",
      "--precompute_feature_maps",
      "--feature_scale",
      "1",
    ]),
    quiet,
  );
  equal(r.featureMaps.length, 16); // every training image, as the loader pairs them all
  const png = decodePng(await Deno.readFile(r.featureMaps[0]));
  deepEqual([png.width, png.height, png.channels], [256, 128, 3]);
  // tensor2im's quantisation, and nearest upsampling (each 2×2 block is one encoded pixel).
  const planar = Float32Array.from([-1, 0, 1, 0.5, -0.5, 1.2]); // R, G, B planes of 2×1
  deepEqual([...featureMapImage(planar, 2, 1, 1)], [0, 255, 63, 127, 191, 255]);
  const up = featureMapImage(planar, 2, 1, 2);
  deepEqual([...up.subarray(0, 12)], [0, 255, 63, 0, 255, 63, 127, 191, 255, 127, 191, 255]);
  deepEqual([...up.subarray(12)], [...up.subarray(0, 12)]);
  const trained = await train(
    parseOptions("train", [
      ...featureArgs(run, { name: "loaded" }),
      ...TINY_TRAIN,
      "--instance_feat",
      "--load_features",
      "--niter",
      "1",
    ]),
    { print: () => {}, progress: false },
  );
  equal(trained.steps, 2);
  const files = [...Deno.readDirSync(join(run.checkpoints, "loaded"))].map((e) => e.name);
  ok(files.includes("latest_net_G.pth"));
  ok(!files.includes("latest_net_E.pth"), "no encoder is trained with --load_features");
  await Deno.remove(join(run.dataroot, "train_feat"), { recursive: true });
  await rejects(
    () =>
      train(
        parseOptions("train", [
          ...featureArgs(run, { name: "x" }),
          "--instance_feat",
          "--load_features",
          "--no_vgg_loss",
          "--max_dataset_size",
          "1",
        ]),
        { print: () => {}, progress: false },
      ),
    /feat/,
  );
});

Deno.test("cli/encode.ts refuses instance ids whose class is outside label_nc, naming the map", async () => {
  await gpu();
  const run = await featureRun();
  const inst = join(run.dataroot, "train_inst", "synth_000001_000019_gtFine_instanceIds.png");
  const original = await Deno.readFile(inst);
  const before = await Deno.readTextFile(run.encoded.features);
  try {
    const map = decodePng(original);
    const ids = Uint16Array.from(map.data);
    ids.fill(65001, 0, 64); // class 65 in the first row
    await Deno.writeFile(inst, encodePng({ ...map, data: ids }));
    await rejects(
      encode(
        parseOptions("encode", [
          ...featureArgs(run),
          "--n_clusters",
          "3",
          "--max_dataset_size",
          "4",
        ]),
        quiet,
      ),
      (e: Error) =>
        e.message.startsWith(
          `Cannot encode ${inst} as instance ids 65001 have classes outside 0..34`,
        ),
    );
    equal(await Deno.readTextFile(run.encoded.features), before, "features.json is left as it was");
  } finally {
    await Deno.writeFile(inst, original);
  }
});

Deno.test("cli/test.ts remembers the run: its transform and its only clusters without flags", async () => {
  await gpu();
  const run = await featureRun();
  const results = await Deno.makeTempDir();
  try {
    const read = async (path: string) => decodePng(await Deno.readFile(path)).data;
    const common = ["--dataroot", run.dataroot, "--checkpoints_dir", run.checkpoints];
    const bare = parseOptions("test", [
      ...common,
      "--name",
      "feat",
      "--nThreads",
      "0",
      "--seed",
      "3",
      "--how_many",
      "1",
      "--results_dir",
      results,
    ]);
    equal(bare.options.loadSize, 1024);
    equal(bare.options.n_clusters, 10);
    const remembered = await test(bare, quiet);
    equal(remembered.options.loadSize, 256);
    equal(remembered.options.resize_or_crop, "scale_width");
    equal(remembered.options.instance_feat, true);
    const full = await test(
      parseOptions("test", [
        ...featureArgs(run),
        "--n_clusters",
        "3",
        "--how_many",
        "1",
        "--results_dir",
        join(results, "full"),
      ]),
      quiet,
    );
    deepEqual(
      await read(remembered.images[0].synthesized),
      await read(full.images[0].synthesized),
    );
    // A flag given that contradicts the run is refused, naming both values.
    await rejects(
      () => test(parseOptions("test", [...featureArgs(run, { loadSize: "512" })]), quiet),
      /--loadSize 512 \(trained with 256\)/,
    );
    // --n_clusters given names its file: no other is taken in its place.
    await rejects(
      () => test(parseOptions("test", [...featureArgs(run), "--n_clusters", "5"]), quiet),
      /features_clustered_005\.json/,
    );
    // Two sets of clusters in the folder: the error names them.
    const two = join(results, "two");
    await Deno.mkdir(two);
    await Deno.copyFile(run.encoded.clusters, join(two, "features_clustered_003.json"));
    const only = await readRunClusters(bare.options, two);
    equal(only.path, join(two, "features_clustered_003.json"));
    await Deno.writeTextFile(join(two, "features_clustered_004.npy"), "");
    await rejects(
      () => readRunClusters(bare.options, two),
      /holds features_clustered_003\.json, features_clustered_004\.npy: pass --n_clusters/,
    );
  } finally {
    await Deno.remove(results, { recursive: true });
  }
});
