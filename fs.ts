/**
 * pix2pixhd with files and folders (Deno, Node): checkpoints read from and written to files
 * (a file appears only once complete), datasets scanned, checked, loaded and streamed, the
 * synthetic street dataset written, and VGG19's weights found or downloaded.
 *
 * @example Convert a checkpoint
 * ```ts ignore
 * import { loadCheckpoint, saveCheckpoint } from "@pix2pixhd/pix2pixhd/fs";
 * await saveCheckpoint("latest_net_G.safetensors", await loadCheckpoint("latest_net_G.pth"));
 * ```
 *
 * @module
 */
export { FileSource } from "./lib/io/byte_source.ts";
export { loadCheckpoint, openCheckpoint } from "./lib/io/open_checkpoint.ts";
export { formatOfPath, saveCheckpoint } from "./lib/io/save_checkpoint.ts";
export { saveSafetensors } from "./lib/io/safetensors_writer.ts";
export { saveTorch } from "./lib/io/torch_writer.ts";
export { type WriteChunk, writeOutputFile } from "./lib/io/output_file.ts";
export { readImage } from "./lib/data/decode.ts";
export {
  type DatasetEntry,
  type DatasetProblem,
  type DatasetScan,
  type Layout,
  type LayoutOptions,
  listDataset,
  pairingKey,
  scanDataset,
} from "./lib/data/layout.ts";
export { loadSample, type Sample, type SampleOptions } from "./lib/data/sample.ts";
export { DataLoader, type LoaderOptions } from "./lib/data/loader.ts";
export { openDataset, type OpenDatasetOptions } from "./lib/data/open.ts";
export { checkDataset, type CheckOptions, type CheckReport } from "./lib/data/check.ts";
export {
  type MakeOptions,
  renderStreetScene,
  type StreetScene,
  writeStreetDataset,
} from "./lib/data/synthetic/make.ts";
export { loadVgg19 } from "./lib/pix2pixhd/vgg19.ts";
export {
  defaultVggCacheDir,
  resolveVggWeights,
  VGG19_FILE,
  VGG19_URL,
  type VggWeightsOptions,
} from "./lib/pix2pixhd/vgg_weights.ts";
