/**
 * The networks a set of options describes (`Pix2PixHDModel.initialize`): G, D and E with their
 * input channels, and the architecture flags a checkpoint's `opt.json` pins down.
 *
 * @module
 */
import type { DataLoader } from "../data/loader.ts";
import { openDataset } from "../data/open.ts";
import { mixSeed } from "../data/rng.ts";
import { defineD } from "../pix2pixhd/networks/define_d.ts";
import {
  buildGenerator,
  GENERATOR_ARCHITECTURE_FLAGS,
  type GeneratorArchitecture,
  generatorInputNc as inputNcOf,
  usesFeatures as usesFeaturesOf,
} from "../pix2pixhd/architecture.ts";
import { defineG } from "../pix2pixhd/networks/define_g.ts";
import type { Encoder } from "../pix2pixhd/networks/encoder.ts";
import type { GlobalGenerator } from "../pix2pixhd/networks/global_generator.ts";
import type { LocalEnhancer } from "../pix2pixhd/networks/local_enhancer.ts";
import type { MultiscaleDiscriminator } from "../pix2pixhd/networks/multiscale_discriminator.ts";
import type { NormType } from "../pix2pixhd/networks/norm.ts";
import { type ResizeOrCrop, sizeMultiple, type TransformOptions } from "../data/transform.ts";
import { join } from "node:path";
import { type Options, readOptJson } from "./options.ts";

/** The flags that fix the generator's (and the encoder's) layout and input. */
export const GENERATOR_FLAGS: readonly string[] = [
  ...GENERATOR_ARCHITECTURE_FLAGS,
  "nef",
  "n_downsample_E",
];

/** The flags that fix the discriminator's layout. */
export const DISCRIMINATOR_FLAGS = ["num_D", "n_layers_D", "ndf", "no_ganFeat_loss", "no_lsgan"];

/** The loader's `--resize_or_crop` options, sizes rounded to the multiple G needs. */
export function transformOptions(o: Options, flip: boolean): TransformOptions {
  return {
    resizeOrCrop: o.resize_or_crop as ResizeOrCrop,
    loadSize: o.loadSize as number,
    fineSize: o.fineSize as number,
    multiple: sizeMultiple({
      netG: o.netG as string,
      nDownsampleGlobal: o.n_downsample_global as number,
      nLocalEnhancers: o.n_local_enhancers as number,
    }),
    flip,
  };
}

/**
 * A loader over `<dataroot>/<phase>` as `test.py` and `encode_features.py` read it: in order, one
 * image at a time, without flips, at most `limit` images; photos only when `image`.
 */
export function openSerial(
  o: Options,
  options: { image: boolean; limit: number },
): Promise<DataLoader> {
  return openDataset(o.dataroot as string, {
    phase: o.phase as string,
    labelNc: o.label_nc as number,
    instance: !o.no_instance,
    image: options.image,
    transform: transformOptions(o, false),
    batchSize: 1,
    serialBatches: true,
    maxDatasetSize: options.limit,
    nThreads: 1,
    seed: o.seed as number,
    check: false,
  });
}

/** Whether the options train or use the feature encoder. */
export function usesFeatures(o: Options): boolean {
  return usesFeaturesOf(o as unknown as GeneratorArchitecture);
}

/** G's input channels: labels (or the input image), the boundary map, the features. */
export function generatorInputNc(o: Options): number {
  return inputNcOf(o as unknown as GeneratorArchitecture);
}

/** G as the options describe it, with pix2pixHD's initial weights from `--seed`. */
export function buildG(o: Options): GlobalGenerator | LocalEnhancer {
  return buildGenerator(o as unknown as GeneratorArchitecture, mixSeed(o.seed as number, 1));
}

/** D as the options describe it (its input: G's label input and an image). */
export function buildD(o: Options): MultiscaleDiscriminator {
  const labels = o.label_nc === 0 ? o.input_nc as number : o.label_nc as number;
  return defineD({
    inputNc: labels + (o.no_instance ? 0 : 1) + (o.output_nc as number),
    ndf: o.ndf as number,
    nLayersD: o.n_layers_D as number,
    norm: o.norm as NormType,
    useSigmoid: !!o.no_lsgan,
    numD: o.num_D as number,
    getIntermFeat: !o.no_ganFeat_loss,
    seed: mixSeed(o.seed as number, 2),
  });
}

/** E as pix2pixHD builds it: `define_G(output_nc, feat_num, nef, 'encoder', n_downsample_E)`. */
export function buildE(o: Options): Encoder {
  return defineG({
    netG: "encoder",
    inputNc: o.output_nc as number,
    outputNc: o.feat_num as number,
    ngf: o.nef as number,
    nDownsampleGlobal: o.n_downsample_E as number,
    norm: o.norm as NormType,
    seed: mixSeed(o.seed as number, 3),
  });
}

/**
 * The options with the architecture of a saved run (`opt.json`): a flag not given takes the saved
 * value; a flag given that contradicts it is an error naming both.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { withSavedArchitecture } from "./model.ts";
 * import { parseOptions } from "./options.ts";
 *
 * const saved = parseOptions("train", ["--netG", "local", "--ngf", "32"]).options;
 * const test = parseOptions("test", []);
 * equal(withSavedArchitecture(test.options, test.given, saved, "opt.json").ngf, 32);
 * const bad = parseOptions("test", ["--ngf", "64"]);
 * throws(() => withSavedArchitecture(bad.options, bad.given, saved, "opt.json"), /--ngf/);
 * ```
 */
export function withSavedArchitecture(
  options: Options,
  given: ReadonlySet<string>,
  saved: Options,
  file: string,
  flags: readonly string[] = GENERATOR_FLAGS,
): Options {
  const out: Record<string, string | number | boolean> = { ...options };
  const conflicts: string[] = [];
  for (const k of flags) {
    if (!(k in saved)) continue;
    if (given.has(k)) {
      if (options[k] !== saved[k]) {
        conflicts.push(`--${k} ${options[k]} (trained with ${saved[k]})`);
      }
    } else out[k] = saved[k];
  }
  if (conflicts.length > 0) {
    throw new TypeError(
      `Cannot use the checkpoint as ${file} records another architecture: ${
        conflicts.join(", ")
      } (leave these flags out to use the saved ones)`,
    );
  }
  return Object.freeze(out);
}

/**
 * {@linkcode withSavedArchitecture} with the run's `<dir>/opt.json` when it has one (`file` is
 * then its path and `saved` what it records); the options unchanged when it has none.
 */
export async function withRunArchitecture(
  options: Options,
  given: ReadonlySet<string>,
  dir: string,
  flags: readonly string[] = GENERATOR_FLAGS,
): Promise<{ options: Options; file?: string; saved?: Options }> {
  const file = join(dir, "opt.json");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { options };
    throw error;
  }
  const saved = readOptJson(text, file);
  return { options: withSavedArchitecture(options, given, saved, file, flags), file, saved };
}
