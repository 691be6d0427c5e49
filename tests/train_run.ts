/**
 * The tiny coarse-to-fine training run that the end-to-end training tests share, and what they
 * compare between runs: every tensor of a checkpoint, and the logged losses.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { openCheckpoint } from "../lib/io/open_checkpoint.ts";
import { toFloat32 } from "../lib/io/to_float32.ts";

/** The fixtures' 16 street scenes. */
export const city: string = fileURLToPath(new URL("../fixtures/data/city", import.meta.url));

/** Two epochs of two 64×32 images; the global generator is fixed during the first. */
export const TINY: readonly string[] = [
  "--dataroot",
  city,
  "--netG",
  "local",
  "--ngf",
  "8",
  "--n_downsample_global",
  "2",
  "--n_blocks_global",
  "1",
  "--n_blocks_local",
  "1",
  "--ndf",
  "8",
  "--n_layers_D",
  "2",
  "--loadSize",
  "64",
  "--resize_or_crop",
  "scale_width",
  "--no_vgg_loss",
  "--max_dataset_size",
  "2",
  "--niter",
  "1",
  "--niter_decay",
  "1",
  "--niter_fix_global",
  "1",
  "--pool_size",
  "1",
  "--nThreads",
  "0",
  "--print_freq",
  "1",
  "--display_freq",
  "2",
  "--save_epoch_freq",
  "1",
  "--seed",
  "5",
  "--lr",
  "0.002",
]; // deno-fmt-ignore

/** `args` with some flags' values replaced. */
export function replaced(args: readonly string[], values: Record<string, string>): string[] {
  return args.map((a, i) => i > 0 && args[i - 1].slice(2) in values ? values[args[i - 1].slice(2)] : a);
}

/** Every tensor of the checkpoint at `path`, as float32. */
export async function tensors(path: string): Promise<Map<string, Float32Array>> {
  using file = await openCheckpoint(path);
  const out = new Map<string, Float32Array>();
  for (const key of file.keys()) out.set(key, toFloat32(await file.read(key)));
  return out;
}

/** The records of a `loss_log.jsonl`, without their timings. */
export function losses(text: string): unknown[] {
  return text.trim().split("\n").map((line) => {
    const { sec: _, ...rest } = JSON.parse(line);
    return rest;
  });
}
