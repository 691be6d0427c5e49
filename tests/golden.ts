/**
 * The golden set's networks, as manifest.json's construction_calls build them, and a strict load
 * of their checkpoints, shared by the golden tests.
 *
 * @module
 */
import { equal } from "node:assert/strict";
import { goldenDir } from "../lib/io/_test_utils.ts";
import { openCheckpoint } from "../lib/io/open_checkpoint.ts";
import type { Module } from "../lib/nn/module.ts";
import type { DefineDOptions, DefineGOptions } from "../lib/pix2pixhd/networks/mod.ts";

/** shared/golden, or undefined where it is absent (the golden tests are then ignored). */
export const golden: string | undefined = goldenDir();
/** The parity set. */
export const tiny = `${golden}/tiny`;
/** The initial checkpoint of a network ("G", "D" or "E"). */
export const ckpt = (net: string): string => `${tiny}/checkpoints/golden/latest_net_${net}.pth`;

/** manifest.json → construction_calls: G. */
export const G = {
  netG: "local",
  inputNc: 36,
  outputNc: 3,
  ngf: 16,
  nDownsampleGlobal: 3,
  nBlocksGlobal: 3,
  nLocalEnhancers: 1,
  nBlocksLocal: 2,
  norm: "instance",
} as const satisfies DefineGOptions;
/** manifest.json → construction_calls: D. */
export const D = {
  inputNc: 39,
  ndf: 16,
  nLayersD: 3,
  norm: "instance",
  numD: 2,
  getIntermFeat: true,
} as const satisfies DefineDOptions;
/** manifest.json → construction_calls: E. */
export const E = {
  netG: "encoder",
  inputNc: 3,
  outputNc: 3,
  ngf: 16,
  nDownsampleGlobal: 4,
} as const;

/** Loads a checkpoint into `net` strictly, checking that every key of the file was used. */
export async function loaded<M extends Module>(net: M, path: string): Promise<M> {
  using checkpoint = await openCheckpoint(path);
  const report = await net.loadStateDict(checkpoint.tensors);
  equal(report.loaded.length, checkpoint.keys().length);
  return net;
}
