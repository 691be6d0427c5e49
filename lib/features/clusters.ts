/**
 * Instance features and their clusters, as pix2pixHD's `encode_features.py` and
 * `sample_features` use them: one feature vector and area per instance of an encoded image,
 * K-means per class over the instances that are large enough, and feature maps painted from
 * one chosen cluster centre per instance. Everything here runs on the CPU.
 *
 * @module
 */

import { kmeans } from "ml-kmeans";
import { instanceLabel } from "../data/convert.ts";
import { parseClusterNpy } from "../io/npy.ts";
import { mixSeed, Rng } from "../data/rng.ts";

export { instanceLabel };

/** One instance's encoded feature. */
export interface InstanceFeature {
  /** The instance id. */
  id: number;
  /** Its class ({@linkcode instanceLabel}). */
  label: number;
  /** The feature vector (`feat_num` numbers). */
  feature: number[];
  /** Its pixels over `H·W // 32`, as pix2pixHD's area ratio. */
  area: number;
}

function checkMap(ids: ArrayLike<number>, width: number, height: number, what: string): void {
  if (ids.length !== width * height) {
    throw new RangeError(
      `Cannot read ${what} as it must have ${width}×${height} = ${
        width * height
      } ids: current length is ${ids.length}`,
    );
  }
}

/**
 * The feature of every instance of one encoded image: `pooled` holds E's pooled output
 * (`featNum` planes of `width × height`, constant over each instance), `ids` the map it was
 * pooled over. As pix2pixHD, the feature is read at the instance's middle pixel in raster order
 * and the area is its pixel count over `H·W // 32`. Instances come in increasing id order.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { instanceFeatures } from "./clusters.ts";
 *
 * const pooled = new Float32Array([0.5, 0.5, -1, -1]); // one channel of a 4×1 image
 * const found = instanceFeatures(pooled, new Int32Array([26001, 26001, 7, 7]), 4, 1, 1);
 * deepEqual(found.map((f) => [f.id, f.label, f.feature[0]]), [[7, 7, -1], [26001, 26, 0.5]]);
 * ```
 */
export function instanceFeatures(
  pooled: ArrayLike<number>,
  ids: ArrayLike<number>,
  width: number,
  height: number,
  featNum: number,
): InstanceFeature[] {
  const plane = width * height;
  checkMap(ids, width, height, "the instance map");
  if (pooled.length !== featNum * plane) {
    throw new RangeError(
      `Cannot read the features as they must be ${featNum}×${height}×${width}: current length is ${pooled.length}`,
    );
  }
  const pixels = new Map<number, number[]>();
  for (let p = 0; p < plane; p++) {
    const list = pixels.get(ids[p]);
    if (list) list.push(p);
    else pixels.set(ids[p], [p]);
  }
  const block = Math.floor(plane / 32) || 1;
  return [...pixels.keys()].sort((a, b) => a - b).map((id) => {
    const where = pixels.get(id)!;
    const middle = where[Math.floor(where.length / 2)];
    const feature = Array.from({ length: featNum }, (_, k) => pooled[k * plane + middle]);
    return { id, label: instanceLabel(id), feature, area: where.length / block };
  });
}

/** Cluster centres per class: `centres.get(label)` is k rows of `featNum` numbers. */
export interface FeatureClusters {
  /** The feature vector length. */
  featNum: number;
  /** Class id to its cluster centres. */
  centres: Map<number, number[][]>;
}

/** Options of {@linkcode clusterFeatures}. */
export interface ClusterOptions {
  /** Clusters per class at most (`--n_clusters`, default 10). */
  nClusters?: number;
  /** Seed of the K-means initialisations (default 0). */
  seed?: number;
  /** Instances with an area ratio at or below this are left out (pix2pixHD: 0.5). */
  minArea?: number;
  /** K-means runs per class; the one with the least inertia is kept (default 10). */
  runs?: number;
}

function inertia(rows: number[][], centres: number[][], assignment: number[]): number {
  let sum = 0;
  rows.forEach((row, i) => {
    const c = centres[assignment[i]];
    for (let k = 0; k < row.length; k++) sum += (row[k] - c[k]) ** 2;
  });
  return sum;
}

/**
 * K-means per class, as `encode_features.py`: for each class, the features of instances with an
 * area ratio above `minArea` are clustered into `min(count, nClusters)` centres (k-means++
 * initialisations seeded from `seed` and the class; the best of `runs`). Classes with no such
 * instance get no centres. The same features and options give the same centres.
 */
export function clusterFeatures(
  features: readonly InstanceFeature[],
  featNum: number,
  options: ClusterOptions = {},
): FeatureClusters {
  const { nClusters = 10, seed = 0, minArea = 0.5, runs = 10 } = options;
  if (!Number.isInteger(nClusters) || nClusters < 1) {
    throw new RangeError(
      `Cannot cluster the features as n_clusters must be a positive integer: current value is ${nClusters}`,
    );
  }
  const byLabel = new Map<number, number[][]>();
  for (const f of features) {
    if (f.feature.length !== featNum) {
      throw new RangeError(
        `Cannot cluster the feature of instance ${f.id} as it must have ${featNum} values: current length is ${f.feature.length}`,
      );
    }
    if (!(f.area > minArea)) continue;
    const rows = byLabel.get(f.label) ?? [];
    rows.push(f.feature);
    byLabel.set(f.label, rows);
  }
  const centres = new Map<number, number[][]>();
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const rows = byLabel.get(label)!;
    const k = Math.min(rows.length, nClusters);
    let best: { centroids: number[][]; cost: number } | undefined;
    for (let run = 0; run < runs; run++) {
      const result = kmeans(rows, k, {
        initialization: "kmeans++",
        seed: mixSeed(seed, label, run),
        maxIterations: 300,
      });
      const cost = inertia(rows, result.centroids, result.clusters);
      if (!best || cost < best.cost) best = { centroids: result.centroids, cost };
    }
    centres.set(label, best!.centroids);
  }
  return { featNum, centres };
}

/** The tag of the clusters' JSON file. */
export const CLUSTERS_FORMAT = "pix2pixhd-feature-clusters";

/** The clusters as JSON: `{ format, feat_num, labels: { "<label>": [[...], ...] } }`. */
export function clustersToJson(clusters: FeatureClusters): string {
  const labels: Record<string, number[][]> = {};
  for (const [label, rows] of clusters.centres) labels[String(label)] = rows;
  return JSON.stringify({ format: CLUSTERS_FORMAT, feat_num: clusters.featNum, labels }) + "\n";
}

function isRows(value: unknown, featNum: number): value is number[][] {
  return Array.isArray(value) && value.length > 0 &&
    value.every((row) =>
      Array.isArray(row) && row.length === featNum &&
      row.every((x) => typeof x === "number" && Number.isFinite(x))
    );
}

/** Reads {@linkcode clustersToJson}'s text; errors name `what` and the offending entry. */
export function clustersFromJson(text: string, what: string): FeatureClusters {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(
      `Cannot read ${what} as it must be JSON: ${(error as Error).message}`,
    );
  }
  const o = parsed as { format?: unknown; feat_num?: unknown; labels?: unknown };
  if (typeof o !== "object" || o === null || o.format !== CLUSTERS_FORMAT) {
    throw new TypeError(
      `Cannot read ${what} as its "format" must be "${CLUSTERS_FORMAT}": current value is ${
        JSON.stringify(o?.format)
      }`,
    );
  }
  const featNum = o.feat_num;
  if (!Number.isInteger(featNum) || (featNum as number) < 1) {
    throw new TypeError(
      `Cannot read ${what} as "feat_num" must be a positive integer: current value is ${
        JSON.stringify(featNum)
      }`,
    );
  }
  if (typeof o.labels !== "object" || o.labels === null || Array.isArray(o.labels)) {
    throw new TypeError(`Cannot read ${what} as "labels" must be an object of label ids`);
  }
  const centres = new Map<number, number[][]>();
  for (const [key, rows] of Object.entries(o.labels)) {
    const label = Number(key);
    if (!/^\d+$/.test(key)) {
      throw new TypeError(
        `Cannot read ${what} as every label must be a non-negative integer: current value is "${key}"`,
      );
    }
    if (!isRows(rows, featNum as number)) {
      throw new TypeError(
        `Cannot read ${what} as label ${key} must hold rows of ${featNum} finite numbers`,
      );
    }
    centres.set(label, rows);
  }
  return { featNum: featNum as number, centres };
}

/** A centre picked per instance id. */
/**
 * Feature clusters from a file's bytes: pix2pixHD's pickled `.npy` when `name` ends in `.npy`,
 * else JSON as {@linkcode clustersToJson} writes it. Errors name `name`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { clustersToJson, parseClusters } from "./clusters.ts";
 *
 * const json = clustersToJson({ featNum: 2, centres: new Map([[26, [[0.5, -0.5]]]]) });
 * const clusters = parseClusters(new TextEncoder().encode(json), "clusters.json");
 * equal(clusters.centres.get(26)?.[0][1], -0.5);
 * ```
 */
export function parseClusters(bytes: Uint8Array, name: string): FeatureClusters {
  if (name.endsWith(".npy")) {
    const centres = parseClusterNpy(bytes, name);
    const first = centres.values().next().value;
    if (!first) {
      throw new RangeError(`Cannot use ${name} as it holds no clusters: current value is {}`);
    }
    return { featNum: first[0].length, centres };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SyntaxError(`Cannot read ${name} as its bytes are not UTF-8 JSON`);
  }
  return clustersFromJson(text, name);
}

/** The cluster chosen per class: label id → cluster index. */
export type ClusterChoice = Map<number, number>;

/** Options of {@linkcode chooseClusters}. */
export interface ChooseOptions {
  /** Seed of the random picks (default 0). Each id's pick depends only on the seed and the id. */
  seed?: number;
  /** Picks given per instance id; they must exist for the id's class. */
  given?: ReadonlyMap<number, number>;
}

/**
 * A cluster for each instance of `ids` whose class has centres: the given one, else one drawn
 * uniformly with a generator seeded from `seed` and the id (so that an edit elsewhere does not
 * change an object's style).
 */
export function chooseClusters(
  clusters: FeatureClusters,
  ids: ArrayLike<number>,
  options: ChooseOptions = {},
): ClusterChoice {
  const { seed = 0, given } = options;
  const choice: ClusterChoice = new Map();
  for (const id of new Set(Array.from(ids))) {
    const rows = clusters.centres.get(instanceLabel(id));
    if (!rows) continue;
    const pick = given?.get(id);
    if (pick !== undefined) {
      if (!Number.isInteger(pick) || pick < 0 || pick >= rows.length) {
        throw new RangeError(
          `Cannot give instance ${id} cluster ${pick} as class ${
            instanceLabel(id)
          } has clusters 0..${rows.length - 1}`,
        );
      }
      choice.set(id, pick);
    } else choice.set(id, new Rng(mixSeed(seed, id)).int(0, rows.length - 1));
  }
  for (const id of given?.keys() ?? []) {
    if (!choice.has(id)) {
      throw new RangeError(
        `Cannot give instance ${id} a cluster as ${
          clusters.centres.has(instanceLabel(id))
            ? "it is not in the map"
            : `class ${instanceLabel(id)} has no clusters`
        }`,
      );
    }
  }
  return choice;
}

/**
 * The feature map (`featNum` planes of `width × height`) for an id map: each instance painted
 * with a vector, from `vectors` when given for its id, else its chosen cluster's centre; ids
 * with neither are zeros (pix2pixHD leaves them uninitialised).
 */
export function featureMap(
  clusters: FeatureClusters,
  ids: ArrayLike<number>,
  width: number,
  height: number,
  choice: ClusterChoice,
  vectors: ReadonlyMap<number, readonly number[]> = new Map(),
): Float32Array {
  checkMap(ids, width, height, "the instance map");
  const plane = width * height;
  const { featNum } = clusters;
  const out = new Float32Array(featNum * plane);
  const lookup = new Map<number, readonly number[] | undefined>();
  for (let p = 0; p < plane; p++) {
    const id = ids[p];
    let v = lookup.get(id);
    if (!lookup.has(id)) {
      const pick = choice.get(id);
      v = vectors.get(id) ??
        (pick === undefined ? undefined : clusters.centres.get(instanceLabel(id))?.[pick]);
      if (v && v.length !== featNum) {
        throw new RangeError(
          `Cannot paint instance ${id} as its feature must have ${featNum} values: current length is ${v.length}`,
        );
      }
      lookup.set(id, v);
    }
    if (v) { for (let k = 0; k < featNum; k++) out[k * plane + p] = v[k]; }
  }
  return out;
}

/**
 * Parses `--cluster_choice`: comma-separated `id:cluster` pairs, such as `26001:3,7:0`.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { parseClusterChoice } from "./clusters.ts";
 *
 * deepEqual([...parseClusterChoice("26001:3, 7:0")], [[26001, 3], [7, 0]]);
 * ```
 */
export function parseClusterChoice(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const part of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const m = /^(\d+):(\d+)$/.exec(part);
    if (!m) {
      throw new RangeError(
        `Cannot use --cluster_choice as each entry must be instance_id:cluster: current value is '${part}'`,
      );
    }
    if (out.has(Number(m[1]))) {
      throw new RangeError(`Cannot use --cluster_choice as instance ${m[1]} is given twice`);
    }
    out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}
