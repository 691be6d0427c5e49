/**
 * pix2pixHD's model: its networks (`networks/`), and the training half: input
 * assembly on the GPU, the GAN, feature-matching and VGG19 losses, the VGG19 feature slices and
 * their weights, the image pool, and the training step with its inference.
 *
 * @example Train on a loader's batches
 * ```ts ignore
 * import { defineD, defineG, Trainer } from "@pix2pixhd/pix2pixhd";
 * import { loadVgg19, resolveVggWeights } from "@pix2pixhd/pix2pixhd/fs";
 * const netG = defineG({ netG: "global", inputNc: 36 });
 * const netD = defineD({ inputNc: 39, numD: 2 });
 * const vgg = await loadVgg19(await resolveVggWeights({ vggWeights: "vgg19-dcbbe6f5.pth" }));
 * const trainer = new Trainer({ netG, netD, vgg }, { labelNc: 35 });
 * for await (const batch of loader) console.log(await trainer.step(batch));
 * ```
 *
 * @module
 */
export * from "./networks/mod.ts";
export { ImagePool, type ImagePoolOptions } from "./image_pool.ts";
export {
  batchInputs,
  discriminatorInput,
  generatorInput,
  type InputOptions,
  labelChannels,
  labelInput,
  type ModelInputs,
} from "./input.ts";
export {
  type DiscriminatorOutputs,
  type FeatureExtractor,
  featureMatchingLoss,
  type FeatureMatchingOptions,
  ganLoss,
  type GanLossOptions,
  VGG_LOSS_WEIGHTS,
  vggLoss,
  type VggLossOptions,
} from "./losses.ts";
export {
  type DiscriminatorNet,
  type EncoderNet,
  type GeneratorNet,
  type GradientSync,
  LOSS_NAMES,
  type Losses,
  Trainer,
  type TrainerNetworks,
  type TrainerOptions,
} from "./trainer.ts";
export { Vgg19, VGG19_SLICES } from "./vgg19.ts";
