/**
 * A scene's photo from G, and the style variants of one object for a preview, without autograd.
 *
 * @module
 */

import { generatePhoto } from "../pix2pixhd/photo.ts";
import { imageBytes } from "../data/visuals.ts";
import type { Module } from "../nn/module.ts";
import type { InputOptions } from "../pix2pixhd/input.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Scene, Style } from "./scene.ts";

/** A generator: `forward` maps G's input to its photo. */
export type Generator = Module & { forward(x: Tensor): Tensor };

/** The photo of a scene as RGB bytes (H, W, 3); `override` restyles one object for a preview. */
export async function renderScene(
  netG: Generator,
  scene: Scene,
  options: InputOptions,
  override?: { id: number; style: Style },
): Promise<Uint8Array> {
  const planar = await generatePhoto(netG, {
    width: scene.width,
    height: scene.height,
    label: scene.label,
    inst: scene.inst,
    features: scene.featureMap(override),
  }, options);
  return imageBytes(planar, scene.width, scene.height);
}

/** A crop box: left, top, width, height. */
export type CropBox = [number, number, number, number];

/**
 * The object's bounding box grown to at least `min` pixels a side (as pix2pixHD's demo, 128),
 * centred on it and kept inside the scene.
 */
export function previewBox(box: CropBox, width: number, height: number, min = 128): CropBox {
  const grow = (start: number, size: number, limit: number): [number, number] => {
    const want = Math.min(limit, Math.max(size, min));
    const begin = Math.round(start + size / 2 - want / 2);
    return [Math.min(Math.max(0, begin), limit - want), want];
  };
  const [x, w] = grow(box[0], box[2], width);
  const [y, h] = grow(box[1], box[3], height);
  return [x, y, w, h];
}

/** RGB bytes (H, W, 3) of a box of an image `width` wide. */
export function crop(rgb: Uint8Array, width: number, box: CropBox): Uint8Array {
  const [x, y, w, h] = box;
  const out = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) {
    out.set(rgb.subarray(((y + r) * width + x) * 3, ((y + r) * width + x + w) * 3), r * w * 3);
  }
  return out;
}

/**
 * The object's look under each of its class's clusters: one crop (RGB bytes of `box`) per
 * cluster, in cluster order. Empty when its class has no clusters.
 */
export async function styleVariants(
  netG: Generator,
  scene: Scene,
  id: number,
  options: InputOptions,
  min = 128,
): Promise<{ box: CropBox; images: Uint8Array[] }> {
  const object = scene.object(id);
  if (!object) throw new RangeError(`Cannot preview instance ${id} as no pixel has it`);
  const box = previewBox(object.box, scene.width, scene.height, min);
  const images: Uint8Array[] = [];
  for (let k = 0; k < scene.clusterCount(id); k++) {
    const rgb = await renderScene(netG, scene, options, { id, style: { cluster: k } });
    images.push(crop(rgb, scene.width, box));
  }
  return { box, images };
}
