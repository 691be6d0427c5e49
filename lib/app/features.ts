/**
 * The instance features around G: E's pooled features of a batch, the run's feature clusters
 * (read from the open JSON format or from pix2pixHD's pickled `.npy`), and G's photo for a
 * label map, instance map and feature map, all without recording any tape.
 *
 * @module
 */

import { join } from "node:path";
import type { Batch } from "../data/batch.ts";
import { type FeatureClusters, parseClusters } from "../features/clusters.ts";
import { uniqueIds } from "../ops/instance_pool.ts";
import { rgbToFloat } from "../ops/rgb_to_float.ts";
import type { Encoder } from "../pix2pixhd/networks/encoder.ts";
import type { InputOptions } from "../pix2pixhd/input.ts";
import { noGrad } from "../tensor/autograd.ts";
import { Tensor, tidy } from "../tensor/tensor.ts";
import type { Options } from "./options.ts";

/** Options of the feature helpers: the input layout and what E pools over. */
export interface FeatureOptions extends InputOptions {
  /** E pools over the label map instead of the instance map (`--label_feat`). */
  labelFeat?: boolean;
}

/** The input options of parsed flags. */
export function featureOptions(o: Options): FeatureOptions {
  return {
    labelNc: o.label_nc,
    noInstance: o.no_instance,
    labelFeat: o.label_feat,
  };
}

/** The map E pools over for the first sample of a batch: instance ids, or label ids. */
export function poolingIds(batch: Batch, labelFeat = false): Int32Array {
  const n = batch.width * batch.height;
  if (labelFeat) {
    if (batch.labelChannels !== 1) {
      throw new TypeError(
        "Cannot pool over labels as --label_feat needs label ids: current value is RGB label images",
      );
    }
    return Int32Array.from(batch.label.subarray(0, n));
  }
  if (!batch.inst) {
    throw new TypeError(
      "Cannot pool over instances as the batch has no instance maps: current value is none (use --label_feat with --no_instance)",
    );
  }
  return batch.inst.subarray(0, n);
}

/**
 * E's features of a batch's first photo, averaged over each instance (or label with
 * `labelFeat`): `feat_num` planes of `width × height`, and the id map pooled over.
 */
export async function encodeBatch(
  netE: Encoder,
  batch: Batch,
  options: FeatureOptions,
): Promise<{ pooled: Float32Array; ids: Int32Array }> {
  if (!batch.image) {
    throw new TypeError(
      `Cannot encode ${batch.entries[0]?.label} as the batch has no photo: current value is none`,
    );
  }
  const ids = poolingIds(batch, options.labelFeat);
  const { width: w, height: h } = batch;
  const features = noGrad(() =>
    tidy(() => {
      const image = rgbToFloat(batch.image!.subarray(0, 3 * w * h), [1, h, w]);
      const map = Tensor.from(ids, [1, 1, h, w]);
      return netE.forward(image, map, uniqueIds(ids));
    })
  );
  try {
    return { pooled: await features.floats(), ids };
  } finally {
    features.dispose();
  }
}

/** `features_clustered_<n_clusters, 3 digits>`: the clusters' file name without extension. */
export function clusterStem(nClusters: number): string {
  return `features_clustered_${String(nClusters).padStart(3, "0")}`;
}

/**
 * The one set of clusters in a run folder (`features_clustered_<n>.json`, else its `.npy`), or
 * undefined when there is none; an error naming them when there are several.
 */
async function onlyClusters(dir: string): Promise<string | undefined> {
  const found = new Map<string, string>();
  try {
    for await (const e of Deno.readDir(dir)) {
      const m = /^(features_clustered_\d+)\.(json|npy)$/.exec(e.name);
      if (!e.isFile || !m) continue;
      if (m[2] === "json" || !found.has(m[1])) found.set(m[1], e.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  if (found.size > 1) {
    throw new TypeError(
      `Cannot choose the run's clusters as ${dir} holds ${
        [...found.values()].sort().join(", ")
      }: pass --n_clusters or --cluster_path to name one`,
    );
  }
  const [name] = found.values();
  return name === undefined ? undefined : join(dir, name);
}

/**
 * Reads feature clusters: JSON as `cli/encode.ts` writes it, or pix2pixHD's pickled `.npy`
 * (by extension). Errors name the file.
 */
export async function readClusters(path: string): Promise<FeatureClusters> {
  return parseClusters(await Deno.readFile(path), path);
}

/**
 * The run's clusters: `--cluster_path` in the run's folder when given, else
 * `features_clustered_<n_clusters>.json`, else the `.npy` of that name; with neither there and
 * `--n_clusters` not in `given`, the one set of clusters `cli/encode.ts` wrote in the folder
 * (several are an error naming them). Checks that their length is `--feat_num`.
 */
export async function readRunClusters(
  o: Options,
  dir: string,
  given: ReadonlySet<string> = new Set(),
): Promise<{ clusters: FeatureClusters; path: string }> {
  const stem = join(dir, clusterStem(o.n_clusters));
  const candidates = o.cluster_path ? [join(dir, o.cluster_path)] : [`${stem}.json`, `${stem}.npy`];
  let path: string | undefined;
  for (const c of candidates) {
    if (await Deno.stat(c).then(() => true, () => false)) {
      path = c;
      break;
    }
  }
  if (!path && !o.cluster_path && !given.has("n_clusters")) path = await onlyClusters(dir);
  if (!path) {
    throw new Deno.errors.NotFound(
      `Cannot synthesize with features as no clusters were found at ${
        candidates.join(" or ")
      } (run cli/encode.ts first, or pass --cluster_path)`,
    );
  }
  const clusters = await readClusters(path);
  if (clusters.featNum !== o.feat_num) {
    throw new RangeError(
      `Cannot use ${path} as its features have ${clusters.featNum} values and --feat_num is ${o.feat_num}`,
    );
  }
  return { clusters, path };
}
