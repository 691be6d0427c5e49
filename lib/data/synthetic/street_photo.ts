/**
 * Paints a photo-like rendering of a street layout: each class has its own texture (sky
 * gradient and clouds, facade windows, road with lane marks, paving, foliage, car windows and
 * wheels, clothes), things get their own colours, then seeded noise is added. The photo is a
 * deterministic function of the layout and the seed, so a GAN can learn the mapping.
 *
 * @module
 */
import { cityscapesId } from "../cityscapes.ts";
import { mixSeed } from "../rng.ts";
import type { SceneLayout } from "./street.ts";

const SKY = cityscapesId("sky");
const BUILDING = cityscapesId("building");
const WALL = cityscapesId("wall");
const ROAD = cityscapesId("road");
const SIDEWALK = cityscapesId("sidewalk");
const VEGETATION = cityscapesId("vegetation");
const TERRAIN = cityscapesId("terrain");
const CAR = cityscapesId("car");
const PERSON = cityscapesId("person");
const FENCE = cityscapesId("fence");
const LIGHT = cityscapesId("traffic light");

/** A hash of integer coordinates to [0, 1). */
function hash(x: number, y: number, seed: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise in [0, 1) with lattice spacing `cell` pixels. */
function noise(x: number, y: number, cell: number, seed: number): number {
  const fx = x / cell;
  const fy = y / cell;
  const ix = Math.floor(fx);
  const iy = Math.floor(fy);
  const tx = fx - ix;
  const ty = fy - iy;
  const sx = tx * tx * (3 - 2 * tx);
  const sy = ty * ty * (3 - 2 * ty);
  const a = hash(ix, iy, seed);
  const b = hash(ix + 1, iy, seed);
  const c = hash(ix, iy + 1, seed);
  const d = hash(ix + 1, iy + 1, seed);
  return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
}

/**
 * Paints the photo of a street layout, RGB bytes (height, width, 3).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { layoutStreet } from "./street.ts";
 * import { paintStreet } from "./street_photo.ts";
 *
 * const scene = layoutStreet({ width: 64, height: 32, seed: 3 });
 * const photo = paintStreet(scene, 3);
 * deepEqual(photo.length, 64 * 32 * 3);
 * deepEqual(paintStreet(scene, 3), photo);
 * ```
 *
 * @param scene The layout from {@linkcode layoutStreet}.
 * @param seed Seed of the textures and the noise.
 * @returns The photo.
 */
export function paintStreet(scene: SceneLayout, seed: number): Uint8Array {
  const { width: W, height: H, label, object, objects, horizon } = scene;
  const photo = new Uint8Array(W * H * 3);
  const unit = W / 256; // texture sizes scale with the image
  const s1 = mixSeed(seed, 1);
  const s2 = mixSeed(seed, 2);
  const s3 = mixSeed(seed, 3);
  const centre = (y: number) => {
    const t = (y - horizon) / (H - horizon);
    const b = (scene.road[0] + scene.road[1]) / 2;
    return scene.vanishX + (b * W - scene.vanishX) * t;
  };
  for (let y = 0; y < H; y++) {
    const depth = Math.max(0.02, (y - horizon) / (H - horizon));
    const laneX = centre(y);
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const o = objects[object[i]];
      const [x0, y0, x1, y1] = o.box;
      const u = (x - x0) / Math.max(1, x1 - x0); // position inside the object's box
      const v = (y - y0) / Math.max(1, y1 - y0);
      let [r, g, b] = o.color;
      let shade = 1;
      switch (label[i]) {
        case SKY: {
          const t = y / Math.max(1, horizon);
          const cloud = Math.max(
            0,
            noise(x, y, 24 * unit, s1) + 0.5 * noise(x, y, 9 * unit, s2) - 0.9,
          );
          r += (200 - r) * 0.5 * t + 300 * cloud;
          g += (215 - g) * 0.5 * t + 300 * cloud;
          b += (230 - b) * 0.3 * t + 250 * cloud;
          break;
        }
        case BUILDING: {
          const cell = Math.max(3, 6 * unit * Math.max(0.3, 1 - u * 0.3));
          const wx = ((x - x0) % cell) / cell;
          const wy = ((y - y0) % (cell * 1.4)) / (cell * 1.4);
          if (wx > 0.25 && wx < 0.75 && wy > 0.3 && wy < 0.8 && v < 0.95) {
            r = 50 + 40 * hash(Math.floor((x - x0) / cell), Math.floor((y - y0) / cell), s3);
            g = r + 10;
            b = r + 30;
          }
          shade = 0.85 + 0.15 * noise(x, y, 40 * unit, s1);
          break;
        }
        case WALL:
          shade = ((y - y0) % Math.max(2, 4 * unit)) < 1
            ? 0.75
            : 0.95 + 0.1 * noise(x, y, 3 * unit, s2);
          break;
        case ROAD: {
          const mark = Math.abs(x - laneX) < Math.max(0.6, 1.5 * unit * depth) &&
            (1 / depth) % 1.5 < 0.75;
          if (mark) r = g = b = 225;
          shade = 0.9 + 0.2 * noise(x, y, 2 * unit, s2) - 0.1 * (1 - depth);
          break;
        }
        case SIDEWALK: {
          const tile = Math.max(2, 8 * unit * depth);
          const grout = (y % tile) < 1 || ((x + 0.5 * y) % (2 * tile)) < 1;
          shade = grout ? 0.75 : 0.95 + 0.1 * noise(x, y, 3 * unit, s1);
          break;
        }
        case VEGETATION:
        case TERRAIN: {
          const leaf = noise(x, y, 2 * unit, s1) * 0.5 + noise(x, y, 6 * unit, s2) * 0.5;
          shade = 0.55 + 0.8 * leaf;
          if (label[i] === VEGETATION && v > 0.45 && u > 0.4 && u < 0.6 && x1 - x0 < W / 3) {
            [r, g, b] = [90, 65, 45]; // trunk
          }
          break;
        }
        case CAR:
          if (v < 0.45) [r, g, b] = [40, 55, 70]; // windows
          else if (v > 0.85 && (u < 0.3 || u > 0.7)) [r, g, b] = [15, 15, 15]; // wheels
          shade = 1.05 - 0.3 * v;
          break;
        case PERSON:
          if (v < 0.2) [r, g, b] = [210, 170, 140];
          else if (v > 0.55) [r, g, b] = [o.color[2] * 0.4, o.color[0] * 0.3, 60];
          break;
        case FENCE:
          shade = (x % Math.max(2, 3 * unit)) < 1 ? 0.6 : 1;
          break;
        case LIGHT:
          if (v > 0.1 && v < 0.35 && u > 0.25 && u < 0.75) [r, g, b] = [230, 40, 30];
          break;
      }
      const grain = (hash(x, y, s3) + hash(y, x, s2) + hash(x + W, y, s1) - 1.5) * 14;
      photo[3 * i] = Math.min(255, Math.max(0, r * shade + grain));
      photo[3 * i + 1] = Math.min(255, Math.max(0, g * shade + grain));
      photo[3 * i + 2] = Math.min(255, Math.max(0, b * shade + grain));
    }
  }
  return photo;
}
