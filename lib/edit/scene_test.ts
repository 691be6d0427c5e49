import { deepEqual, equal, notDeepEqual, ok, throws } from "node:assert/strict";
import { chooseClusters, type FeatureClusters, featureMap } from "../features/clusters.ts";
import { crop, previewBox } from "./render.ts";
import { Scene, type SceneMaps, type Style } from "./scene.ts";
import { instancesFromLabels } from "./session.ts";

// An 8×6 Cityscapes scene (label_nc 35): sky (23) in rows 0..1, road (7) below, a car 26001 at
// x 1..3, y 2..3 and a car 26003 at x 5..6, y 4..5 (no 26002, so new cars get 26004).
const W = 8, H = 6;
const SKY = 23, ROAD = 7, CAR = 26, TRUCK = 27, PERSON = 24, SIDEWALK = 8;
const CLUSTERS: FeatureClusters = {
  featNum: 2,
  centres: new Map([[CAR, [[1, 2], [3, 4], [5, 6]]], [ROAD, [[0.5, -0.5]]]]),
};

type Pixel = readonly [number, number];

function block(x0: number, y0: number, w: number, h: number): Pixel[] {
  const out: Pixel[] = [];
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) out.push([x, y]);
  return out;
}

/** Sets `pixels` of maps (in place) to a label and instance id; returns the maps. */
function set(maps: SceneMaps, pixels: readonly Pixel[], label: number, inst: number): SceneMaps {
  for (const [x, y] of pixels) {
    maps.label[y * maps.width + x] = label;
    maps.inst[y * maps.width + x] = inst;
  }
  return maps;
}

function baseMaps(): SceneMaps {
  const maps: SceneMaps = {
    width: W,
    height: H,
    label: new Uint8Array(W * H),
    inst: new Int32Array(W * H),
  };
  set(maps, block(0, 0, W, 2), SKY, SKY);
  set(maps, block(0, 2, W, 4), ROAD, ROAD);
  set(maps, block(1, 2, 3, 2), CAR, 26001);
  set(maps, block(5, 4, 2, 2), CAR, 26003);
  return maps;
}

function makeScene(options: { clusters?: boolean; historyLimit?: number; seed?: number } = {}) {
  return new Scene(baseMaps(), {
    labelNc: 35,
    clusters: options.clusters === false ? undefined : CLUSTERS,
    historyLimit: options.historyLimit,
    seed: options.seed ?? 5,
  });
}

/** A copy of everything observable: the maps and the style of every id present or given. */
function snapshot(scene: Scene, ids: number[] = []) {
  const all = [...new Set([...scene.ids(), ...ids])].sort((a, b) => a - b);
  return {
    label: scene.label.slice(),
    inst: scene.inst.slice(),
    styles: all.map((id) => [id, scene.style(id)] as const),
  };
}

function assertMaps(scene: Scene, expected: SceneMaps): void {
  deepEqual(scene.label, expected.label);
  deepEqual(scene.inst, expected.inst);
}

Deno.test("Scene: constructor copies the maps and refuses bad sizes and label ids", () => {
  const maps = baseMaps();
  const scene = new Scene(maps, { labelNc: 35 });
  maps.label.fill(0);
  maps.inst.fill(0);
  assertMaps(scene, baseMaps());
  equal(scene.width, W);
  equal(scene.height, H);
  equal(scene.labelNc, 35);
  equal(scene.clusters, undefined);
  equal(scene.seed, 0);
  equal(scene.canUndo, false);
  equal(scene.canRedo, false);
  deepEqual(scene.ids(), [ROAD, SKY, 26001, 26003]);

  const label = new Uint8Array(6), inst = new Int32Array(6);
  for (const [width, height] of [[0, 6], [6, 0], [-2, -3], [1.5, 4], [NaN, 6]]) {
    throws(
      () => new Scene({ width, height, label, inst }, { labelNc: 35 }),
      { name: "RangeError", message: /size must be positive integers/ },
    );
  }
  throws(
    () => new Scene({ width: 3, height: 2, label: new Uint8Array(5), inst }, { labelNc: 35 }),
    { name: "RangeError", message: /label map must have 3×2 values: current length is 5/ },
  );
  throws(
    () => new Scene({ width: 3, height: 2, label, inst: new Int32Array(7) }, { labelNc: 35 }),
    { name: "RangeError", message: /instance map must have 3×2 values: current length is 7/ },
  );
  const bad = new Uint8Array([0, 1, 2, 3, 35, 0]);
  throws(
    () => new Scene({ width: 3, height: 2, label: bad, inst }, { labelNc: 35 }),
    {
      name: "RangeError",
      message: /pixel 4 of the label map as label ids must be 0\.\.34: current value is 35/,
    },
  );
  // label_nc 4 admits 0..3 only.
  throws(
    () => new Scene({ width: 3, height: 2, label: bad, inst }, { labelNc: 4 }),
    { name: "RangeError", message: /0\.\.3: current value is 35/ },
  );
});

Deno.test("Scene: things are Cityscapes' for 35 classes, none otherwise, or as given", () => {
  const scene = makeScene();
  deepEqual(
    Array.from({ length: 35 }, (_, c) => c).filter((c) => scene.isThing(c)),
    [24, 25, 26, 27, 28, 29, 30, 31, 32, 33],
  );
  const other = new Scene({
    width: 1,
    height: 1,
    label: new Uint8Array(1),
    inst: new Int32Array(1),
  }, {
    labelNc: 40,
  });
  equal([...Array(40).keys()].some((c) => other.isThing(c)), false);
  const given = new Scene(
    { width: 1, height: 1, label: new Uint8Array(1), inst: new Int32Array(1) },
    { labelNc: 35, thingClasses: [7] },
  );
  equal(given.isThing(7), true);
  equal(given.isThing(26), false);
});

Deno.test("Scene: object, ids, idAt, clusterCount and drawn styles", () => {
  const scene = makeScene();
  const drawn = chooseClusters(CLUSTERS, scene.inst, { seed: 5 });
  deepEqual(scene.object(26001), {
    id: 26001,
    label: CAR,
    area: 6,
    box: [1, 2, 3, 2],
    style: { cluster: drawn.get(26001)! },
  });
  deepEqual(scene.object(26003), {
    id: 26003,
    label: CAR,
    area: 4,
    box: [5, 4, 2, 2],
    style: { cluster: drawn.get(26003)! },
  });
  deepEqual(scene.object(ROAD), {
    id: ROAD,
    label: ROAD,
    area: 32 - 6 - 4,
    box: [0, 2, 8, 4],
    style: { cluster: 0 },
  });
  // Sky has no clusters: no style.
  deepEqual(scene.object(SKY), {
    id: SKY,
    label: SKY,
    area: 16,
    box: [0, 0, 8, 2],
    style: undefined,
  });
  equal(scene.object(26002), undefined);
  equal(scene.object(-1), undefined);
  equal(scene.clusterCount(26001), 3);
  equal(scene.clusterCount(ROAD), 1);
  equal(scene.clusterCount(SKY), 0);
  equal(makeScene({ clusters: false }).clusterCount(26001), 0);
  equal(makeScene({ clusters: false }).style(26001), undefined);

  equal(scene.idAt([0, 0]), SKY);
  equal(scene.idAt([1, 2]), 26001);
  equal(scene.idAt([3, 3]), 26001);
  equal(scene.idAt([4, 3]), ROAD);
  equal(scene.idAt([7, 5]), ROAD);
  equal(scene.idAt([6, 5]), 26003);
  for (const point of [[8, 0], [0, 6], [-1, 0], [0, -1], [0.5, 0], [NaN, 0]] as const) {
    throws(() => scene.idAt(point), {
      name: "RangeError",
      message: new RegExp(`point \\(${point[0]}, ${point[1]}\\) as it must lie in the 8×6 scene`),
    });
  }
});

Deno.test("Scene.relabel: thing to thing gets a new id above the existing ones", () => {
  const scene = makeScene();
  // Car 26003 to a car again: 26004, above 26003 (not the free 26002).
  equal(scene.relabel(26003, CAR), 26004);
  assertMaps(scene, set(baseMaps(), block(5, 4, 2, 2), CAR, 26004));
  // Car 26001 to the first truck: 27000.
  equal(scene.relabel(26001, TRUCK), 27000);
  const expected = set(
    set(baseMaps(), block(5, 4, 2, 2), CAR, 26004),
    block(1, 2, 3, 2),
    TRUCK,
    27000,
  );
  assertMaps(scene, expected);
  // The truck back to a car: 26005 (26004 exists).
  equal(scene.relabel(27000, CAR), 26005);
  assertMaps(scene, set(expected, block(1, 2, 3, 2), CAR, 26005));
  equal(scene.object(27000), undefined);
  deepEqual(scene.ids(), [ROAD, SKY, 26004, 26005]);
});

Deno.test("Scene.relabel: to stuff the object joins the class's region", () => {
  const scene = makeScene();
  equal(scene.relabel(26001, ROAD), ROAD);
  assertMaps(scene, set(baseMaps(), block(1, 2, 3, 2), ROAD, ROAD));
  deepEqual(scene.object(ROAD)!.area, 32 - 4);
  deepEqual(scene.ids(), [ROAD, SKY, 26003]);
  // Stuff to a thing: a new instance.
  equal(scene.relabel(SKY, PERSON), 24000);
  equal(scene.object(24000)!.area, 16);
  equal(scene.object(24000)!.label, PERSON);
});

Deno.test("Scene.relabel: a set style carries over only when the class is unchanged", () => {
  const scene = makeScene();
  scene.setStyle(26001, { vector: [9, 8] });
  scene.setStyle(26003, { cluster: 2 });
  const car = scene.relabel(26001, CAR);
  equal(car, 26004);
  deepEqual(scene.style(car), { vector: [9, 8] });
  // The style of the old id is gone (a later object with that id would draw its own).
  deepEqual(scene.style(26001), {
    cluster: chooseClusters(CLUSTERS, [26001], { seed: 5 }).get(26001)!,
  });
  equal(scene.relabel(26003, CAR), 26005);
  deepEqual(scene.style(26005), { cluster: 2 });
  // To a truck (no clusters): no style; to road: road's drawn cluster, not the vector.
  equal(scene.relabel(26005, TRUCK), 27000);
  equal(scene.style(27000), undefined);
  equal(scene.relabel(car, ROAD), ROAD);
  deepEqual(scene.style(ROAD), { cluster: 0 });
  // Back to a car: no car is left, so the first car id, with a drawn style.
  equal(scene.relabel(27000, CAR), 26000);
  deepEqual(scene.style(26000), {
    cluster: chooseClusters(CLUSTERS, [26000], { seed: 5 }).get(26000)!,
  });
});

Deno.test("Scene.relabel: refuses unknown ids and labels without an edit", () => {
  const scene = makeScene();
  throws(() => scene.relabel(26002, ROAD), {
    name: "RangeError",
    message: /Cannot relabel instance 26002 as no pixel has it/,
  });
  throws(() => scene.relabel(26001, 35), {
    name: "RangeError",
    message: /the new label as label ids must be 0\.\.34: current value is 35/,
  });
  throws(() => scene.relabel(26001, -1), /current value is -1/);
  throws(() => scene.relabel(26001, 2.5), /current value is 2\.5/);
  assertMaps(scene, baseMaps());
  equal(scene.canUndo, false);
});

Deno.test("Scene.paint: square brushes of size 1 and 3, clipped at the borders", () => {
  const scene = makeScene();
  // Size 1: exactly the point; inst := label.
  equal(scene.paint([[0, 0]], ROAD, 1), 1);
  const expected = set(baseMaps(), [[0, 0]], ROAD, ROAD);
  assertMaps(scene, expected);
  // Size 3 at the corner (7, 0): x 6..7, y 0..1 (clipped to 4 pixels).
  equal(scene.paint([[7, 0]], SIDEWALK, 3), 4);
  set(expected, block(6, 0, 2, 2), SIDEWALK, SIDEWALK);
  assertMaps(scene, expected);
  // Size 3 at (4, 3): x 3..5, y 2..4, over car, road and the other car.
  equal(scene.paint([[4, 3]], PERSON, 3), 9);
  set(expected, block(3, 2, 3, 3), PERSON, PERSON);
  assertMaps(scene, expected);
  equal(scene.object(26001)!.area, 4);
  deepEqual(scene.object(26003)!.box, [5, 4, 2, 2]);
  equal(scene.object(26003)!.area, 3);
  // Size 3 at (0, 5): x 0..1, y 4..5.
  equal(scene.paint([[0, 5]], SKY, 3), 4);
  set(expected, block(0, 4, 2, 2), SKY, SKY);
  assertMaps(scene, expected);
  // Size 2 reaches one pixel right and down of the point: (7, 5) alone at the corner.
  equal(scene.paint([[7, 5]], SKY, 2), 1);
  set(expected, [[7, 5]], SKY, SKY);
  assertMaps(scene, expected);
  // A large brush covers the whole scene.
  const all = makeScene();
  equal(all.paint([[3, 3]], ROAD, 99), 48 - 32 + 6 + 4);
  deepEqual(all.label, new Uint8Array(48).fill(ROAD));
  deepEqual(all.inst, new Int32Array(48).fill(ROAD));
});

Deno.test("Scene.paint: a round brush is the disc of pixels within size / 2 of its centre", () => {
  const N = 12;
  const maps = {
    width: N,
    height: N,
    label: new Uint8Array(N * N).fill(ROAD),
    inst: new Int32Array(N * N).fill(ROAD),
  };
  // The disc, counted independently: offsets from the brush's top-left corner, centre (s-1)/2.
  const disc = (size: number, cx: number, cy: number) => {
    const out: Pixel[] = [];
    const half = Math.floor((size - 1) / 2), c = (size - 1) / 2;
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        const dx = x - (cx - half), dy = y - (cy - half);
        if (
          dx >= 0 && dy >= 0 && dx < size && dy < size && Math.hypot(dx - c, dy - c) <= size / 2
        ) {
          out.push([x, y]);
        }
      }
    }
    return out;
  };
  for (const [size, count] of [[1, 1], [2, 4], [3, 9], [4, 12], [5, 21], [8, 52]]) {
    const scene = new Scene(maps, { labelNc: 35 });
    equal(scene.paint([[5, 5]], SKY, size, "round"), count, `size ${size}`);
    deepEqual(disc(size, 5, 5).length, count);
    assertMaps(scene, set(structuredClone(maps), disc(size, 5, 5), SKY, SKY));
  }
  // Clipped at the border, and a stroke sweeps the disc along its segment.
  const scene = new Scene(maps, { labelNc: 35 });
  equal(scene.paint([[0, 0]], SKY, 5, "round"), 8);
  const stroke = new Scene(maps, { labelNc: 35 });
  stroke.paint([[3, 6], [8, 6]], SKY, 3, "round");
  const swept = new Set<string>();
  for (let x = 3; x <= 8; x++) for (const [px, py] of disc(3, x, 6)) swept.add(`${px},${py}`);
  equal(stroke.label.filter((l) => l === SKY).length, swept.size);
  const bad = new Scene(maps, { labelNc: 35 });
  throws(
    () => bad.paint([[0, 0]], SKY, 3, "star" as "round"),
    /brush shape must be one of square, round: current value is "star"/,
  );
  equal(bad.canUndo, false);
});

Deno.test("Scene.fill: the 4-connected region of the pixel's class and instance", () => {
  const scene = makeScene();
  scene.setStyle(26001, { cluster: 2 });
  // The road (22 pixels round the two cars) becomes sidewalk; the cars and the sky stay.
  equal(scene.fill([0, 5], SIDEWALK), 22);
  const expected = baseMaps();
  for (let p = 0; p < W * H; p++) {
    if (expected.label[p] === ROAD) expected.label[p] = expected.inst[p] = SIDEWALK;
  }
  assertMaps(scene, expected);
  // A region of its own class changes nothing and adds no history.
  equal(scene.fill([7, 5], SIDEWALK), 0);
  // A car filled with trucks is one new truck; its style goes with it.
  equal(scene.fill([2, 3], TRUCK), 6);
  set(expected, block(1, 2, 3, 2), TRUCK, 27000);
  assertMaps(scene, expected);
  equal(scene.object(27000)!.area, 6);
  equal(scene.object(26001), undefined);
  // A car cut in two by a road line: the fill takes the part it starts in, and the rest of the
  // car keeps its style.
  const cut = makeScene();
  cut.setStyle(26001, { cluster: 2 });
  cut.paint([[2, 2], [2, 3]], ROAD, 1);
  equal(cut.fill([1, 2], PERSON), 2);
  deepEqual(cut.object(26001)!.box, [3, 2, 1, 2]);
  deepEqual(cut.style(26001), { cluster: 2 });
  equal(cut.object(24000)!.area, 2);
  // Undo gives back each state; bad points and labels are refused without an edit.
  cut.undo();
  cut.undo();
  assertMaps(cut, baseMaps());
  scene.undo();
  scene.undo();
  assertMaps(scene, baseMaps());
  deepEqual(scene.style(26001), { cluster: 2 });
  throws(() => scene.fill([8, 0], ROAD), /point \(8, 0\)/);
  throws(() => scene.fill([0, 0], 35), /fill's label as label ids must be 0\.\.34/);
  throws(() => scene.fill([0.5, 0], ROAD), /point \(0\.5, 0\)/);
});

Deno.test("Scene.paint: strokes join their points with straight segments", () => {
  const scene = makeScene();
  // Row 5 from x 0 to 7: 8 pixels.
  equal(scene.paint([[0, 5], [7, 5]], SIDEWALK, 1), 8);
  const expected = set(baseMaps(), block(0, 5, 8, 1), SIDEWALK, SIDEWALK);
  assertMaps(scene, expected);
  // (0, 0) to (4, 2): 4 steps, y rounded: (0,0) (1,1) (2,1) (3,2) (4,2).
  equal(scene.paint([[0, 0], [4, 2]], 0, 1), 5);
  set(expected, [[0, 0], [1, 1], [2, 1], [3, 2], [4, 2]], 0, 0);
  assertMaps(scene, expected);
  // Three points, size 3, along the left column then right: (0,2) → (0,4) → (2,4).
  const fresh = makeScene();
  const changed = fresh.paint([[0, 2], [0, 4], [2, 4]], SKY, 3);
  // Stamps cover x 0..1 for y 1..5 and x 0..3 for y 3..5; y 1 is sky already.
  const want = set(baseMaps(), [...block(0, 1, 2, 5), ...block(0, 3, 4, 3)], SKY, SKY);
  assertMaps(fresh, want);
  // Changed: x 0..1 y 2..5 (8) plus x 2..3 y 3..5 (6).
  equal(changed, 14);
});

Deno.test("Scene.paint: repainting the same stroke changes nothing and adds no history", () => {
  const scene = makeScene();
  equal(scene.paint([[2, 2], [5, 2]], CAR, 1), 4); // label 26 over car pixels too: inst 26001 → 26
  const after = snapshot(scene);
  deepEqual(scene.inst.subarray(2 * W + 1, 2 * W + 6), new Int32Array([26001, CAR, CAR, CAR, CAR]));
  equal(scene.paint([[2, 2], [5, 2]], CAR, 1), 0);
  equal(scene.paint([[3, 2]], CAR, 1), 0);
  deepEqual(snapshot(scene), after);
  // One undo brings back the scene as made: the repaints left no entries.
  equal(scene.undo(), true);
  assertMaps(scene, baseMaps());
  equal(scene.canUndo, false);
  equal(scene.undo(), false);
});

Deno.test("Scene.paint: refuses bad brushes, labels and points without an edit", () => {
  const scene = makeScene();
  for (const size of [0, -1, 1.5, NaN]) {
    throws(() => scene.paint([[0, 0]], ROAD, size), {
      name: "RangeError",
      message: /brush size must be a positive integer/,
    });
  }
  throws(() => scene.paint([], ROAD, 1), { name: "RangeError", message: /no points/ });
  throws(() => scene.paint([[0, 0]], 35, 1), /brush's label as label ids must be 0\.\.34/);
  throws(() => scene.paint([[0, 0], [8, 0]], ROAD, 1), /point \(8, 0\)/);
  throws(() => scene.paint([[0, 0], [0, 6]], ROAD, 1), /point \(0, 6\)/);
  assertMaps(scene, baseMaps());
  equal(scene.canUndo, false);
});

Deno.test("Scene.addObject: a new instance over what is there, with a style", () => {
  const scene = makeScene();
  const mask = new Uint8Array(W * H);
  for (const [x, y] of [[0, 0], [1, 0], [2, 3]] as const) mask[y * W + x] = 1;
  const id = scene.addObject(mask, CAR, { cluster: 1 });
  equal(id, 26004);
  const expected = set(baseMaps(), [[0, 0], [1, 0], [2, 3]], CAR, 26004);
  assertMaps(scene, expected);
  deepEqual(scene.object(id), {
    id,
    label: CAR,
    area: 3,
    box: [0, 0, 3, 4],
    style: { cluster: 1 },
  });
  equal(scene.object(26001)!.area, 5);
  // The first truck, a vector style; non-zero values of any kind are inside.
  const truckMask = Array.from({ length: W * H }, (_, p) => (p === 47 ? 0.5 : p === 46 ? -3 : 0));
  equal(scene.addObject(truckMask, TRUCK), 27000);
  set(expected, [[6, 5], [7, 5]], TRUCK, 27000);
  assertMaps(scene, expected);
  equal(scene.addObject(mask, CAR, { vector: [0.25, -1] }), 26005);
  deepEqual(scene.style(26005), { vector: [0.25, -1] });
  // Stuff gets its class id.
  equal(scene.addObject(truckMask, SIDEWALK), SIDEWALK);
  equal(scene.idAt([7, 5]), SIDEWALK);
});

Deno.test("Scene.addObject: a new id never takes the style of an object painted away", () => {
  const scene = makeScene();
  scene.setStyle(26003, { vector: [9, 9] });
  equal(scene.paint([[5, 4], [6, 4]], ROAD, 3), 4);
  equal(scene.object(26003), undefined);
  const mask = new Uint8Array(W * H);
  mask[0] = 1;
  // 26003's style is still held (undo needs it), so new cars start above it.
  equal(scene.addObject(mask, CAR), 26004);
  mask[1] = 1;
  equal(scene.addObject(mask, CAR), 26005);
  notDeepEqual(scene.style(26005), { vector: [9, 9] });
  notDeepEqual(scene.style(26004), { vector: [9, 9] });
  equal(scene.relabel(26001, CAR), 26006);
});

Deno.test("Scene.addObject: refuses bad masks, labels and styles without an edit", () => {
  const scene = makeScene();
  const mask = new Uint8Array(W * H).fill(1);
  throws(() => scene.addObject(new Uint8Array(47), CAR), {
    name: "RangeError",
    message: /mask must have 8×6 values: current length is 47/,
  });
  throws(() => scene.addObject(new Uint8Array(48), CAR), /empty mask/);
  throws(
    () => scene.addObject(mask, 40),
    /object's label as label ids must be 0\.\.34: current value is 40/,
  );
  throws(
    () => scene.addObject(mask, CAR, { cluster: 3 }),
    /cluster 3 as class 26 has clusters 0\.\.2/,
  );
  throws(() => scene.addObject(mask, SKY, { cluster: 0 }), /class 23 has no clusters/);
  throws(() => scene.addObject(mask, CAR, { vector: [1] }), /vector must be 2 finite numbers/);
  assertMaps(scene, baseMaps());
  equal(scene.canUndo, false);
});

Deno.test("Scene.setStyle: a cluster or a vector, checked", () => {
  const scene = makeScene();
  scene.setStyle(26001, { cluster: 2 });
  deepEqual(scene.style(26001), { cluster: 2 });
  deepEqual(scene.object(26001)!.style, { cluster: 2 });
  const vector = [0.5, 0.25];
  scene.setStyle(26003, { vector });
  vector[0] = 100; // the scene keeps a copy
  deepEqual(scene.style(26003), { vector: [0.5, 0.25] });
  // Road: its only cluster, or a vector.
  scene.setStyle(ROAD, { cluster: 0 });
  scene.setStyle(ROAD, { vector: [1, 1] });
  deepEqual(scene.style(ROAD), { vector: [1, 1] });
  // Sky has no clusters, but takes a vector.
  scene.setStyle(SKY, { vector: [-1, -1] });
  deepEqual(scene.style(SKY), { vector: [-1, -1] });
  // Styles do not touch the maps.
  assertMaps(scene, baseMaps());
  equal(scene.canUndo, true);

  const before = snapshot(scene);
  for (const cluster of [3, -1, 1.5, NaN]) {
    throws(() => scene.setStyle(26001, { cluster }), {
      name: "RangeError",
      message: new RegExp(`cluster ${cluster} as class 26 has clusters 0\\.\\.2`),
    });
  }
  throws(() => scene.setStyle(ROAD, { cluster: 1 }), /class 7 has clusters 0\.\.0/);
  throws(() => scene.setStyle(SKY, { cluster: 0 }), {
    name: "RangeError",
    message: /Cannot style instance 23 as class 23 has no clusters/,
  });
  throws(() => scene.setStyle(26001, { vector: [1, 2, 3] }), {
    name: "RangeError",
    message: /instance 26001 as its vector must be 2 finite numbers: current value is \[1,2,3\]/,
  });
  throws(() => scene.setStyle(26001, { vector: [1, NaN] }), /2 finite numbers/);
  throws(() => scene.setStyle(26001, { vector: [1, Infinity] }), /2 finite numbers/);
  throws(() => scene.setStyle(26002, { cluster: 0 }), /instance 26002 as no pixel has it/);
  deepEqual(snapshot(scene), before);

  const plain = makeScene({ clusters: false });
  throws(() => plain.setStyle(26001, { vector: [1, 2] }), {
    name: "TypeError",
    message: /instance 26001 as the model takes no features/,
  });
  throws(() => plain.setStyle(26001, { cluster: 0 }), /class 26 has no clusters/);
  equal(plain.canUndo, false);
});

Deno.test("Scene: undo and redo restore the exact maps and styles of each step", () => {
  const scene = makeScene();
  const steps = [snapshot(scene, [26004, 27000])];
  const edits: (() => unknown)[] = [
    () => scene.setStyle(26001, { vector: [9, 9] }),
    () => scene.relabel(26001, CAR), // 26004, keeps the vector
    () => scene.paint([[0, 0], [3, 0]], SIDEWALK, 3),
    () => scene.addObject(Array.from({ length: W * H }, (_, p) => p < 10 ? 1 : 0), TRUCK),
    () => scene.setStyle(26003, { vector: [3, 3] }),
    () => scene.relabel(26003, ROAD),
    () => scene.reset(),
    () => scene.setStyle(ROAD, { vector: [0, 1] }),
  ];
  for (const edit of edits) {
    edit();
    steps.push(snapshot(scene, [26004, 27000]));
  }
  for (let i = 1; i < steps.length; i++) {
    notDeepEqual(steps[i], steps[i - 1], `edit ${i} changed nothing`);
  }
  // Reset restored the maps as made and dropped the styles.
  deepEqual(steps[7], steps[0]);
  for (let i = steps.length - 2; i >= 0; i--) {
    equal(scene.undo(), true);
    deepEqual(snapshot(scene, [26004, 27000]), steps[i], `undo to step ${i}`);
    equal(scene.canRedo, true);
  }
  equal(scene.canUndo, false);
  equal(scene.undo(), false);
  assertMaps(scene, baseMaps());
  for (let i = 1; i < steps.length; i++) {
    equal(scene.redo(), true);
    deepEqual(snapshot(scene, [26004, 27000]), steps[i], `redo to step ${i}`);
  }
  equal(scene.canRedo, false);
  equal(scene.redo(), false);
  // Undo and redo interleaved.
  scene.undo();
  scene.undo();
  scene.redo();
  deepEqual(snapshot(scene, [26004, 27000]), steps[steps.length - 2]);
});

Deno.test("Scene: a new edit clears redo", () => {
  const scene = makeScene();
  scene.paint([[0, 0]], ROAD, 1);
  scene.paint([[1, 0]], ROAD, 1);
  equal(scene.undo(), true);
  equal(scene.canRedo, true);
  scene.paint([[2, 0]], ROAD, 1);
  equal(scene.canRedo, false);
  equal(scene.redo(), false);
  assertMaps(scene, set(baseMaps(), [[0, 0], [2, 0]], ROAD, ROAD));
  // A refused edit does not clear redo.
  scene.undo();
  throws(() => scene.paint([[9, 9]], ROAD, 1));
  equal(scene.canRedo, true);
});

Deno.test("Scene: the history keeps the last historyLimit edits", () => {
  const scene = makeScene({ historyLimit: 2 });
  scene.paint([[0, 0]], ROAD, 1);
  const first = snapshot(scene);
  scene.paint([[1, 0]], ROAD, 1);
  scene.paint([[2, 0]], ROAD, 1);
  equal(scene.undo(), true);
  equal(scene.undo(), true);
  equal(scene.undo(), false);
  deepEqual(snapshot(scene), first);
  equal(scene.redo(), true);
  equal(scene.redo(), true);
  equal(scene.redo(), false);
  assertMaps(scene, set(baseMaps(), block(0, 0, 3, 1), ROAD, ROAD));
  // The default keeps 100.
  const long = makeScene();
  for (let i = 0; i < 101; i++) {
    long.paint([[i % 8, 0]], Math.floor(i / 8) % 2 ? ROAD : SIDEWALK, 1);
  }
  let undone = 0;
  while (long.undo()) undone++;
  equal(undone, 100);
  equal(long.label[0], SIDEWALK); // the first paint was dropped from the history
});

Deno.test("Scene.reset: back to the maps as made, undoable, nothing to do when unchanged", () => {
  const scene = makeScene();
  scene.reset();
  equal(scene.canUndo, false);
  scene.setStyle(26001, { cluster: 1 });
  scene.reset(); // styles only
  equal(scene.canUndo, true);
  deepEqual(scene.style(26001), {
    cluster: chooseClusters(CLUSTERS, [26001], { seed: 5 }).get(26001)!,
  });
  scene.undo();
  deepEqual(scene.style(26001), { cluster: 1 });
  scene.paint([[4, 4]], SKY, 3);
  scene.relabel(26001, TRUCK);
  const edited = snapshot(scene, [26001, 27000]);
  scene.reset();
  assertMaps(scene, baseMaps());
  deepEqual(snapshot(scene), snapshot(makeScene()));
  scene.undo();
  deepEqual(snapshot(scene, [26001, 27000]), edited);
});

Deno.test("Scene.featureMap: clusters.ts's feature map with the chosen clusters", () => {
  equal(makeScene({ clusters: false }).featureMap(), undefined);
  const scene = makeScene();
  const drawn = chooseClusters(CLUSTERS, scene.inst, { seed: 5 });
  deepEqual(scene.featureMap(), featureMap(CLUSTERS, scene.inst, W, H, drawn));
  scene.setStyle(26001, { cluster: 2 });
  scene.setStyle(26003, { vector: [7, 8] });
  const map = scene.featureMap()!;
  const given = chooseClusters(CLUSTERS, scene.inst, { seed: 5, given: new Map([[26001, 2]]) });
  deepEqual(map, featureMap(CLUSTERS, scene.inst, W, H, given, new Map([[26003, [7, 8]]])));
  // By hand: two planes of 48.
  const at = (x: number, y: number) => [map[y * W + x], map[W * H + y * W + x]];
  deepEqual(at(1, 2), [5, 6]);
  deepEqual(at(6, 5), [7, 8]);
  deepEqual(at(0, 5), [0.5, -0.5]);
  deepEqual(at(0, 0), [0, 0]); // sky: no clusters
  equal(map.length, 2 * W * H);
  // A style set on an object painted away is ignored.
  scene.paint([[5, 4], [6, 4]], ROAD, 3);
  equal(scene.object(26003), undefined);
  deepEqual(
    scene.featureMap(),
    featureMap(
      CLUSTERS,
      scene.inst,
      W,
      H,
      chooseClusters(CLUSTERS, scene.inst, { seed: 5, given: new Map([[26001, 2]]) }),
    ),
  );
  // The seed picks the drawn clusters.
  const other = makeScene({ seed: 77 });
  deepEqual(
    other.featureMap(),
    featureMap(CLUSTERS, other.inst, W, H, chooseClusters(CLUSTERS, other.inst, { seed: 77 })),
  );
});

Deno.test("Scene.featureMap: an override styles one object without editing the scene", () => {
  const scene = makeScene();
  scene.setStyle(26001, { cluster: 2 });
  const before = snapshot(scene);
  const plain = scene.featureMap()!;
  const preview = scene.featureMap({ id: 26001, style: { cluster: 0 } })!;
  const given = chooseClusters(CLUSTERS, scene.inst, { seed: 5, given: new Map([[26001, 0]]) });
  deepEqual(preview, featureMap(CLUSTERS, scene.inst, W, H, given));
  deepEqual([preview[2 * W + 1], preview[W * H + 2 * W + 1]], [1, 2]);
  const vector = scene.featureMap({ id: 26003, style: { vector: [4, -4] } })!;
  deepEqual([vector[5 * W + 6], vector[W * H + 5 * W + 6]], [4, -4]);
  deepEqual([vector[2 * W + 1], vector[W * H + 2 * W + 1]], [5, 6]);
  // An override for an id not present changes nothing.
  deepEqual(scene.featureMap({ id: 26009, style: { cluster: 1 } }), plain);
  throws(() => scene.featureMap({ id: 26001, style: { cluster: 3 } }), /clusters 0\.\.2/);
  throws(() => scene.featureMap({ id: 26001, style: { vector: [1] } }), /2 finite numbers/);
  deepEqual(snapshot(scene), before);
  deepEqual(scene.featureMap(), plain);
  scene.undo();
  equal(scene.canUndo, false); // the previews added no history
});

Deno.test("instancesFromLabels: 4-connected regions of things, stuff keeps its class id", () => {
  // 5×3:
  //   26 26  7 26 26
  //    7  7  7 26  7
  //   24  7  7  7 24
  const label = new Uint8Array([26, 26, 7, 26, 26, 7, 7, 7, 26, 7, 24, 7, 7, 7, 24]);
  const isThing = (c: number) => c >= 24 && c <= 33;
  deepEqual(
    instancesFromLabels(label, 5, isThing),
    new Int32Array([26000, 26000, 7, 26001, 26001, 7, 7, 7, 26001, 7, 24000, 7, 7, 7, 24001]),
  );
  // Diagonal neighbours and the wrap from a row's end to the next row's start do not connect.
  deepEqual(
    instancesFromLabels(new Uint8Array([7, 7, 26, 26, 7, 7, 7, 26, 7]), 3, isThing),
    new Int32Array([7, 7, 26000, 26001, 7, 7, 7, 26002, 7]),
  );
  // A U shape is one region, reached around its bend.
  const u = new Uint8Array([
    26,
    7,
    26, //
    26,
    7,
    26,
    26,
    26,
    26,
  ]);
  deepEqual(
    instancesFromLabels(u, 3, isThing),
    new Int32Array([26000, 7, 26000, 26000, 7, 26000, 26000, 26000, 26000]),
  );
  // No things: the label map itself.
  deepEqual(instancesFromLabels(label, 5, () => false), Int32Array.from(label));
  // It makes a scene whose objects are the regions.
  const scene = new Scene({
    width: 5,
    height: 3,
    label,
    inst: instancesFromLabels(label, 5, isThing),
  }, {
    labelNc: 35,
  });
  deepEqual(scene.object(26001)!.box, [3, 0, 2, 2]);
  equal(scene.object(26001)!.area, 3);
});

Deno.test("previewBox: at least min a side, centred on the object, inside the scene", () => {
  deepEqual(previewBox([10, 10, 4, 4], 200, 100), [0, 0, 128, 100]);
  deepEqual(previewBox([150, 40, 10, 10], 200, 100), [72, 0, 128, 100]);
  deepEqual(previewBox([80, 40, 10, 10], 400, 300), [21, 0, 128, 128]);
  deepEqual(previewBox([200, 150, 10, 10], 400, 300), [141, 91, 128, 128]);
  deepEqual(previewBox([50, 30, 20, 10], 200, 100, 16), [50, 27, 20, 16]);
  deepEqual(previewBox([3, 3, 1, 1], 10, 10, 4), [2, 2, 4, 4]);
  deepEqual(previewBox([0, 0, 200, 100], 200, 100), [0, 0, 200, 100]);
  deepEqual(previewBox([9, 9, 1, 1], 10, 10, 4), [6, 6, 4, 4]);
  deepEqual(previewBox([1, 2, 3, 2], 8, 6), [0, 0, 8, 6]);
});

Deno.test("crop: the rows of a box of an RGB image", () => {
  // 4×3 image; pixel p has bytes 10p, 10p+1, 10p+2.
  const rgb = Uint8Array.from({ length: 36 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3));
  deepEqual(
    crop(rgb, 4, [1, 1, 2, 2]),
    new Uint8Array([50, 51, 52, 60, 61, 62, 90, 91, 92, 100, 101, 102]),
  );
  deepEqual(crop(rgb, 4, [0, 0, 4, 3]), rgb);
  deepEqual(crop(rgb, 4, [3, 2, 1, 1]), new Uint8Array([110, 111, 112]));
  deepEqual(crop(rgb, 4, [0, 2, 4, 1]), rgb.subarray(24));
});

Deno.test("Scene: styles of the Style type round-trip through object()", () => {
  const scene = makeScene();
  const styles: Style[] = [{ cluster: 0 }, { vector: [1, -1] }];
  for (const style of styles) {
    scene.setStyle(26001, style);
    deepEqual(scene.object(26001)!.style, style);
  }
  ok(scene.canUndo);
});
