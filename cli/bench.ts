/**
 * `deno task bench`: prints one JSON line per measurement, each GPU line naming the adapter it
 * ran on. `deno task bench conv adam` runs only the named groups. Options:
 * - `train`: `--sizes 1024x512,2048x1024`, `--what generate,train_step`, `--warmup N`,
 *   `--iters N`, and the networks with pix2pixHD's flags (`--netG local --ngf 32 --num_D 3`,
 *   `--n_downsample_global`, `--n_blocks_global`, `--n_local_enhancers`, `--n_blocks_local`,
 *   `--ndf`, `--n_layers_D`, `--no_vgg_loss`);
 * - `conv`: `--conv_shapes 64:512:1024,...` times conv2d at those (channels, height, width)
 *   instead of the default set with TF.js beside it;
 * - `mpi`: a small training run on 1 process and on 2 ranks under `mpirun` (see bench/mpi.ts).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { initGpu } from "../lib/gpu/kernel.ts";
import { benchData } from "../lib/data/synthetic/bench.ts";
import { benchAdam } from "./bench/adam.ts";
import { benchConv, benchConvShapes } from "./bench/conv.ts";
import { benchEdit } from "./bench/edit.ts";
import { benchFeatures } from "./bench/features.ts";
import { benchLatency } from "./bench/latency.ts";
import { benchMpi } from "./bench/mpi.ts";
import { benchNorm } from "./bench/norm.ts";
import { type BenchArchitecture, benchTrain, type BenchTrainOptions } from "./bench/train.ts";

const NUMBERS = [
  "ngf",
  "n_downsample_global",
  "n_blocks_global",
  "n_local_enhancers",
  "n_blocks_local",
  "ndf",
  "num_D",
  "n_layers_D",
] as const;

/** The options of `deno task bench`, checked. */
export interface BenchArgs {
  groups: string[];
  train: BenchTrainOptions;
  convShapes?: [number, number, number][];
}

function whole(name: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`--${name} must be a whole number ≥ ${min}: current value is '${value}'`);
  }
  return n;
}

function list<T>(name: string, value: string, each: (part: string) => T): T[] {
  return value.split(",").map((part) => {
    try {
      return each(part.trim());
    } catch (e) {
      throw new Error(
        `--${name} '${value}': ${
          e instanceof Error ? e.message : e
        } (expected a comma-separated list)`,
      );
    }
  });
}

function pair(part: string, sep: string, what: string): number[] {
  const nums = part.split(sep).map(Number);
  if (nums.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`'${part}' is not ${what}`);
  }
  return nums;
}

/** Parses `deno task bench`'s arguments; throws a message naming a bad one. */
export function parseBenchArgs(args: readonly string[]): BenchArgs {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      sizes: { type: "string" },
      what: { type: "string" },
      warmup: { type: "string" },
      iters: { type: "string" },
      netG: { type: "string" },
      no_vgg_loss: { type: "boolean" },
      conv_shapes: { type: "string" },
      ...Object.fromEntries(NUMBERS.map((n) => [n, { type: "string" as const }])),
    },
  });
  const v = values as Record<string, string | boolean | undefined>;
  const architecture: Partial<BenchArchitecture> = {};
  for (const name of NUMBERS) {
    if (typeof v[name] === "string") architecture[name] = whole(name, v[name] as string);
  }
  if (v.netG !== undefined) {
    if (v.netG !== "global" && v.netG !== "local") {
      throw new Error(`--netG must be global or local: current value is '${v.netG}'`);
    }
    architecture.netG = v.netG;
  }
  if (v.no_vgg_loss) architecture.vgg = false;
  const train: BenchTrainOptions = { architecture };
  if (typeof v.sizes === "string") {
    train.sizes = list("sizes", v.sizes, (p) => {
      const [w, h, ...rest] = pair(p, "x", "WxH");
      if (h === undefined || rest.length) throw new Error(`'${p}' is not WxH`);
      return [w, h] as const;
    });
  }
  if (typeof v.what === "string") {
    train.what = list("what", v.what, (p) => {
      if (p !== "generate" && p !== "train_step") {
        throw new Error(`'${p}' is not generate or train_step`);
      }
      return p;
    });
  }
  if (typeof v.warmup === "string") train.warmup = whole("warmup", v.warmup, 0);
  if (typeof v.iters === "string") train.iters = whole("iters", v.iters);
  const out: BenchArgs = { groups: positionals, train };
  if (typeof v.conv_shapes === "string") {
    out.convShapes = list("conv_shapes", v.conv_shapes, (p) => {
      const [c, h, w, ...rest] = pair(p, ":", "C:H:W");
      if (w === undefined || rest.length) throw new Error(`'${p}' is not C:H:W`);
      return [c, h, w] as [number, number, number];
    });
  }
  return out;
}

if (import.meta.main) {
  let parsed: BenchArgs;
  try {
    parsed = parseBenchArgs(Deno.args);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    Deno.exit(2);
  }
  const groups: Record<string, { gpu: boolean; run: () => Promise<unknown> }> = {
    features: { gpu: false, run: benchFeatures },
    conv: {
      gpu: true,
      run: () => parsed.convShapes ? benchConvShapes(parsed.convShapes) : benchConv(),
    },
    latency: { gpu: true, run: benchLatency },
    norm: { gpu: true, run: benchNorm },
    adam: { gpu: true, run: benchAdam },
    data: { gpu: false, run: () => benchData() },
    train: { gpu: true, run: () => benchTrain(parsed.train) },
    edit: { gpu: true, run: benchEdit },
    mpi: { gpu: false, run: benchMpi },
  };
  const wanted = parsed.groups.length > 0 ? parsed.groups : Object.keys(groups);
  for (const name of wanted) {
    if (!(name in groups)) {
      console.error(
        `Unknown benchmark group '${name}': expected one of ${Object.keys(groups).join(", ")}`,
      );
      Deno.exit(2);
    }
  }
  if (wanted.some((name) => groups[name].gpu)) {
    console.error(`adapter: ${(await initGpu()).gpu.adapter}`);
  }
  for (const name of wanted) await groups[name].run();
}
