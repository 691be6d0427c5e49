/**
 * pix2pixHD's PatchGAN discriminator.
 *
 * @module
 */

import { Conv2d, type Layer, LeakyReLU, Sequential, Sigmoid } from "../../nn/layers.ts";
import { Module } from "../../nn/module.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { integerOption } from "./check.ts";
import { normLayer, type NormType } from "./norm.ts";

/** Options of {@linkcode NLayerDiscriminator}, with the defaults of pix2pixHD's class. */
export interface NLayerDiscriminatorOptions {
  /** Channels of the first layer, doubled by each next one up to 512 (default 64). */
  ndf?: number;
  /** Stride-2 layers after the first (default 3: n_layers_D). */
  nLayers?: number;
  /** The norm layers (default "instance"). */
  norm?: NormType;
  /** Whether the output goes through a sigmoid, for the BCE loss (default false). */
  useSigmoid?: boolean;
  /** Whether every layer's output is returned, for feature matching (default false). */
  getIntermFeat?: boolean;
}

/**
 * The discriminator's stages: [Conv4×4 s2 p2 (in→ndf), LReLU(0.2)]; nLayers - 1 ×
 * [Conv4×4 s2 p2, Norm, LReLU]; [Conv4×4 s1 p2, Norm, LReLU]; [Conv4×4 s1 p2 (→1)]; and
 * [Sigmoid] with `useSigmoid`. Channels double from ndf and stop at 512.
 */
export function discriminatorStages(
  inputNc: number,
  options: NLayerDiscriminatorOptions = {},
): Sequential[] {
  const ndf = integerOption("ndf", options.ndf ?? 64, 1);
  const nLayers = integerOption("nLayers", options.nLayers ?? 3, 1);
  const norm = options.norm ?? "instance";
  integerOption("inputNc", inputNc, 1);
  const conv = (cin: number, cout: number, stride: number) =>
    new Conv2d(cin, cout, { kernelSize: 4, stride, padding: 2 });
  const stages: Layer[][] = [[conv(inputNc, ndf, 2), new LeakyReLU(0.2)]];
  let nf = ndf;
  for (let n = 1; n < nLayers; n++) {
    const prev = nf;
    nf = Math.min(nf * 2, 512);
    stages.push([conv(prev, nf, 2), normLayer(norm, nf), new LeakyReLU(0.2)]);
  }
  const prev = nf;
  nf = Math.min(nf * 2, 512);
  stages.push([conv(prev, nf, 1), normLayer(norm, nf), new LeakyReLU(0.2)]);
  stages.push([conv(nf, 1, 1)]);
  if (options.useSigmoid) stages.push([new Sigmoid()]);
  return stages.map((layers) => new Sequential(layers));
}

/**
 * pix2pixHD's `NLayerDiscriminator`: a 70×70 PatchGAN with 4×4 kernels and zero padding 2.
 * With `getIntermFeat` its stages are children `model0` ... `model{nLayers + 1}` and the forward
 * pass returns each stage's output (the last is the score map); without, one flat `model`
 * Sequential (convolutions at 0, 2, 5, 8, 11 for 3 layers) and the forward pass returns
 * [score map].
 *
 * With `useSigmoid` the score map goes through a sigmoid in both modes. (The original skips it
 * when `getIntermFeat` is on, which makes its BCE loss fail on raw scores; the intermediate
 * outputs used for feature matching are the same either way.)
 *
 * @example
 * ```ts ignore
 * const d = new NLayerDiscriminator(39, { ndf: 64, getIntermFeat: true });
 * const outputs = d.forward(x); // 5 maps; (1, 39, 512, 1024) gives a (1, 1, 67, 131) score map
 * ```
 */
export class NLayerDiscriminator extends Module {
  /** The stages, in order (a last [Sigmoid] stage with `useSigmoid`). */
  readonly stages: readonly Sequential[];
  /** The stages flattened into one Sequential, registered as `model` without `getIntermFeat`. */
  readonly model: Sequential;
  /** Whether {@linkcode NLayerDiscriminator.forward} returns every stage's output. */
  readonly getIntermFeat: boolean;
  /** Whether the score map ends in a sigmoid (`useSigmoid`), for the BCE loss. */
  readonly sigmoid: boolean;
  readonly #scored: number;

  /** A discriminator of `inputNc`-channel inputs. */
  constructor(inputNc: number, options: NLayerDiscriminatorOptions = {}) {
    super();
    this.stages = discriminatorStages(inputNc, options);
    this.getIntermFeat = options.getIntermFeat ?? false;
    this.sigmoid = !!options.useSigmoid;
    this.#scored = (options.nLayers ?? 3) + 2;
    this.model = new Sequential(this.stages.flatMap((s) => s.layers));
    if (this.getIntermFeat) this.stages.forEach((s, i) => this.addModule(`model${i}`, s));
    else this.addModule("model", this.model);
  }

  /** The stages up to the score map, without the sigmoid stage. */
  get scoringStages(): readonly Sequential[] {
    return this.stages.slice(0, this.#scored);
  }

  /**
   * With `getIntermFeat`, every stage's output (nLayers + 2 of them, the last the score map,
   * through the sigmoid with `useSigmoid`); else [score map].
   */
  forward(x: Tensor): Tensor[] {
    if (!this.getIntermFeat) return [this.model.forward(x)];
    const outputs: Tensor[] = [];
    let h = x;
    for (const stage of this.scoringStages) {
      h = stage.forward(h);
      outputs.push(h);
    }
    if (this.sigmoid) {
      const raw = outputs.pop()!;
      outputs.push(this.stages[this.#scored].forward(raw));
      raw.dispose();
    }
    return outputs;
  }
}
