/**
 * pix2pixHD's training step (`Pix2PixHDModel.forward` and the two optimizer updates of
 * `train.py`) and its inference, on networks built by `defineG` / `defineD`.
 *
 * @module
 */

import type { Batch } from "../data/batch.ts";
import { runtime } from "../gpu/kernel.ts";
import { add, scale } from "../ops/elementwise.ts";
import { uniqueIds } from "../ops/instance_pool.ts";
import { Adam } from "../optim/adam.ts";
import { clearTape, full, noGrad } from "../tensor/autograd.ts";
import { type Tensor, tidy } from "../tensor/tensor.ts";
import { ImagePool } from "./image_pool.ts";
import {
  batchInputs,
  discriminatorInput,
  generatorInput,
  type InputOptions,
  labelInput,
  type ModelInputs,
} from "./input.ts";
import {
  type DiscriminatorOutputs,
  type FeatureExtractor,
  featureMatchingLoss,
  ganLoss,
  type GanLossOptions,
  vggLoss,
} from "./losses.ts";

/**
 * Averages the parameters' gradients across data-parallel ranks, in place (lib/dist's
 * `averageGradients` over MPI).
 */
export type GradientSync = (params: readonly Tensor[]) => Promise<void>;

/** A generator, such as `defineG`'s global generator or local enhancer. */
export interface GeneratorNet {
  /** (N, C, H, W) generator input -> (N, 3, H, W) image in [-1, 1]. */
  forward(x: Tensor): Tensor;
  /** The trained parameters. */
  parameters(): Tensor[];
}

/** A multiscale discriminator, such as `defineD`'s. */
export interface DiscriminatorNet {
  /** Per scale (full resolution first), its outputs, the score map last. */
  forward(x: Tensor): Tensor[][];
  /** The trained parameters. */
  parameters(): Tensor[];
  /** Whether its score maps end in a sigmoid (`defineD`'s `useSigmoid`). */
  readonly sigmoid: boolean;
}

/** The feature encoder, such as `defineG({ netG: "encoder" })`. */
export interface EncoderNet {
  /** An image, the int32 map to pool over and its sorted ids -> pooled features. */
  forward(image: Tensor, inst: Tensor, ids: ArrayLike<number>): Tensor;
  /** The trained parameters. */
  parameters(): Tensor[];
}

/** The networks a {@linkcode Trainer} trains (and the frozen VGG19 of the VGG loss). */
export interface TrainerNetworks {
  /** The generator. */
  netG: GeneratorNet;
  /** The multi-scale discriminator. */
  netD: DiscriminatorNet;
  /** The encoder, trained with G (`--instance_feat` or `--label_feat`). */
  netE?: EncoderNet;
  /** The VGG19 feature slices; needed unless `noVggLoss`. */
  vgg?: FeatureExtractor;
}

/** Options of {@linkcode Trainer} (pix2pixHD flags in brackets), with its defaults. */
export interface TrainerOptions extends InputOptions {
  /** Adam's learning rate for G (and E) and D (`--lr`, 0.0002). */
  lr?: number;
  /** Adam's beta1 (`--beta1`, 0.5); beta2 is 0.999. */
  beta1?: number;
  /** Weight of the feature-matching and VGG losses (`--lambda_feat`, 10). */
  lambdaFeat?: number;
  /** No discriminator feature matching (`--no_ganFeat_loss`). */
  noGanFeatLoss?: boolean;
  /** No VGG loss (`--no_vgg_loss`). */
  noVggLoss?: boolean;
  /** BCE instead of least squares (`--no_lsgan`). */
  noLsgan?: boolean;
  /** Past fakes the discriminator sees (`--pool_size`, 0). */
  poolSize?: number;
  /** Seed of the image pool's choices (0). */
  poolSeed?: number;
  /** The encoder pools over the label map instead of the instance map (`--label_feat`). */
  labelFeat?: boolean;
  /**
   * G's features are the batches' precomputed feature maps (`--load_features`), 3 channels in
   * [-1, 1]; no encoder is trained.
   */
  loadFeatures?: boolean;
}

/** The five losses, by the names pix2pixHD logs them under. */
export const LOSS_NAMES = ["G_GAN", "G_GAN_Feat", "G_VGG", "D_real", "D_fake"] as const;

/** One step's losses; a disabled loss is 0. */
export type Losses = Record<typeof LOSS_NAMES[number], number>;

/** D's losses on the fake and on the real image, and D's outputs on the real image. */
interface LossesD {
  fake: Tensor;
  real: Tensor;
  predReal: DiscriminatorOutputs;
}

/** G's losses (null when disabled) and their sum. */
interface LossesG {
  gan: Tensor;
  feat: Tensor | null;
  vgg: Tensor | null;
  total: Tensor;
}

/**
 * Trains pix2pixHD: each {@linkcode Trainer.step} runs one forward pass computing the five
 * losses, updates G (and E) from G_GAN + G_GAN_Feat + G_VGG, then D from
 * 0.5 · (D_real + D_fake), with Adam(lr, (beta1, 0.999)) each, and reads the losses back once.
 *
 * With `noLsgan` the discriminator's score maps go through a sigmoid exactly once: in the
 * discriminator when it was built with `useSigmoid` (as the original's `define_D(use_sigmoid=
 * no_lsgan)`), else in the loss.
 *
 * @example Three iterations
 * ```ts ignore
 * const netG = defineG({ netG: "global", inputNc: 36 });
 * const netD = defineD({ inputNc: 39, numD: 2 });
 * const vgg = await loadVgg19(await resolveVggWeights());
 * const trainer = new Trainer({ netG, netD, vgg }, { labelNc: 35 });
 * for await (const batch of loader) console.log(await trainer.step(batch));
 * ```
 */
export class Trainer {
  /** The networks. */
  readonly nets: Readonly<TrainerNetworks>;
  #optimizerG: Adam;
  /** Adam over D's parameters. */
  readonly optimizerD: Adam;
  /** The pool of past discriminator inputs. */
  readonly pool: ImagePool;
  readonly #options: Readonly<TrainerOptions>;
  readonly #gan: GanLossOptions;
  readonly #adam: { lr: number; betas: readonly [number, number] };

  /** A trainer of `nets`; the optimizers start from zero moments. */
  constructor(nets: TrainerNetworks, options: TrainerOptions) {
    if (!options.noVggLoss && !nets.vgg) {
      throw new TypeError(
        "Cannot train with the VGG loss as no VGG19 was given: current value is undefined (pass vgg, or noVggLoss)",
      );
    }
    if (nets.netD.sigmoid && !options.noLsgan) {
      throw new TypeError(
        "Cannot train with the least-squares loss as the discriminator ends in a sigmoid: current value is useSigmoid (build it without, or pass noLsgan)",
      );
    }
    if (options.loadFeatures && nets.netE) {
      throw new TypeError(
        "Cannot train an encoder with loadFeatures as G reads the precomputed features: current value is netE given",
      );
    }
    this.nets = Object.freeze({ ...nets });
    this.#options = Object.freeze({ ...options });
    this.#gan = { lsgan: !options.noLsgan, sigmoid: !!options.noLsgan && !nets.netD.sigmoid };
    const adam = { lr: options.lr ?? 0.0002, betas: [options.beta1 ?? 0.5, 0.999] as const };
    this.#adam = adam;
    this.#optimizerG = new Adam(this.#allParamsG(), adam);
    this.optimizerD = new Adam(nets.netD.parameters(), adam);
    this.pool = new ImagePool(options.poolSize ?? 0, { seed: options.poolSeed ?? 0 });
  }

  /** Adam over G's (then E's) trained parameters. */
  get optimizerG(): Adam {
    return this.#optimizerG;
  }

  #allParamsG(): Tensor[] {
    return [...this.nets.netG.parameters(), ...(this.nets.netE?.parameters() ?? [])];
  }

  /**
   * Replaces G's optimizer by a fresh Adam (zero moments, the current learning rate) over
   * `params`, and freezes the rest of G and E: `--niter_fix_global` trains only the outermost
   * local enhancer (and E) first. Without `params`, every parameter of G and E is trained again,
   * as pix2pixHD's `update_fixed_params` does once the fixed epochs are over.
   */
  resetOptimizerG(params?: readonly Tensor[]): void {
    const all = this.#allParamsG();
    const trained = new Set(params ?? all);
    for (const p of trained) {
      if (!all.includes(p)) {
        throw new TypeError(
          `Cannot train a tensor that is not a parameter of G or E: current value is [${p.shape}]`,
        );
      }
    }
    for (const p of all) p.requiresGrad = trained.has(p);
    const lr = this.lr;
    this.#optimizerG.dispose();
    this.#optimizerG = new Adam([...trained], { ...this.#adam, lr });
  }

  /** The learning rate of both optimizers. */
  get lr(): number {
    return this.optimizerG.lr;
  }

  /** Sets the learning rate of both optimizers (pix2pixHD's linear decay sets it each epoch). */
  set lr(value: number) {
    if (!(value >= 0)) {
      throw new RangeError(
        `Cannot set the learning rate as it must be >= 0: current value is ${value}`,
      );
    }
    this.#optimizerG.lr = value;
    this.optimizerD.lr = value;
  }

  /**
   * One training iteration on a loader batch; resolves to the losses computed before the updates.
   * With `sync` (data-parallel training, lib/dist), G's and D's gradients are both computed first,
   * then `sync` averages them across the ranks, then both optimizers step: the same update as
   * without, since D's loss sees G's output detached and G's loss sees D frozen.
   */
  async step(batch: Batch, sync?: GradientSync): Promise<Losses> {
    const packed = sync ? await this.#recordStepSynced(batch, sync) : this.recordStep(batch);
    try {
      const v = await packed.data();
      return { G_GAN: v[0], G_GAN_Feat: v[1], G_VGG: v[2], D_real: v[3], D_fake: v[4] };
    } finally {
      packed.dispose();
    }
  }

  /**
   * Records one training iteration's GPU work without waiting for it, and returns its losses
   * as a (5) tensor in {@linkcode LOSS_NAMES} order (read it, or dispose it). Every other tensor
   * and the tape are freed.
   */
  recordStep(batch: Batch): Tensor {
    try {
      return tidy(() => {
        const { label, real, fake, d } = this.#fakeAndLossesD(batch);
        // D's gradients from G's losses are discarded anyway, so D's weights are frozen for G's
        // pass: the backward pass skips their gradients.
        const values = frozen(this.optimizerD.params, () => {
          const g = this.#lossesG(label, real, fake, d.predReal);
          const values = pack([g.gan, g.feat, g.vgg, d.real, d.fake]);
          update(this.optimizerG, g.total);
          return values;
        });
        update(this.optimizerD, scale(add(d.fake, d.real), 0.5));
        return values;
      });
    } finally {
      clearTape();
    }
  }

  async #recordStepSynced(batch: Batch, sync: GradientSync): Promise<Tensor> {
    const { optimizerG, optimizerD } = this;
    let values: Tensor;
    try {
      values = tidy(() => {
        const { label, real, fake, d } = this.#fakeAndLossesD(batch);
        const values = frozen(optimizerD.params, () => {
          const g = this.#lossesG(label, real, fake, d.predReal);
          optimizerG.zeroGrad();
          g.total.backward();
          return pack([g.gan, g.feat, g.vgg, d.real, d.fake]);
        });
        optimizerD.zeroGrad();
        scale(add(d.fake, d.real), 0.5).backward();
        return values;
      });
    } finally {
      clearTape();
    }
    try {
      await sync([...optimizerG.params, ...optimizerD.params]);
    } catch (error) {
      values.dispose();
      optimizerG.zeroGrad();
      optimizerD.zeroGrad();
      throw error;
    }
    optimizerG.step();
    optimizerG.zeroGrad();
    optimizerD.step();
    optimizerD.zeroGrad();
    return values;
  }

  /** A batch's inputs, G's fake, and D's losses on it and on the real image. */
  #fakeAndLossesD(batch: Batch) {
    const inputs = batchInputs(batch, this.#options);
    const { label, image: real } = inputs;
    if (!real) {
      throw new TypeError("Cannot train on a batch without photos: current value is undefined");
    }
    const fake = this.#generateFrom(batch, inputs, real);
    return { label, real, fake, d: this.#lossesD(label, real, fake) };
  }

  /** D's losses on the (pooled) detached fake and on the real image. */
  #lossesD(label: Tensor, real: Tensor, fake: Tensor): LossesD {
    const { netD } = this.nets;
    const predFake = netD.forward(this.pool.query(discriminatorInput(label, fake.detach())));
    const lossFake = ganLoss(predFake, false, this.#gan);
    const predReal = netD.forward(discriminatorInput(label, real));
    return { fake: lossFake, real: ganLoss(predReal, true, this.#gan), predReal };
  }

  /** G's losses through D on the fake, matching D's features on the real image (`predReal`). */
  #lossesG(label: Tensor, real: Tensor, fake: Tensor, predReal: DiscriminatorOutputs): LossesG {
    const o = this.#options;
    const lambdaFeat = o.lambdaFeat ?? 10;
    const predFake = this.nets.netD.forward(discriminatorInput(label, fake));
    const gan = ganLoss(predFake, true, this.#gan);
    const feat = o.noGanFeatLoss ? null : featureMatchingLoss(predFake, predReal, { lambdaFeat });
    const vgg = o.noVggLoss ? null : vggLoss(this.nets.vgg!, fake, real, { lambdaFeat });
    let total = gan;
    if (feat) total = add(total, feat);
    if (vgg) total = add(total, vgg);
    return { gan, feat, vgg, total };
  }

  /** G's output for assembled inputs, with E's features of `image` when training E. */
  #generateFrom(batch: Batch, inputs: ModelInputs, image: Tensor): Tensor {
    const { netG, netE } = this.nets;
    if (this.#options.loadFeatures && !inputs.feat) {
      throw new TypeError(
        "Cannot use precomputed features as the batch must have feature maps: current value is none",
      );
    }
    const features = this.#options.loadFeatures
      ? inputs.feat
      : netE
      ? this.#encode(netE, batch, inputs.inst, inputs.labelIds, image)
      : undefined;
    return netG.forward(generatorInput(inputs.label, features));
  }

  #encode(
    netE: EncoderNet,
    batch: Batch,
    inst: Tensor | undefined,
    labelIds: Tensor | undefined,
    image: Tensor,
  ): Tensor {
    const map = this.#options.labelFeat ? labelIds : inst;
    const ids = this.#options.labelFeat ? batch.label : batch.inst;
    if (!map || !ids) {
      throw new TypeError(
        `Cannot encode features as the ${
          this.#options.labelFeat ? "label ids" : "instance map"
        } must be present: current value is undefined`,
      );
    }
    return netE.forward(image, map, uniqueIds(ids));
  }

  /**
   * G's output (N, 3, H, W) in [-1, 1] for label ids (int32 (N, 1, H, W); the float RGB label
   * image for `label_nc` 0) and an instance map (int32 (N, 1, H, W)) unless `noInstance`, with
   * optional features (N, feat_num, H, W). Records no tape; the networks' train/eval mode is
   * left as it is.
   *
   * @example
   * ```ts ignore
   * const image = trainer.generate(labelMap(ids, [1, 1, 512, 1024], 35), inst);
   * ```
   */
  generate(label: Tensor, inst?: Tensor, features?: Tensor): Tensor {
    return noGrad(() =>
      tidy(() =>
        this.nets.netG.forward(generatorInput(labelInput(label, inst, this.#options), features))
      )
    );
  }

  /**
   * G's output (N, 3, H, W) for a loader batch, as the training step computes it (with E's
   * features of the batch's photo when training E), without a tape.
   */
  synthesize(batch: Batch): Tensor {
    return noGrad(() =>
      tidy(() => {
        const inputs = batchInputs(batch, this.#options);
        if (this.nets.netE && !inputs.image) {
          throw new TypeError(
            "Cannot encode features of a batch without photos: current value is undefined",
          );
        }
        return this.#generateFrom(batch, inputs, inputs.image!);
      })
    );
  }

  /** Frees the optimizers' moments and the image pool (not the networks). */
  dispose(): void {
    this.optimizerG.dispose();
    this.optimizerD.dispose();
    this.pool.dispose();
  }
}

/** `fn()` with `params` frozen (`requiresGrad` false), each restored once `fn` returns or throws. */
function frozen<T>(params: readonly Tensor[], fn: () => T): T {
  const was = params.map((p) => p.requiresGrad);
  for (const p of params) p.requiresGrad = false;
  try {
    return fn();
  } finally {
    params.forEach((p, i) => (p.requiresGrad = was[i]));
  }
}

/** One Adam update from `loss`: its gradients, the step, then the gradients freed. */
function update(optimizer: Adam, loss: Tensor): void {
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  optimizer.zeroGrad();
}

/** The five losses in one (5) tensor, 0 for a disabled one, for a single read-back. */
function pack(losses: readonly (Tensor | null)[]): Tensor {
  const out = full([losses.length], 0);
  const rt = runtime();
  losses.forEach((t, k) => t && rt.copy(t.buffer, 0, out.buffer, k * 4, 4));
  return out;
}
