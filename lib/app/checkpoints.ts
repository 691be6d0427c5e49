/**
 * A run's files in `checkpoints/<name>/`: the networks as pix2pixHD names them
 * (`<label>_net_{G,D,E}.pth`, torch zip format), `iter.txt`, and the training state beside them
 * (`<label>_train_state.safetensors`: Adam's moments and step counts, the learning rate, the
 * position in the schedule and the image pool), each written to a temporary file and renamed.
 *
 * @module
 */
import { writeOutputFile } from "../io/output_file.ts";
import { openCheckpoint } from "../io/open_checkpoint.ts";
import { saveCheckpoint } from "../io/save_checkpoint.ts";
import type { TensorData } from "../io/tensor_data.ts";
import { toFloat32 } from "../io/to_float32.ts";
import type { Module } from "../nn/module.ts";
import type { Adam } from "../optim/adam.ts";
import type { ImagePool } from "../pix2pixhd/image_pool.ts";
import { Tensor } from "../tensor/tensor.ts";

/** A network's checkpoint path: `<dir>/<label>_net_<net>.pth`. */
export function networkPath(dir: string, label: string | number, net: string): string {
  return `${dir}/${label}_net_${net}.pth`;
}

async function hostTensor(t: Tensor): Promise<TensorData> {
  const data = await t.data();
  return t.dtype === "int32"
    ? { dtype: "int64", shape: [...t.shape], data: BigInt64Array.from(data, (v) => BigInt(v)) }
    : { dtype: "float32", shape: [...t.shape], data: data as Float32Array };
}

/** Writes a network's state_dict in PyTorch's zip format, as `torch.save` would. */
export async function saveNetwork(net: Module, path: string): Promise<void> {
  const entries: [string, TensorData][] = [];
  for (const [key, t] of net.stateDict()) entries.push([key, await hostTensor(t)]);
  await saveCheckpoint(path, entries);
}

/** How {@linkcode loadNetwork} went. */
export interface NetworkLoad {
  loaded: number;
  missing: string[];
  unexpected: string[];
}

/**
 * Loads a network's checkpoint. Strict loads throw on any missing, extra or mis-shaped key;
 * partial ones (`--load_pretrain` from a smaller model, as pix2pixHD allows) load what matches
 * and report the rest, but throw when nothing matches.
 */
export async function loadNetwork(
  net: Module,
  path: string,
  options: { strict: boolean },
): Promise<NetworkLoad> {
  using checkpoint = await openCheckpoint(path);
  const report = await net.loadStateDict(checkpoint.tensors, { strict: options.strict });
  if (report.loaded.length === 0) {
    throw new TypeError(
      `Cannot load ${path} as none of its keys fit the network: current value is ${
        checkpoint.keys().slice(0, 5).join(", ")
      }...`,
    );
  }
  return {
    loaded: report.loaded.length,
    missing: [...report.missing],
    unexpected: [...report.unexpected],
  };
}

/** Writes text to a temporary file and renames it over `path`. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await writeOutputFile(path, (write) => write(new TextEncoder().encode(text)));
}

/** `iter.txt`: the epoch and the images done in it, one per line (numpy's `savetxt`). */
export async function writeIter(dir: string, epoch: number, epochIter: number): Promise<void> {
  await writeTextAtomic(`${dir}/iter.txt`, `${epoch}\n${epochIter}\n`);
}

/** Reads `iter.txt`: [epoch, images done in it]. */
export async function readIter(dir: string): Promise<[number, number]> {
  const path = `${dir}/iter.txt`;
  const text = await Deno.readTextFile(path);
  const values = text.split(/[\s,]+/).filter((s) => s !== "").map(Number);
  if (values.length !== 2 || !values.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new SyntaxError(
      `Cannot read ${path} as it must hold two non-negative integers, the epoch and the iteration: current value is '${text.trim()}'`,
    );
  }
  return values as [number, number];
}

/** Where the run is in its schedule, saved with the optimizers. */
export interface Progress {
  /** The epoch to run (1-based). */
  epoch: number;
  /** Images of that epoch already trained on. */
  epochIter: number;
  /** Images trained on since the start. */
  totalSteps: number;
  /** The current learning rate. */
  lr: number;
  /** Whether G's optimizer still holds only the outermost enhancer (and E). */
  fixedGlobal: boolean;
}

/** The parts of a run the training state captures (a `Trainer` has them). */
export interface TrainState {
  readonly optimizerG: Adam;
  readonly optimizerD: Adam;
  readonly pool: ImagePool;
}

const FORMAT = "pix2pixhd-train-state";

/** The training state's path beside the networks. */
export function statePath(dir: string, label: string | number): string {
  return `${dir}/${label}_train_state.safetensors`;
}

/**
 * Writes the optimizers' moments, the image pool and `progress` to `path` (safetensors); each
 * moment is keyed by its parameter's name in `names` (`G.model.1.weight`).
 */
export async function saveTrainState(
  path: string,
  state: TrainState,
  names: ReadonlyMap<Tensor, string>,
  progress: Progress,
): Promise<void> {
  const entries: [string, TensorData][] = [];
  const optimizers = [["optimizer_G", state.optimizerG], [
    "optimizer_D",
    state.optimizerD,
  ]] as const;
  for (const [prefix, opt] of optimizers) {
    for (const [i, p] of opt.params.entries()) {
      const name = names.get(p) ?? `${i}`;
      entries.push([`${prefix}.${name}.exp_avg`, await hostTensor(opt.moments[i].m)]);
      entries.push([`${prefix}.${name}.exp_avg_sq`, await hostTensor(opt.moments[i].v)]);
    }
  }
  for (const [k, image] of state.pool.images.entries()) {
    entries.push([`pool.${k}`, await hostTensor(image)]);
  }
  const meta = {
    ...progress,
    stepsG: state.optimizerG.steps,
    stepsD: state.optimizerD.steps,
    paramsG: state.optimizerG.params.length,
    poolRng: state.pool.rngState,
  };
  await saveCheckpoint(path, entries, {
    metadata: { format: FORMAT, version: "1", state: JSON.stringify(meta) },
  });
}

/**
 * Restores what {@linkcode saveTrainState} wrote into optimizers over the same parameters and
 * returns the progress. `prepare` runs first with the saved progress, so that the caller can
 * narrow G's optimizer when the state was saved in the `--niter_fix_global` phase. Throws naming
 * the file and the key when the state does not fit.
 */
export async function loadTrainState(
  path: string,
  state: TrainState,
  names: ReadonlyMap<Tensor, string>,
  prepare?: (progress: Progress) => void,
): Promise<Progress> {
  using file = await openCheckpoint(path);
  const raw = file.metadata?.state;
  if (file.metadata?.format !== FORMAT || raw === undefined) {
    throw new TypeError(
      `Cannot resume from ${path} as it is not a training state: current value is ${
        JSON.stringify(file.metadata ?? {})
      }`,
    );
  }
  const meta = JSON.parse(raw);
  const progress: Progress = {
    epoch: meta.epoch,
    epochIter: meta.epochIter,
    totalSteps: meta.totalSteps,
    lr: meta.lr,
    fixedGlobal: meta.fixedGlobal,
  };
  prepare?.(progress);
  const keys = new Set(file.keys());
  const optimizers = [["optimizer_G", state.optimizerG, meta.stepsG], [
    "optimizer_D",
    state.optimizerD,
    meta.stepsD,
  ]] as const;
  if (meta.paramsG !== state.optimizerG.params.length) {
    throw new TypeError(
      `Cannot resume from ${path} as G's optimizer held ${meta.paramsG} tensors: current value is ${state.optimizerG.params.length}`,
    );
  }
  for (const [prefix, opt, steps] of optimizers) {
    for (const [i, p] of opt.params.entries()) {
      const name = names.get(p) ?? `${i}`;
      const moments = opt.moments[i];
      for (const suffix of ["exp_avg", "exp_avg_sq"] as const) {
        const target = suffix === "exp_avg" ? moments.m : moments.v;
        const key = `${prefix}.${name}.${suffix}`;
        if (!keys.has(key)) {
          throw new TypeError(`Cannot resume from ${path} as it lacks '${key}'`);
        }
        const data = toFloat32(await file.read(key));
        if (data.length !== target.size) {
          throw new RangeError(
            `Cannot resume from ${path} as '${key}' must hold ${target.size} values: current value is ${data.length}`,
          );
        }
        const restored = Tensor.from(data, target.shape).keep();
        target.dispose();
        if (suffix === "exp_avg") moments.m = restored;
        else moments.v = restored;
      }
    }
    opt.steps = steps;
  }
  const images: Tensor[] = [];
  for (let k = 0; keys.has(`pool.${k}`); k++) {
    const t = await file.read(`pool.${k}`);
    images.push(Tensor.from(toFloat32(t), t.shape));
  }
  state.pool.restore(images, meta.poolRng);
  return progress;
}
