import { deepEqual, equal, notDeepEqual, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import { readNpy } from "../../tests/npy.ts";
import {
  chooseClusters,
  clusterFeatures,
  clustersFromJson,
  clustersToJson,
  featureMap,
  type InstanceFeature,
  instanceFeatures,
  instanceLabel,
  parseClusterChoice,
} from "./clusters.ts";

const tiny = join(import.meta.dirname!, "..", "..", "..", "shared", "golden", "tiny");
const haveGolden = await Deno.stat(tiny).then(() => true, () => false);

Deno.test("instanceLabel: Cityscapes ids below 1000 are classes, above are class*1000+n", () => {
  deepEqual([0, 7, 999, 1000, 26001, 33999].map(instanceLabel), [0, 7, 999, 1, 26, 33]);
});

Deno.test("instanceFeatures: middle pixel in raster order and pix2pixHD's area ratio", () => {
  // 8×4 image, 2 channels; instance 5 covers pixels 0..3 with different values so the middle
  // pixel (index 2 of 4) is observable; instance 26001 covers the rest.
  const w = 8, h = 4, plane = w * h;
  const ids = new Int32Array(plane).fill(26001);
  ids.set([5, 5, 5, 5], 0);
  const pooled = new Float32Array(2 * plane);
  for (let p = 0; p < plane; p++) pooled[p] = p, pooled[plane + p] = -p;
  const found = instanceFeatures(pooled, ids, w, h, 2);
  equal(found.length, 2);
  deepEqual(found[0], { id: 5, label: 5, feature: [2, -2], area: 4 / (plane / 32) });
  // 28 pixels 4..31: the middle is the 14th, pixel 18.
  deepEqual(found[1], { id: 26001, label: 26, feature: [18, -18], area: 28 / (plane / 32) });
  throws(() => instanceFeatures(pooled, ids, 8, 5, 2), /instance map.*40/);
  throws(() => instanceFeatures(pooled, ids, 8, 4, 3), /3×4×8/);
});

Deno.test({
  name: "instanceFeatures on the golden encoder output: each feature is E's mean over the instance",
  ignore: !haveGolden,
  fn: async () => {
    const raw = await readNpy(join(tiny, "encoder", "E_raw_output.npy"));
    const pooled = await readNpy(join(tiny, "encoder", "E_pooled_output.npy"));
    const inst = await readNpy(join(tiny, "encoder", "E_input_inst.npy"));
    const [, c, h, w] = raw.shape;
    const plane = h * w;
    const found = instanceFeatures(pooled.data, inst.data, w, h, c);
    const counts = new Map<number, number>();
    for (const id of inst.data) counts.set(id, (counts.get(id) ?? 0) + 1);
    deepEqual(found.map((f) => f.id), [...counts.keys()].sort((a, b) => a - b));
    for (const f of found) {
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let p = 0; p < plane; p++) if (inst.data[p] === f.id) sum += raw.data[k * plane + p];
        const mean = sum / counts.get(f.id)!;
        ok(Math.abs(f.feature[k] - mean) < 1e-5, `instance ${f.id} channel ${k}`);
      }
      equal(f.area, counts.get(f.id)! / Math.floor(plane / 32));
    }
  },
});

function feature(id: number, v: number[], area = 1): InstanceFeature {
  return { id, label: instanceLabel(id), feature: v, area };
}

Deno.test("clusterFeatures: K-means per class finds separated groups, drops small instances", () => {
  const features: InstanceFeature[] = [];
  const groups = [[-0.8, 0.1], [0.2, 0.7], [0.9, -0.5]];
  let n = 0;
  for (const [g, centre] of groups.entries()) {
    for (let i = 0; i < 5; i++) {
      const jitter = (i - 2) * 0.01;
      features.push(feature(26000 + n++, [centre[0] + jitter, centre[1] - jitter]));
    }
    features.push(feature(26100 + g, [5, 5], 0.5)); // area 0.5 is not > 0.5: dropped
  }
  features.push(feature(7, [0.3, 0.3]), feature(7, [0.5, 0.1])); // road: 2 rows, k = 2
  features.push(feature(11, [0, 0], 0.1)); // building: only a small instance, no centres
  const clusters = clusterFeatures(features, 2, { nClusters: 3, seed: 1 });
  deepEqual([...clusters.centres.keys()], [7, 26]);
  const cars = clusters.centres.get(26)!.map((r) => r.map((x) => Math.round(x * 1e6) / 1e6));
  cars.sort((a, b) => a[0] - b[0]);
  deepEqual(cars, groups);
  const road = clusters.centres.get(7)!.toSorted((a, b) => a[0] - b[0]);
  deepEqual(road, [[0.3, 0.3], [0.5, 0.1]]);
  // Reproducible: the same seed gives the same centres in the same order.
  deepEqual(clusterFeatures(features, 2, { nClusters: 3, seed: 1 }), clusters);
  throws(() => clusterFeatures(features, 3), /instance 26000.*3 values/);
  throws(() => clusterFeatures(features, 2, { nClusters: 0 }), /n_clusters/);
});

Deno.test("clusterFeatures: matches a float64 Lloyd reference on overlapping data", () => {
  // Overlapping points: the result must be a fixed point of Lloyd's algorithm (each centre the
  // mean of the points nearest to it) with no worse inertia than the reference's best start.
  let s = 3;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const rows = Array.from({ length: 60 }, () => [rand(), rand(), rand()]);
  const clusters = clusterFeatures(rows.map((r, i) => feature(24000 + i, r)), 3, {
    nClusters: 4,
  });
  const centres = clusters.centres.get(24)!;
  equal(centres.length, 4);
  const nearest = (r: number[], cs: number[][]) => {
    let best = 0;
    const d = (c: number[]) => c.reduce((acc, x, k) => acc + (x - r[k]) ** 2, 0);
    cs.forEach((c, j) => d(c) < d(cs[best]) && (best = j));
    return best;
  };
  const cost = (cs: number[][]) =>
    rows.reduce(
      (acc, r) => acc + cs[nearest(r, cs)].reduce((a, x, k) => a + (x - r[k]) ** 2, 0),
      0,
    );
  centres.forEach((c, j) => {
    const mine = rows.filter((r) => nearest(r, centres) === j);
    ok(mine.length > 0);
    for (let k = 0; k < 3; k++) {
      const mean = mine.reduce((acc, r) => acc + r[k], 0) / mine.length;
      ok(Math.abs(c[k] - mean) < 1e-9, `centre ${j} channel ${k}: ${c[k]} vs ${mean}`);
    }
  });
  // Reference: Lloyd from the first 4 distinct points (float64).
  let ref = rows.slice(0, 4).map((r) => [...r]);
  for (let it = 0; it < 100; it++) {
    ref = ref.map((c, j) => {
      const mine = rows.filter((r) => nearest(r, ref) === j);
      return mine.length
        ? [0, 1, 2].map((k) => mine.reduce((a, r) => a + r[k], 0) / mine.length)
        : c;
    });
  }
  ok(cost(centres) <= cost(ref) + 1e-9, `${cost(centres)} vs ${cost(ref)}`);
});

Deno.test("clusters JSON: round trip and errors naming the file and entry", () => {
  const clusters = { featNum: 2, centres: new Map([[7, [[0.25, -1]]], [26, [[0, 0], [1, 0.5]]]]) };
  deepEqual(clustersFromJson(clustersToJson(clusters), "c.json"), clusters);
  throws(() => clustersFromJson("{", "c.json"), /c\.json as it must be JSON/);
  throws(() => clustersFromJson('{"format":"x"}', "c.json"), /"format" must be/);
  const text = (labels: unknown, featNum: unknown = 2) =>
    JSON.stringify({ format: "pix2pixhd-feature-clusters", feat_num: featNum, labels });
  throws(() => clustersFromJson(text({}, 0), "c.json"), /feat_num/);
  throws(() => clustersFromJson(text({ car: [[1, 2]] }), "c.json"), /"car"/);
  throws(() => clustersFromJson(text({ 26: [[1, 2, 3]] }), "c.json"), /label 26.*2 finite/);
  throws(() => clustersFromJson(text({ 26: [] }), "c.json"), /label 26/);
});

Deno.test("chooseClusters: seeded per id, given picks checked, classes without centres skipped", () => {
  const clusters = {
    featNum: 1,
    centres: new Map([[26, Array.from({ length: 10 }, (_, k) => [k / 10])], [7, [[0.5]]]]),
  };
  const ids = [7, 26001, 26002, 26003, 11];
  const a = chooseClusters(clusters, ids, { seed: 4 });
  deepEqual([...a.keys()].sort(), [26001, 26002, 26003, 7].sort());
  equal(a.get(7), 0);
  deepEqual(chooseClusters(clusters, ids, { seed: 4 }), a);
  // One id's pick does not depend on which other ids are present.
  equal(chooseClusters(clusters, [26002], { seed: 4 }).get(26002), a.get(26002));
  const many = Array.from({ length: 40 }, (_, i) => 26000 + i);
  notDeepEqual(chooseClusters(clusters, many, { seed: 4 }), chooseClusters(clusters, many));
  equal(chooseClusters(clusters, ids, { given: new Map([[26001, 9]]) }).get(26001), 9);
  throws(() => chooseClusters(clusters, ids, { given: new Map([[26001, 10]]) }), /0\.\.9/);
  throws(() => chooseClusters(clusters, ids, { given: new Map([[11, 0]]) }), /class 11 has no/);
  throws(() => chooseClusters(clusters, ids, { given: new Map([[26009, 0]]) }), /not in the map/);
});

Deno.test("featureMap: centres painted per instance, vectors override, zeros elsewhere", () => {
  const clusters = { featNum: 2, centres: new Map([[26, [[1, 2], [3, 4]]]]) };
  const ids = [26001, 26002, 7, 26001];
  const map = featureMap(clusters, ids, 2, 2, new Map([[26001, 1], [26002, 0]]));
  deepEqual([...map], [3, 1, 0, 3, 4, 2, 0, 4]);
  const withVector = featureMap(
    clusters,
    ids,
    2,
    2,
    new Map([[26001, 1]]),
    new Map([[7, [-1, -2]]]),
  );
  deepEqual([...withVector], [3, 0, -1, 3, 4, 0, -2, 4]);
  throws(() => featureMap(clusters, ids, 2, 2, new Map(), new Map([[7, [1]]])), /2 values/);
  throws(() => featureMap(clusters, ids, 3, 2, new Map()), /3×2/);
});

Deno.test("parseClusterChoice: id:cluster pairs; bad entries named", () => {
  deepEqual([...parseClusterChoice("")], []);
  deepEqual([...parseClusterChoice("26001:3,7:0")], [[26001, 3], [7, 0]]);
  throws(() => parseClusterChoice("26001=3"), /'26001=3'/);
  throws(() => parseClusterChoice("7:1,7:2"), /instance 7 is given twice/);
});
