/**
 * G's photo for one scene (a label map, an instance map and a feature map), without a tape.
 *
 * @module
 */

import type { Module } from "../nn/module.ts";
import { labelMap } from "../ops/label_maps.ts";
import { noGrad } from "../tensor/autograd.ts";
import { Tensor, tidy } from "../tensor/tensor.ts";
import { generatorInput, type InputOptions, labelInput } from "./input.ts";

/** Inputs of {@linkcode generatePhoto}: one scene's maps. */
export interface PhotoInputs {
  /** Width of the maps. */
  width: number;
  /** Height of the maps. */
  height: number;
  /** Label ids, one per pixel. */
  label: ArrayLike<number>;
  /** Instance ids, one per pixel (unless `noInstance`). */
  inst?: ArrayLike<number>;
  /** The feature map, `feat_num` planes (when G takes features). */
  features?: Float32Array;
}

/** G's photo (3 planes of `width × height`, in [-1, 1]) for one scene, without a tape. */
export async function generatePhoto(
  netG: Module & { forward(x: Tensor): Tensor },
  inputs: PhotoInputs,
  options: InputOptions,
): Promise<Float32Array> {
  const { width: w, height: h } = inputs;
  const fake = noGrad(() =>
    tidy(() => {
      const labels = labelMap(inputs.label, [1, 1, h, w], options.labelNc);
      const inst = options.noInstance ? undefined : Tensor.from(inputs.inst!, [1, 1, h, w]);
      const features = inputs.features
        ? Tensor.from(inputs.features, [1, inputs.features.length / (w * h), h, w])
        : undefined;
      return netG.forward(generatorInput(labelInput(labels, inst, options), features));
    })
  );
  try {
    return await fake.floats();
  } finally {
    fake.dispose();
  }
}
