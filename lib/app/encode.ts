/**
 * pix2pixHD's `encode_features.py` (and `precompute_feature_maps.py`): E over the training set,
 * one feature vector and area per instance, K-means per class, written beside the checkpoints as
 * `features.json` and `features_clustered_<n_clusters>.json`; optionally E's feature maps as
 * PNGs in `<dataroot>/<phase>_feat` for training a larger model with `--load_features`.
 *
 * Unlike the original, this does not rewrite the run's `opt.txt`, takes the architecture from
 * the run's `opt.json`, and pools over labels with `--label_feat` as training does.
 *
 * @module
 */

import { basename, extname, join } from "node:path";
import {
  clusterFeatures,
  clustersToJson,
  type InstanceFeature,
  instanceFeatures,
} from "../features/clusters.ts";
import { initGpu } from "../gpu/kernel.ts";
import { loadNetwork, networkPath, writeTextAtomic } from "./checkpoints.ts";
import { clusterStem, encodeBatch, featureOptions } from "./features.ts";
import { buildE, openSerial, rememberedOptions, usesFeatures } from "./model.ts";
import type { Options, ParsedOptions } from "./options.ts";
import { writeOutputFile } from "../io/output_file.ts";
import { encodeImage } from "../data/visuals.ts";
import { ProgressLine } from "../io/progress.ts";
import { adapterLine } from "../gpu/device.ts";

/** Options of {@linkcode encode} beyond the flags. */
export interface EncodeHooks {
  /** Where messages go (default `console.log`). */
  print?: (line: string) => void;
  /** A progress line with the time left on stderr (default: when stderr is a terminal). */
  progress?: boolean;
}

/** What {@linkcode encode} wrote. */
export interface EncodeResult {
  /** `features.json`: every instance's feature and area ratio, by class. */
  features: string;
  /** `features_clustered_<n>.json`. */
  clusters: string;
  /** Instances encoded. */
  instances: number;
  /** Images encoded. */
  images: number;
  /** Centres per class. */
  centres: Map<number, number>;
  /** The feature maps written (`--precompute_feature_maps`). */
  featureMaps: string[];
  /** The options used. */
  options: Options;
}

/** The tag of `features.json`. */
export const FEATURES_FORMAT = "pix2pixhd-instance-features";

/**
 * A feature map as pix2pixHD's `tensor2im` saves it: `feat_num` (3) planes in [-1, 1],
 * upsampled `scale` times (nearest), as RGB bytes `(x + 1) / 2 · 255` truncated.
 */
export function featureMapImage(
  planar: Float32Array,
  width: number,
  height: number,
  scale: number,
): Uint8Array {
  const plane = width * height;
  const sw = width * scale;
  const out = new Uint8Array(sw * height * scale * 3);
  for (let y = 0; y < height * scale; y++) {
    const sy = Math.floor(y / scale);
    for (let x = 0; x < sw; x++) {
      const src = sy * width + Math.floor(x / scale);
      for (let c = 0; c < 3; c++) {
        const v = (planar[c * plane + src] + 1) / 2 * 255;
        out[(y * sw + x) * 3 + c] = Math.trunc(Math.min(255, Math.max(0, v)));
      }
    }
  }
  return out;
}

/**
 * Encodes the training set with the run's E and clusters the features; see the module doc.
 */
export async function encode(
  parsed: ParsedOptions,
  hooks: EncodeHooks = {},
): Promise<EncodeResult> {
  const print = hooks.print ?? ((line: string) => console.log(line));
  const { options: o, dir } = await rememberedOptions(parsed, print);
  if (!usesFeatures(o)) {
    throw new TypeError(
      "Cannot encode features as the run has no encoder: current value is neither --instance_feat nor --label_feat",
    );
  }
  if (o.load_features) {
    throw new TypeError(
      "Cannot encode features with --load_features as such a run trains no encoder: current value is set",
    );
  }
  const featNum = o.feat_num;
  const labelNc = o.label_nc;
  if (o.precompute_feature_maps && featNum !== 3) {
    throw new RangeError(
      `Cannot write feature maps as PNGs as they need --feat_num 3: current value is ${featNum}`,
    );
  }
  for (const note of parsed.notes) print(`note: ${note}`);
  const ePath = networkPath(dir, o.which_epoch, "E");
  if (!(await Deno.stat(ePath).then(() => true, () => false))) {
    throw new Deno.errors.NotFound(
      `Cannot encode features as the encoder checkpoint ${ePath} does not exist (train with --instance_feat first, or check --name and --which_epoch)`,
    );
  }

  const rt = await initGpu();
  print(adapterLine(rt.gpu));
  const netE = buildE(o);
  const fo = featureOptions(o);
  try {
    await loadNetwork(netE, ePath, { strict: true });
    print(`loaded ${ePath}`);
    const loader = await openSerial(o, { image: true, limit: o.max_dataset_size });
    const all: InstanceFeature[] = [];
    const featureMaps: string[] = [];
    const featDir = join(o.dataroot, `${o.phase}_feat`);
    if (o.precompute_feature_maps) await Deno.mkdir(featDir, { recursive: true });
    const scale = o.feature_scale;
    let images = 0;
    const bar = new ProgressLine({
      label: "encode",
      total: loader.length,
      enabled: hooks.progress,
    });
    try {
      for await (const batch of loader.epoch(0)) {
        const { pooled, ids } = await encodeBatch(netE, batch, fo);
        const found = instanceFeatures(pooled, ids, batch.width, batch.height, featNum);
        const outside = found.filter((f) => f.label >= labelNc);
        if (labelNc > 0 && outside.length > 0) {
          throw new RangeError(
            `Cannot encode ${batch.entries[0].inst ?? batch.entries[0].label} as instance ids ${
              outside.map((f) => f.id).join(", ")
            } have classes outside 0..${labelNc - 1} (label_nc ${labelNc}): current value is ${
              outside.map((f) => f.label).join(", ")
            }`,
          );
        }
        all.push(...found);
        images++;
        const label = batch.entries[0].label;
        bar.end();
        print(`encoded ${label}: ${found.length} instances`);
        bar.update(images);
        if (o.precompute_feature_maps) {
          const out = join(featDir, `${basename(label, extname(label))}.png`);
          const rgb = featureMapImage(pooled, batch.width, batch.height, scale);
          const png = encodeImage(rgb, batch.width * scale, batch.height * scale, "png");
          await writeOutputFile(out, (write) => write(png));
          featureMaps.push(out);
        }
      }
    } finally {
      bar.end();
      loader.close();
    }
    if (images === 0) {
      throw new RangeError(
        `Cannot cluster features as ${o.dataroot} has no ${o.phase} images: current value is 0`,
      );
    }
    const byLabel: Record<string, number[][]> = {};
    for (const f of all) (byLabel[f.label] ??= []).push([...f.feature, f.area]);
    const featuresPath = join(dir, "features.json");
    await writeTextAtomic(
      featuresPath,
      JSON.stringify({ format: FEATURES_FORMAT, feat_num: featNum, labels: byLabel }) + "\n",
    );
    const clusters = clusterFeatures(all, featNum, {
      nClusters: o.n_clusters,
      seed: o.seed,
    });
    const clustersPath = join(dir, `${clusterStem(o.n_clusters)}.json`);
    await writeTextAtomic(clustersPath, clustersToJson(clusters));
    const centres = new Map([...clusters.centres].map(([k, rows]) => [k, rows.length]));
    print(
      `${all.length} instances of ${images} images; clusters per class: ${
        [...centres].map(([k, n]) => `${k}:${n}`).join(" ")
      }`,
    );
    print(`wrote ${featuresPath} and ${clustersPath}`);
    return {
      features: featuresPath,
      clusters: clustersPath,
      instances: all.length,
      images,
      centres,
      featureMaps,
      options: o,
    };
  } finally {
    netE.dispose();
  }
}
