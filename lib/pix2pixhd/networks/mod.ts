/**
 * pix2pixHD's networks, with PyTorch's state_dict keys so that NVIDIA's checkpoints load as they
 * are: the global generator, the local enhancer, the feature encoder and the multi-scale
 * discriminator, and `defineG` / `defineD` to build them from a configuration.
 *
 * @example Load a generator checkpoint and run it
 * ```ts ignore
 * import { defineG, noGrad, openCheckpoint } from "@pix2pixhd/pix2pixhd";
 * const g = defineG({ netG: "global", inputNc: 36 });
 * using checkpoint = await openCheckpoint("checkpoints/label2city_512p/latest_net_G.pth");
 * await g.loadStateDict(checkpoint.tensors);
 * const image = noGrad(() => g.forward(input));
 * ```
 *
 * @module
 */
export { defineD, type DefineDOptions } from "./define_d.ts";
export { defineG, type DefineGOptions, type NetG } from "./define_g.ts";
export { Encoder, type EncoderOptions } from "./encoder.ts";
export {
  GlobalGenerator,
  globalGeneratorLayers,
  type GlobalGeneratorOptions,
} from "./global_generator.ts";
export { LocalEnhancer, type LocalEnhancerOptions } from "./local_enhancer.ts";
export {
  MultiscaleDiscriminator,
  type MultiscaleDiscriminatorOptions,
} from "./multiscale_discriminator.ts";
export {
  discriminatorStages,
  NLayerDiscriminator,
  type NLayerDiscriminatorOptions,
} from "./nlayer_discriminator.ts";
export { normLayer, type NormType } from "./norm.ts";
export { ResnetBlock } from "./resnet_block.ts";
