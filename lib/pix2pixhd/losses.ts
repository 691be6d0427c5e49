/**
 * pix2pixHD's losses: the GAN loss on a multiscale discriminator's outputs (LSGAN or BCE), the
 * discriminator feature-matching loss and the VGG19 perceptual loss, each a 0-d tensor with its
 * backward pass on the tape.
 *
 * @module
 */

import { sigmoid } from "../ops/elementwise.ts";
import { type LossTerm, weightedLossSum } from "../ops/reduce.ts";
import { noGrad } from "../tensor/autograd.ts";
import { type Tensor, tidy } from "../tensor/tensor.ts";

/** What a multiscale discriminator returns: per scale (full resolution first), its outputs. */
export type DiscriminatorOutputs = readonly (readonly Tensor[])[];

/** Options of {@linkcode ganLoss}. */
export interface GanLossOptions {
  /**
   * Least squares (MSE against 1 or 0, the default) or, with `false` (`--no_lsgan`), binary cross
   * entropy, which needs probabilities: score maps from a discriminator that ends in a sigmoid
   * (`useSigmoid`), or raw scores with `sigmoid`.
   */
  lsgan?: boolean;
  /** Whether the BCE loss applies the sigmoid to raw score maps itself (default false). */
  sigmoid?: boolean;
}

function expectScales(what: string, outputs: DiscriminatorOutputs, min: number): void {
  if (outputs.length === 0 || outputs.some((outs) => outs.length < min)) {
    throw new RangeError(
      `Cannot compute ${what} as every scale must have at least ${min} output(s): current value is [${
        outputs.map((outs) => outs.length)
      }]`,
    );
  }
}

/**
 * pix2pixHD's `GANLoss`: for each scale only the last output is scored, against 1 everywhere
 * (`targetIsReal`) or 0, and the scales' losses are summed.
 *
 * @example The generator's adversarial loss
 * ```ts ignore
 * const gGan = ganLoss(netD.forward(concat([label, fake])), true);
 * ```
 */
export function ganLoss(
  outputs: DiscriminatorOutputs,
  targetIsReal: boolean,
  options: GanLossOptions = {},
): Tensor {
  expectScales("the GAN loss", outputs, 1);
  const lsgan = options.lsgan ?? true;
  if (lsgan && options.sigmoid) {
    throw new TypeError(
      "Cannot compute the GAN loss with sigmoid as it applies to the BCE loss only: current value is lsgan",
    );
  }
  const target = targetIsReal ? 1 : 0;
  return tidy(() =>
    weightedLossSum(outputs.map((outs) => {
      const score = outs[outs.length - 1];
      if (lsgan) return { loss: "mse", x: score, target };
      return { loss: "bce", x: options.sigmoid ? sigmoid(score) : score, target };
    }))
  );
}

/** Options of {@linkcode featureMatchingLoss}. */
export interface FeatureMatchingOptions {
  /** The loss's weight (`--lambda_feat`, default 10). */
  lambdaFeat?: number;
}

/**
 * The discriminator feature-matching loss (generator only): for every scale i of num_D and every
 * output j but the last (n_layers_D + 1 of them), L1(fake[i][j], real[i][j]) weighted by
 * 1/num_D · 4/(n_layers_D + 1) · lambda_feat, summed. The real features are detached.
 *
 * @example
 * ```ts ignore
 * const feat = featureMatchingLoss(predFake, predReal, { lambdaFeat: 10 });
 * ```
 */
export function featureMatchingLoss(
  fake: DiscriminatorOutputs,
  real: DiscriminatorOutputs,
  options: FeatureMatchingOptions = {},
): Tensor {
  expectScales("the feature-matching loss", fake, 2);
  const sameLayout = fake.length === real.length &&
    fake.every((outs, i) => outs.length === real[i].length);
  if (!sameLayout) {
    throw new TypeError(
      `Cannot compute the feature-matching loss as the fake and real outputs must have one layout: current value is [${
        fake.map((s) => s.length)
      }] and [${real.map((s) => s.length)}]`,
    );
  }
  const numD = fake.length;
  const nLayersD = fake[0].length - 2;
  const weight = (1 / numD) * (4 / (nLayersD + 1)) * (options.lambdaFeat ?? 10);
  return tidy(() => {
    const terms: LossTerm[] = [];
    fake.forEach((outs, i) => {
      for (let j = 0; j < outs.length - 1; j++) {
        terms.push({ loss: "l1", x: outs[j], target: real[i][j].detach(), weight });
      }
    });
    return weightedLossSum(terms);
  });
}

/** The weights of relu1_1 ... relu5_1 in the VGG loss. */
export const VGG_LOSS_WEIGHTS: readonly number[] = Object.freeze([1 / 32, 1 / 16, 1 / 8, 1 / 4, 1]);

/** A feature extractor returning relu1_1 ... relu5_1, such as {@linkcode Vgg19}. */
export interface FeatureExtractor {
  /** (N, 3, H, W) -> five feature maps. */
  forward(x: Tensor): Tensor[];
}

/** Options of {@linkcode vggLoss}. */
export interface VggLossOptions {
  /** The loss's weight (`--lambda_feat`, default 10). */
  lambdaFeat?: number;
}

/**
 * pix2pixHD's `VGGLoss` times lambda_feat: Σ_k w_k · L1(φ_k(fake), φ_k(real)) with
 * w = [1/32, 1/16, 1/8, 1/4, 1]. Both images are G's [-1, 1] range, fed as they are (no ImageNet
 * normalisation, as the original); φ(real) is computed without a tape.
 *
 * @example
 * ```ts ignore
 * const gVgg = vggLoss(vgg, fake, real, { lambdaFeat: 10 });
 * ```
 */
export function vggLoss(
  vgg: FeatureExtractor,
  fake: Tensor,
  real: Tensor,
  options: VggLossOptions = {},
): Tensor {
  const lambda = options.lambdaFeat ?? 10;
  return tidy(() => {
    const x = vgg.forward(fake);
    const y = noGrad(() => vgg.forward(real));
    if (x.length !== VGG_LOSS_WEIGHTS.length || y.length !== x.length) {
      throw new RangeError(
        `Cannot compute the VGG loss as the extractor must return ${VGG_LOSS_WEIGHTS.length} feature maps: current value is ${x.length}`,
      );
    }
    return weightedLossSum(
      x.map((fx, k) => ({
        loss: "l1",
        x: fx,
        target: y[k].detach(),
        weight: VGG_LOSS_WEIGHTS[k] * lambda,
      })),
    );
  });
}
