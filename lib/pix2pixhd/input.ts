/**
 * pix2pixHD's input assembly (`Pix2PixHDModel.encode_input`), on the GPU: the label input is the
 * one-hot label map (`label_nc` channels; the normalised RGB label image when `label_nc` is 0)
 * followed by the instance boundary map unless `--no_instance`; the generator sees it with the
 * encoded features appended, the discriminators with the image appended.
 *
 * @module
 */

import type { Batch } from "../data/batch.ts";
import { concat } from "../ops/concat.ts";
import { boundaryMap, labelMap, oneHot } from "../ops/label_maps.ts";
import { rgbToFloat } from "../ops/rgb_to_float.ts";
import { Tensor, tidy } from "../tensor/tensor.ts";

/** Options of the input assembly. */
export interface InputOptions {
  /** Label classes (`--label_nc`); 0 for RGB label images. */
  labelNc: number;
  /** Whether instance maps are left out (`--no_instance`). */
  noInstance?: boolean;
}

/** A batch on the GPU (a type alias, so that {@linkcode tidy} can return it). */
export type ModelInputs = {
  /** The label input (N, label_nc + 1, H, W): one-hot labels and the boundary map. */
  label: Tensor;
  /** Label ids, int32 (N, 1, H, W); absent when `label_nc` is 0. */
  labelIds?: Tensor;
  /** Instance ids, int32 (N, 1, H, W); absent with `--no_instance`. */
  inst?: Tensor;
  /** The photo (N, 3, H, W) in [-1, 1], when the batch has one. */
  image?: Tensor;
  /** The precomputed feature map (N, 3, H, W) in [-1, 1], when the batch has one. */
  feat?: Tensor;
};

/** Channels of the label input: label_nc (3 for RGB labels), plus 1 for the boundary map. */
export function labelChannels(options: InputOptions): number {
  return (options.labelNc === 0 ? 3 : options.labelNc) + (options.noInstance ? 0 : 1);
}

function checkLabelNc(labelNc: number): void {
  if (!Number.isInteger(labelNc) || labelNc < 0) {
    throw new RangeError(
      `Cannot assemble the input as label_nc must be a non-negative integer: current value is ${labelNc}`,
    );
  }
}

/**
 * The label input from maps already on the GPU: one-hot of `labels` (int32 (N, 1, H, W), or the
 * float RGB label image (N, 3, H, W) when `label_nc` is 0, used as it is), then the boundary map
 * of `inst` (int32 (N, 1, H, W)) unless `noInstance`.
 *
 * @example
 * ```ts ignore
 * const input = labelInput(labelMap(ids, [1, 1, 64, 128], 35), inst, { labelNc: 35 }); // 36 ch
 * ```
 */
export function labelInput(
  labels: Tensor,
  inst: Tensor | undefined,
  options: InputOptions,
): Tensor {
  checkLabelNc(options.labelNc);
  if (!options.noInstance && !inst) {
    throw new TypeError(
      "Cannot assemble the input as an instance map is needed unless noInstance: current value is undefined",
    );
  }
  return tidy(() => {
    const onehot = options.labelNc === 0 ? labels : oneHot(labels, options.labelNc);
    return options.noInstance ? (onehot === labels ? concat([labels]) : onehot) : concat([
      onehot,
      boundaryMap(inst!),
    ]);
  });
}

/**
 * Uploads a loader batch and assembles its label input: label ids checked against `label_nc`,
 * one-hot encoded; instance ids and their boundary map; the photo in [-1, 1].
 *
 * @example
 * ```ts ignore
 * const { label, image } = batchInputs(batch, { labelNc: 35 });
 * const fake = netG.forward(label);
 * ```
 */
export function batchInputs(batch: Batch, options: InputOptions): ModelInputs {
  checkLabelNc(options.labelNc);
  const { size: n, height: h, width: w } = batch;
  const rgbLabels = options.labelNc === 0;
  if (batch.labelChannels !== (rgbLabels ? 3 : 1)) {
    throw new TypeError(
      `Cannot assemble the input as label_nc ${options.labelNc} needs ${
        rgbLabels ? 3 : 1
      } label channel(s): current value is ${batch.labelChannels}`,
    );
  }
  if (!options.noInstance && !batch.inst) {
    throw new TypeError(
      "Cannot assemble the input as the batch must have instance maps unless noInstance: current value is none",
    );
  }
  return tidy(() => {
    const labels = rgbLabels
      ? rgbToFloat(batch.label, [n, h, w])
      : labelMap(batch.label, [n, 1, h, w], options.labelNc);
    const inst = options.noInstance ? undefined : Tensor.from(batch.inst!, [n, 1, h, w]);
    const out: ModelInputs = { label: labelInput(labels, inst, options) };
    if (!rgbLabels) out.labelIds = labels;
    if (inst) out.inst = inst;
    if (batch.image) out.image = rgbToFloat(batch.image, [n, h, w]);
    if (batch.feat) out.feat = rgbToFloat(batch.feat, [n, h, w]);
    return out;
  });
}

/**
 * The generator's input: the label input with encoded features (N, feat_num, H, W) appended
 * when there are any.
 */
export function generatorInput(label: Tensor, features?: Tensor): Tensor {
  return features ? concat([label, features]) : label;
}

/** A discriminator's input: the label input and an image (N, 3, H, W), concatenated. */
export function discriminatorInput(label: Tensor, image: Tensor): Tensor {
  return concat([label, image]);
}
