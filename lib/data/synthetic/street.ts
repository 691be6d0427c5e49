/**
 * The layout of a synthetic street scene in Cityscapes' formats: a road to a vanishing point,
 * sidewalks, building facades, sky, and objects in depth order (trees, poles with signs and
 * lights, fences, persons, bicycles, cars), an ego-vehicle hood and an unlabeled border.
 *
 * @module
 */
import { cityscapesId } from "../cityscapes.ts";
import { Rng } from "../rng.ts";

/** One painted region: its label, instance id, colour and bounding box (for textures). */
export interface SceneObject {
  /** Cityscapes label id. */
  label: number;
  /** Instance id: label * 1000 + k for things, the label id for stuff. */
  inst: number;
  /** Base colour, RGB. */
  color: [number, number, number];
  /** Bounding box [x0, y0, x1, y1] in pixels. */
  box: [number, number, number, number];
}

/** A scene's maps before painting: label, instance and object index per pixel. */
export interface SceneLayout {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Label ids, (height, width). */
  label: Uint8Array;
  /** Instance ids, (height, width). */
  inst: Uint16Array;
  /** Index into `objects`, (height, width). */
  object: Uint16Array;
  /** The painted regions. */
  objects: SceneObject[];
  /** Horizon row and vanishing point column, in pixels. */
  horizon: number;
  /** Vanishing point column in pixels. */
  vanishX: number;
  /** Road edges at the bottom row, as fractions of the width. */
  road: [number, number];
}

const ID = {
  unlabeled: cityscapesId("unlabeled"),
  ego: cityscapesId("ego vehicle"),
  road: cityscapesId("road"),
  sidewalk: cityscapesId("sidewalk"),
  building: cityscapesId("building"),
  wall: cityscapesId("wall"),
  fence: cityscapesId("fence"),
  pole: cityscapesId("pole"),
  light: cityscapesId("traffic light"),
  sign: cityscapesId("traffic sign"),
  vegetation: cityscapesId("vegetation"),
  terrain: cityscapesId("terrain"),
  sky: cityscapesId("sky"),
  person: cityscapesId("person"),
  car: cityscapesId("car"),
  bicycle: cityscapesId("bicycle"),
};

function randomColor(rng: Rng, lo: number, hi: number): [number, number, number] {
  return [rng.int(lo, hi), rng.int(lo, hi), rng.int(lo, hi)];
}

/**
 * Lays out a random street scene. The same seed and size always give the same scene.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { layoutStreet } from "./street.ts";
 *
 * const scene = layoutStreet({ width: 256, height: 128, seed: 1 });
 * deepEqual(scene.label[128 * 256 - 1], 0); // unlabeled border
 * deepEqual(layoutStreet({ width: 256, height: 128, seed: 1 }).inst, scene.inst);
 * ```
 *
 * @param options Size in pixels and seed.
 * @returns The scene's maps and objects.
 */
export function layoutStreet(
  options: { width: number; height: number; seed: number },
): SceneLayout {
  const { width: W, height: H, seed } = options;
  if (!(Number.isInteger(W) && Number.isInteger(H) && W >= 16 && H >= 16)) {
    throw new RangeError(
      `Cannot lay out a street as the size must be integers of at least 16: current value is ${W}x${H}`,
    );
  }
  const rng = new Rng(seed);
  const label = new Uint8Array(W * H);
  const inst = new Uint16Array(W * H);
  const object = new Uint16Array(W * H);
  const objects: SceneObject[] = [];
  const counts = new Map<number, number>();
  const add = (id: number, color: [number, number, number], box: SceneObject["box"]) => {
    let instance = id;
    if (id === ID.person || id === ID.car || id === ID.bicycle) {
      const k = counts.get(id) ?? 0;
      counts.set(id, k + 1);
      instance = id * 1000 + k;
    }
    objects.push({ label: id, inst: instance, color, box });
    return objects.length - 1;
  };
  const setPixel = (x: number, y: number, o: number) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const i = y * W + x;
    label[i] = objects[o].label;
    inst[i] = objects[o].inst;
    object[i] = o;
  };
  const fillRect = (x0: number, y0: number, x1: number, y1: number, o: number) => {
    for (let y = Math.max(0, Math.round(y0)); y < Math.min(H, Math.round(y1)); y++) {
      for (let x = Math.max(0, Math.round(x0)); x < Math.min(W, Math.round(x1)); x++) {
        setPixel(x, y, o);
      }
    }
  };
  const fillEllipse = (cx: number, cy: number, rx: number, ry: number, o: number) => {
    for (let y = Math.floor(cy - ry); y <= Math.ceil(cy + ry); y++) {
      for (let x = Math.floor(cx - rx); x <= Math.ceil(cx + rx); x++) {
        const dx = (x + 0.5 - cx) / rx;
        const dy = (y + 0.5 - cy) / ry;
        if (dx * dx + dy * dy <= 1) setPixel(x, y, o);
      }
    }
  };

  // Ground plane: lines through the vanishing point, given by their x at the bottom row.
  const horizon = Math.round(H * (0.38 + 0.08 * rng.random()));
  const vanishX = W * (0.42 + 0.16 * rng.random());
  const depth = (y: number) => (y - horizon) / (H - horizon); // 0 at the horizon, 1 at the bottom
  const lineX = (bottom: number, y: number) => vanishX + (bottom * W - vanishX) * depth(y);
  const road: [number, number] = [0.1 + 0.1 * rng.random(), 0.8 + 0.1 * rng.random()];
  const walk = [road[0] - 0.3 - 0.2 * rng.random(), road[1] + 0.3 + 0.2 * rng.random()];
  const verge = rng.random() < 0.4 ? 0.06 : 0;

  // Facades: buildings (sometimes a park or a wall) from each image edge to the vanishing point.
  const sky = add(ID.sky, [70 + rng.int(0, 40), 130 + rng.int(0, 30), 180 + rng.int(0, 40)], [
    0,
    0,
    W,
    horizon,
  ]);
  const roofs = new Float64Array(W).fill(horizon);
  const facade = new Uint16Array(W);
  for (const side of [-1, 1]) {
    let x = side < 0 ? 0 : W;
    while (side < 0 ? x < vanishX - 1 : x > vanishX + 1) {
      const room = Math.abs(vanishX - x);
      const span = Math.max(2, room * (0.15 + 0.25 * rng.random()));
      const x0 = side < 0 ? x : x - span;
      const x1 = side < 0 ? x + span : x;
      const near = Math.min(1, room / (W * 0.5));
      const roof = horizon * (1 - (0.35 + 0.6 * rng.random()) * Math.pow(near, 0.6));
      const kind = rng.random();
      const id = kind < 0.12 ? ID.vegetation : kind < 0.2 ? ID.wall : ID.building;
      const color = id === ID.vegetation
        ? [60 + rng.int(0, 30), 100 + rng.int(0, 40), 40 + rng.int(0, 20)] as [
          number,
          number,
          number,
        ]
        : randomColor(rng, 90, 200);
      const top = id === ID.wall ? horizon - (horizon - roof) * 0.25 : roof;
      const o = add(id, color, [x0, top, x1, H]);
      for (let c = Math.max(0, Math.floor(x0)); c < Math.min(W, Math.ceil(x1)); c++) {
        roofs[c] = top;
        facade[c] = o;
      }
      x = side < 0 ? x1 : x0;
    }
  }
  const roadObj = add(ID.road, [80 + rng.int(0, 20), 80 + rng.int(0, 20), 85 + rng.int(0, 20)], [
    0,
    horizon,
    W,
    H,
  ]);
  const walkObj = add(ID.sidewalk, randomColor(rng, 140, 175), [0, horizon, W, H]);
  const vergeObj = add(ID.terrain, [110 + rng.int(0, 30), 130 + rng.int(0, 30), 60], [
    0,
    horizon,
    W,
    H,
  ]);
  for (let y = 0; y < H; y++) {
    const xs = [road[0], road[1], walk[0], walk[1], road[0] - verge, road[1] + verge].map((b) =>
      lineX(b, y)
    );
    for (let x = 0; x < W; x++) {
      let o = y < roofs[x] ? sky : facade[x];
      if (y >= horizon) {
        if (x >= xs[0] && x <= xs[1]) o = roadObj;
        else if ((x >= xs[4] && x < xs[0]) || (x > xs[1] && x <= xs[5])) o = vergeObj;
        else if (x >= xs[2] && x <= xs[3]) o = walkObj;
      }
      setPixel(x, y, o);
    }
  }

  // Objects, far to near. Each stands on the ground at row y with scale s = depth(y).
  type Thing = { y: number; draw: (y: number, s: number) => void };
  const things: Thing[] = [];
  const groundY = (s: number) => horizon + s * (H - horizon);
  const onWalk = (y: number, side: number, f: number) =>
    side < 0
      ? lineX(walk[0] + (road[0] - verge - walk[0]) * f, y)
      : lineX(road[1] + verge + (walk[1] - road[1] - verge) * (1 - f), y);
  const count = (n: number) => Math.round(n * (0.6 + 0.8 * rng.random()));
  for (let i = 0; i < count(4); i++) {
    const y = groundY(0.1 + 0.8 * rng.random());
    const side = rng.random() < 0.5 ? -1 : 1;
    const f = 0.1 + 0.2 * rng.random();
    const color = [40 + rng.int(0, 40), 90 + rng.int(0, 50), 30 + rng.int(0, 30)] as [
      number,
      number,
      number,
    ];
    things.push({
      y,
      draw: (y, s) => {
        const x = onWalk(y, side, f);
        const r = 0.09 * H * s * (0.7 + 0.6 * rng.random());
        const o = add(ID.vegetation, color, [x - r, y - 4.5 * r, x + r, y]);
        fillRect(x - 0.12 * r, y - 2.5 * r, x + 0.12 * r, y, o);
        fillEllipse(x, y - 3 * r, r * 1.3, r * 1.5, o);
      },
    });
  }
  for (let i = 0; i < count(3); i++) {
    const y = groundY(0.1 + 0.85 * rng.random());
    const side = rng.random() < 0.5 ? -1 : 1;
    const signColor = [[200, 30, 30], [30, 60, 180], [230, 200, 40]][rng.int(0, 2)] as [
      number,
      number,
      number,
    ];
    const isLight = rng.random() < 0.35;
    things.push({
      y,
      draw: (y, s) => {
        const x = onWalk(y, side, 0.85);
        const h = 0.5 * H * s;
        const w = Math.max(1, 0.006 * W * s);
        const pole = add(ID.pole, [120, 120, 125], [x - w, y - h, x + w, y]);
        fillRect(x - w / 2, y - h, x + w / 2, y, pole);
        const size = Math.max(2, 0.035 * W * s);
        if (isLight) {
          const o = add(ID.light, [30, 30, 30], [x - size / 3, y - h, x + size / 3, y - h + size]);
          fillRect(x - size / 3, y - h, x + size / 3, y - h + size, o);
        } else {
          const o = add(ID.sign, signColor, [
            x - size / 2,
            y - h - size / 2,
            x + size / 2,
            y - h + size / 2,
          ]);
          fillEllipse(x, y - h, size / 2, size / 2, o);
        }
      },
    });
  }
  if (rng.random() < 0.5) {
    const side = rng.random() < 0.5 ? -1 : 1;
    const s0 = 0.2 + 0.3 * rng.random();
    const s1 = Math.min(1, s0 + 0.3);
    things.push({
      y: groundY(s0),
      draw: () => {
        const o = add(ID.fence, [120 + rng.int(0, 30), 100, 80], [0, horizon, W, H]);
        for (let y = Math.round(groundY(s0)); y < Math.round(groundY(s1)); y++) {
          const x = onWalk(y, side, 0.02);
          fillRect(side < 0 ? x - 2 : x, y - 0.12 * H * depth(y), side < 0 ? x : x + 2, y, o);
        }
      },
    });
  }
  for (let i = 0; i < count(4); i++) {
    const y = groundY(0.15 + 0.8 * rng.random());
    const side = rng.random() < 0.5 ? -1 : 1;
    const f = 0.3 + 0.5 * rng.random();
    const shirt = randomColor(rng, 20, 230);
    things.push({
      y,
      draw: (y, s) => {
        const x = onWalk(y, side, f);
        const h = 0.28 * H * s;
        const o = add(ID.person, shirt, [x - 0.15 * h, y - h, x + 0.15 * h, y]);
        fillEllipse(x, y - 0.9 * h, 0.07 * h, 0.09 * h, o);
        fillRect(x - 0.13 * h, y - 0.8 * h, x + 0.13 * h, y - 0.45 * h, o);
        fillRect(x - 0.1 * h, y - 0.45 * h, x - 0.02 * h, y, o);
        fillRect(x + 0.02 * h, y - 0.45 * h, x + 0.1 * h, y, o);
      },
    });
  }
  for (let i = 0; i < count(2); i++) {
    const y = groundY(0.2 + 0.7 * rng.random());
    const side = rng.random() < 0.5 ? -1 : 1;
    const f = 0.2 + 0.6 * rng.random();
    things.push({
      y,
      draw: (y, s) => {
        const x = onWalk(y, side, f);
        const r = 0.045 * H * s;
        const o = add(ID.bicycle, [25, 25, 30], [x - 2.6 * r, y - 2.4 * r, x + 2.6 * r, y]);
        fillEllipse(x - 1.5 * r, y - r, r, r, o);
        fillEllipse(x + 1.5 * r, y - r, r, r, o);
        fillRect(x - 1.5 * r, y - 1.9 * r, x + 1.5 * r, y - 1.5 * r, o);
      },
    });
  }
  for (let i = 0; i < count(4); i++) {
    const y = groundY(0.12 + 0.85 * rng.random());
    const lane = 0.15 + 0.7 * rng.random();
    const color = randomColor(rng, 15, 235);
    things.push({
      y,
      draw: (y) => {
        const left = lineX(road[0], y);
        const roadWidth = lineX(road[1], y) - left;
        const w = 0.32 * roadWidth;
        const x = left + lane * roadWidth;
        const h = 0.7 * w * Math.min(1.2, Math.max(0.6, W / H / 2));
        const o = add(ID.car, color, [x - w / 2, y - h, x + w / 2, y]);
        fillRect(x - w / 2, y - 0.55 * h, x + w / 2, y, o);
        fillRect(x - 0.36 * w, y - h, x + 0.36 * w, y - 0.5 * h, o);
      },
    });
  }
  things.sort((a, b) => a.y - b.y);
  for (const thing of things) thing.draw(thing.y, depth(thing.y));

  // Ego-vehicle hood and the unlabeled border, as in Cityscapes frames.
  const ego = add(ID.ego, [30, 32, 38], [0, 0.9 * H, W, H]);
  for (let x = 0; x < W; x++) {
    const u = (2 * x) / W - 1;
    for (let y = Math.round(H * (0.93 + 0.05 * u * u)); y < H; y++) setPixel(x, y, ego);
  }
  const edge = add(ID.unlabeled, [0, 0, 0], [0, 0, W, H]);
  const border = Math.max(1, Math.round(W / 700));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (x < border || y < border || x >= W - border || y >= H - border) setPixel(x, y, edge);
    }
  }
  return { width: W, height: H, label, inst, object, objects, horizon, vanishX, road };
}
