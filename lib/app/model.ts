/**
 * The networks a set of options describes (`Pix2PixHDModel.initialize`): G, D and E with their
 * input channels, and the architecture flags a checkpoint's `opt.json` pins down.
 *
 * @module
 */
import type { DataLoader } from "../data/loader.ts";
import { openDataset, type OpenDatasetOptions } from "../data/open.ts";
import { scanDataset } from "../data/layout.ts";
import { mixSeed } from "../data/rng.ts";
import { defineD, type DefineDOptions } from "../pix2pixhd/networks/define_d.ts";
import {
  buildGenerator,
  GENERATOR_ARCHITECTURE_FLAGS,
  type GeneratorArchitecture,
  generatorInputNc as inputNcOf,
  usesFeatures as usesFeaturesOf,
} from "../pix2pixhd/architecture.ts";
import { defineG, type DefineGOptions } from "../pix2pixhd/networks/define_g.ts";
import type { TrainerOptions } from "../pix2pixhd/trainer.ts";
import type { Encoder } from "../pix2pixhd/networks/encoder.ts";
import type { GlobalGenerator } from "../pix2pixhd/networks/global_generator.ts";
import type { LocalEnhancer } from "../pix2pixhd/networks/local_enhancer.ts";
import type { MultiscaleDiscriminator } from "../pix2pixhd/networks/multiscale_discriminator.ts";
import type { NormType } from "../pix2pixhd/networks/norm.ts";
import { type ResizeOrCrop, sizeMultiple, type TransformOptions } from "../data/transform.ts";
import { join } from "node:path";
import {
  type FlagName,
  type Options,
  type ParsedOptions,
  readOptJson,
  type SavedOptions,
} from "./options.ts";

/** The flags that fix the generator's (and the encoder's) layout and input. */
export const GENERATOR_FLAGS: readonly FlagName[] = [
  ...GENERATOR_ARCHITECTURE_FLAGS,
  "nef",
  "n_downsample_E",
];

/**
 * What a run remembers for `cli/test.ts`, `cli/encode.ts` and `cli/edit.ts` from its `opt.json`:
 * G's (and E's) flags, where its features come from, and the transform its images went through.
 */
export const RUN_FLAGS: readonly FlagName[] = [
  ...GENERATOR_FLAGS,
  "load_features",
  "resize_or_crop",
  "loadSize",
  "fineSize",
];

/** The flags that fix the discriminator's layout. */
export const DISCRIMINATOR_FLAGS: readonly FlagName[] = [
  "num_D",
  "n_layers_D",
  "ndf",
  "no_ganFeat_loss",
  "no_lsgan",
];

/** The loader's `--resize_or_crop` options, sizes rounded to the multiple G needs. */
export function transformOptions(o: Options, flip: boolean): TransformOptions {
  return {
    resizeOrCrop: o.resize_or_crop as ResizeOrCrop,
    loadSize: o.loadSize,
    fineSize: o.fineSize,
    multiple: sizeMultiple({
      netG: o.netG,
      nDownsampleGlobal: o.n_downsample_global,
      nLocalEnhancers: o.n_local_enhancers,
    }),
    flip,
  };
}

/** The narrow configurations a run's flags describe, each for the code that takes it. */
export interface RunConfig {
  /** G's architecture and the seed of its initial weights. */
  g: { architecture: GeneratorArchitecture; seed: number };
  /** D (its input: G's label input and an image). */
  d: DefineDOptions;
  /** E as pix2pixHD builds it: `define_G(output_nc, feat_num, nef, 'encoder', n_downsample_E)`. */
  e: DefineGOptions & { netG: "encoder" };
  /** The training step. */
  trainer: TrainerOptions;
  /**
   * `<dataroot>/<phase>`: `train` as `train.py` reads it (checked, shuffled unless
   * `--serial_batches`, flipped unless `--no_flip`); `serial` as `test.py` and
   * `encode_features.py` read it (in order, one image at a time, no flips, photos and every
   * image; callers narrow `image` and `maxDatasetSize`).
   */
  data: { root: string; train: OpenDatasetOptions; serial: OpenDatasetOptions };
}

/** Every configuration the flags describe, translated in this one place. */
export function configFrom(o: Options): RunConfig {
  const labels = o.label_nc === 0 ? o.input_nc : o.label_nc;
  const norm = o.norm as NormType;
  const layout = { phase: o.phase, labelNc: o.label_nc, instance: !o.no_instance, seed: o.seed };
  return {
    g: { architecture: o, seed: mixSeed(o.seed, 1) },
    d: {
      inputNc: labels + (o.no_instance ? 0 : 1) + o.output_nc,
      ndf: o.ndf,
      nLayersD: o.n_layers_D,
      norm,
      useSigmoid: !!o.no_lsgan,
      numD: o.num_D,
      getIntermFeat: !o.no_ganFeat_loss,
      seed: mixSeed(o.seed, 2),
    },
    e: {
      netG: "encoder",
      inputNc: o.output_nc,
      outputNc: o.feat_num,
      ngf: o.nef,
      nDownsampleGlobal: o.n_downsample_E,
      norm,
      seed: mixSeed(o.seed, 3),
    },
    trainer: {
      labelNc: o.label_nc,
      noInstance: o.no_instance,
      lr: o.lr,
      beta1: o.beta1,
      lambdaFeat: o.lambda_feat,
      noGanFeatLoss: o.no_ganFeat_loss,
      noVggLoss: o.no_vgg_loss,
      noLsgan: o.no_lsgan,
      poolSize: o.pool_size,
      poolSeed: mixSeed(o.seed, 4),
      labelFeat: o.label_feat,
      loadFeatures: o.load_features,
    },
    data: {
      root: o.dataroot,
      train: {
        ...layout,
        image: true,
        features: o.load_features,
        transform: transformOptions(o, !o.no_flip),
        batchSize: o.batchSize,
        serialBatches: o.serial_batches,
        maxDatasetSize: o.max_dataset_size,
        nThreads: o.nThreads,
      },
      serial: {
        ...layout,
        image: true,
        transform: transformOptions(o, false),
        batchSize: 1,
        serialBatches: true,
        maxDatasetSize: Infinity,
        nThreads: 1,
        check: false,
      },
    },
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
  const { root, serial } = configFrom(o).data;
  return openDataset(root, { ...serial, image: options.image, maxDatasetSize: options.limit });
}

/**
 * Whether every sample of `<dataroot>/<phase>` has its photo (the sample scenes' test split does),
 * so that test results can show it and be measured against it.
 */
export async function splitHasPhotos(o: Options): Promise<boolean> {
  const { root, serial } = configFrom(o).data;
  const scan = await scanDataset(root, { ...serial, image: true });
  return scan.problems.length === 0 && scan.entries.length > 0;
}

/** Whether the options train or use the feature encoder. */
export function usesFeatures(o: Options): boolean {
  return usesFeaturesOf(o);
}

/** G's input channels: labels (or the input image), the boundary map, the features. */
export function generatorInputNc(o: Options): number {
  return inputNcOf(o);
}

/** G as the options describe it, with pix2pixHD's initial weights from `--seed`. */
export function buildG(o: Options): GlobalGenerator | LocalEnhancer {
  const { architecture, seed } = configFrom(o).g;
  return buildGenerator(architecture, seed);
}

/** D as the options describe it (its input: G's label input and an image). */
export function buildD(o: Options): MultiscaleDiscriminator {
  return defineD(configFrom(o).d);
}

/** E as pix2pixHD builds it: `define_G(output_nc, feat_num, nef, 'encoder', n_downsample_E)`. */
export function buildE(o: Options): Encoder {
  return defineG(configFrom(o).e);
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
  saved: SavedOptions,
  file: string,
  flags: readonly FlagName[] = GENERATOR_FLAGS,
): Options {
  const out: Record<string, string | number | boolean> = { ...options };
  const conflicts: string[] = [];
  for (const k of flags) {
    if (!(k in saved)) continue;
    if (typeof saved[k] !== typeof options[k]) {
      throw new TypeError(
        `Cannot read ${file} as its "${k}" must be a ${typeof options[k]}: current value is ${
          JSON.stringify(saved[k])
        }`,
      );
    }
    if (given.has(k)) {
      if (options[k] !== saved[k]) {
        conflicts.push(`--${k} ${options[k]} (trained with ${saved[k]})`);
      }
    } else out[k] = saved[k];
  }
  if (conflicts.length > 0) {
    throw new TypeError(
      `Cannot use the checkpoint as ${file} records other settings: ${
        conflicts.join(", ")
      } (leave these flags out to use the saved ones)`,
    );
  }
  // Every flag of `options`, those of `flags` replaced by saved values of the same type.
  return Object.freeze(out) as unknown as Options;
}

/**
 * {@linkcode withSavedArchitecture} with the run's `<dir>/opt.json` when it has one (`file` is
 * then its path and `saved` what it records); the options unchanged when it has none.
 */
export async function withRunArchitecture(
  options: Options,
  given: ReadonlySet<string>,
  dir: string,
  flags: readonly FlagName[] = GENERATOR_FLAGS,
): Promise<{ options: Options; file?: string; saved?: SavedOptions }> {
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

/**
 * The options of `cli/test.ts`, `cli/encode.ts` and `cli/edit.ts` with what the run remembers
 * ({@linkcode RUN_FLAGS}) from `checkpoints/<name>/opt.json`, printing where they came from.
 */
export async function rememberedOptions(
  parsed: ParsedOptions,
  print: (line: string) => void,
): Promise<{ options: Options; dir: string }> {
  const dir = join(parsed.options.checkpoints_dir, parsed.options.name);
  const run = await withRunArchitecture(parsed.options, parsed.given, dir, RUN_FLAGS);
  if (run.file) print(`architecture from ${run.file}`);
  return { options: run.options, dir };
}
