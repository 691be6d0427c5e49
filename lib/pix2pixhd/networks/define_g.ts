/**
 * pix2pixHD's `define_G`: the generator (or the feature encoder) a configuration asks for, with
 * pix2pixHD's initial weights.
 *
 * @module
 */

import { initWeights } from "../../nn/init.ts";
import { Encoder } from "./encoder.ts";
import { GlobalGenerator } from "./global_generator.ts";
import { LocalEnhancer } from "./local_enhancer.ts";
import type { NormType } from "./norm.ts";

/** The network `--netG` selects: "global", "local", or the feature encoder. */
export type NetG = "global" | "local" | "encoder";

/** Options of {@linkcode defineG}, with the defaults of pix2pixHD's command line. */
export interface DefineGOptions {
  /** Which network (default "global"). */
  netG?: NetG;
  /** Input channels (36 for Cityscapes labels with instance maps; the image's 3 for the encoder). */
  inputNc: number;
  /** Output channels (default 3; `--feat_num` for the encoder). */
  outputNc?: number;
  /** `--ngf` (default 64; `--nef` for the encoder). */
  ngf?: number;
  /** `--n_downsample_global` (default 4; `--n_downsample_E` for the encoder). */
  nDownsampleGlobal?: number;
  /** `--n_blocks_global` (default 9). */
  nBlocksGlobal?: number;
  /** `--n_local_enhancers` (default 1). */
  nLocalEnhancers?: number;
  /** `--n_blocks_local` (default 3). */
  nBlocksLocal?: number;
  /** `--norm` (default "instance"). */
  norm?: NormType;
  /** Seed of the initial weights (default 0). */
  seed?: number;
}

/**
 * Builds the network `netG` names and gives it pix2pixHD's initial weights: a
 * {@linkcode GlobalGenerator}, a {@linkcode LocalEnhancer} (whose global part has
 * ngf·2^nLocalEnhancers channels) or an {@linkcode Encoder} (`nDownsampleGlobal` downsamplings).
 * Options a network does not use are ignored, as `define_G` does.
 *
 * @example The tiny golden configuration
 * ```ts ignore
 * const g = defineG({
 *   netG: "local", inputNc: 36, ngf: 16, nDownsampleGlobal: 3, nBlocksGlobal: 3,
 *   nLocalEnhancers: 1, nBlocksLocal: 2,
 * });
 * const e = defineG({ netG: "encoder", inputNc: 3, outputNc: 3, ngf: 16, nDownsampleGlobal: 4 });
 * ```
 */
export function defineG(options: DefineGOptions & { netG: "encoder" }): Encoder;
/** Builds a {@linkcode LocalEnhancer} with pix2pixHD's initial weights. */
export function defineG(options: DefineGOptions & { netG: "local" }): LocalEnhancer;
/** Builds a {@linkcode GlobalGenerator} with pix2pixHD's initial weights. */
export function defineG(options: DefineGOptions & { netG?: "global" }): GlobalGenerator;
/** Builds the network `netG` names with pix2pixHD's initial weights. */
export function defineG(options: DefineGOptions): GlobalGenerator | LocalEnhancer | Encoder;
export function defineG(options: DefineGOptions): GlobalGenerator | LocalEnhancer | Encoder {
  const {
    netG = "global",
    inputNc,
    outputNc = 3,
    ngf = 64,
    nDownsampleGlobal = 4,
    nBlocksGlobal = 9,
    nLocalEnhancers = 1,
    nBlocksLocal = 3,
    norm = "instance",
    seed = 0,
  } = options;
  let net: GlobalGenerator | LocalEnhancer | Encoder;
  switch (netG) {
    case "global":
      net = new GlobalGenerator(inputNc, outputNc, {
        ngf,
        nDownsampling: nDownsampleGlobal,
        nBlocks: nBlocksGlobal,
        norm,
      });
      break;
    case "local":
      net = new LocalEnhancer(inputNc, outputNc, {
        ngf,
        nDownsampleGlobal,
        nBlocksGlobal,
        nLocalEnhancers,
        nBlocksLocal,
        norm,
      });
      break;
    case "encoder":
      net = new Encoder(inputNc, outputNc, { ngf, nDownsampling: nDownsampleGlobal, norm });
      break;
    default:
      throw new RangeError(
        `Cannot define the generator as netG must be "global", "local" or "encoder": current value is ${
          JSON.stringify(netG)
        }`,
      );
  }
  return initWeights(net, { seed });
}
