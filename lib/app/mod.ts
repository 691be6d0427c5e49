/**
 * The programs behind `cli/train.ts`, `cli/test.ts`, `cli/encode.ts` and `cli/edit.ts`, as a
 * library: the original's options, training with checkpoints, resumable state, logs and results
 * pages, testing, encoding and clustering instance features, and the scene editor.
 *
 * @example Train, then synthesize, as the command lines do
 * ```ts ignore
 * import { parseOptions, test, train } from "@pix2pixhd/pix2pixhd";
 * await train(parseOptions("train", ["--name", "city", "--dataroot", "datasets/cityscapes"]));
 * await test(parseOptions("test", ["--name", "city", "--dataroot", "datasets/cityscapes"]));
 * ```
 *
 * @module
 */
export {
  closestFlag,
  type Command,
  type Flag,
  FLAGS,
  flagsOf,
  type FlagType,
  helpText,
  type Options,
  optJson,
  optText,
  type ParsedOptions,
  parseOptions,
  readOptJson,
  type Scope,
} from "./options.ts";
export {
  buildD,
  buildE,
  buildG,
  DISCRIMINATOR_FLAGS,
  GENERATOR_FLAGS,
  generatorInputNc,
  usesFeatures,
  withRunArchitecture,
  withSavedArchitecture,
} from "./model.ts";
export {
  type CheckpointSetParts,
  checkTrainStateSet,
  loadNetwork,
  loadTrainState,
  type NetworkLoad,
  networkPath,
  type Progress,
  readIter,
  saveCheckpointSet,
  saveNetwork,
  saveTrainState,
  statePath,
  type TrainState,
} from "./checkpoints.ts";
export {
  type FileDigest,
  fileDigest,
  recoverSets,
  saveSet,
  type SetFile,
} from "./checkpoint_set.ts";
export { lossLine, type LossRecord, train, type TrainHooks, type TrainResult } from "./train.ts";
export { test, type TestHooks, type TestResult } from "./test.ts";
export {
  encode,
  type EncodeHooks,
  type EncodeResult,
  featureMapImage,
  FEATURES_FORMAT,
} from "./encode.ts";
export { edit, type EditHooks, type EditResult } from "./edit.ts";
export {
  clusterStem,
  encodeBatch,
  type FeatureOptions,
  featureOptions,
  poolingIds,
  readClusters,
  readRunClusters,
} from "./features.ts";
export {
  colorizeLabels,
  encodeImage,
  imageBytes,
  type ImageFormat,
  labelColormap,
  labelImage,
} from "../data/visuals.ts";
export { imagePage, lossPlot, type LossPoint, type PageImage, type PageRow } from "./html.ts";
