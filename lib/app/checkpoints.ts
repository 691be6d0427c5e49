/**
 * A run's files in `checkpoints/<name>/`: the networks as pix2pixHD names them
 * (`<label>_net_{G,D,E}.pth`, torch zip format), `iter.txt`, and the training state beside them
 * (`<label>_train_state.safetensors`: Adam's moments and step counts, the learning rate, the
 * position in the schedule, the image pool, and the size and SHA-256 of each network file saved
 * with it). A checkpoint's files are saved as one set ({@linkcode saveSet}): a process killed at
 * any moment leaves the old set or the new one, never a mix.
 *
 * @module
 */
import { basename } from "node:path";
import { writeOutputFile } from "../io/output_file.ts";
import { openCheckpoint } from "../io/open_checkpoint.ts";
import { saveCheckpoint } from "../io/save_checkpoint.ts";
import type { TensorData } from "../io/tensor_data.ts";
import { toFloat32 } from "../io/to_float32.ts";
import type { Module } from "../nn/module.ts";
import type { Adam } from "../optim/adam.ts";
import type { ImagePool } from "../pix2pixhd/image_pool.ts";
import { Tensor } from "../tensor/tensor.ts";
import { type FileDigest, fileDigest, saveSet, type SetFile } from "./checkpoint_set.ts";

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
  await saveCheckpoint(path, entries, { format: "torch-zip" });
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
  let report;
  try {
    report = await net.loadStateDict(checkpoint.tensors, { strict: options.strict });
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const Class = error.constructor as new (message: string, options: ErrorOptions) => Error;
    throw new Class(`Cannot load ${path}: ${error.message}`, { cause: error });
  }
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

/** `iter.txt`'s text: the epoch and the images done in it, one per line (numpy's `savetxt`). */
function iterText(epoch: number, epochIter: number): string {
  return `${epoch}\n${epochIter}\n`;
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
  /** Data-parallel ranks that trained it; absent for one process. */
  ranks?: number;
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
 * moment is keyed by its parameter's name in `names` (`G.model.1.weight`). `networks` records
 * the network files saved with the state, by file name, for {@linkcode checkTrainStateSet}.
 */
export async function saveTrainState(
  path: string,
  state: TrainState,
  names: ReadonlyMap<Tensor, string>,
  progress: Progress,
  networks: Readonly<Record<string, FileDigest>> = {},
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
    networks,
  };
  await saveCheckpoint(path, entries, {
    format: "safetensors",
    metadata: { format: FORMAT, version: "2", state: JSON.stringify(meta) },
  });
}

/** What a checkpoint saves: its networks by key ("G", "D", "E"), and the trainer's state. */
export interface CheckpointSetParts {
  /** The networks, by pix2pixHD's key. */
  nets: readonly (readonly [string, Module])[];
  /** The optimizers and the image pool. */
  state: TrainState;
  /** Parameter names, for the optimizer moments. */
  names: ReadonlyMap<Tensor, string>;
  /** Where the run is. */
  progress: Progress;
  /** Whether `iter.txt` (the progress's epoch and images done in it) is saved with the set. */
  iter?: boolean;
}

/**
 * Saves checkpoint `label` in `dir` as one set: the networks, then the training state (which
 * records each network file's size and SHA-256), then `iter.txt` when `parts.iter` is set.
 */
export async function saveCheckpointSet(
  dir: string,
  label: string | number,
  parts: CheckpointSetParts,
): Promise<void> {
  const digests: Record<string, FileDigest> = {};
  const files: SetFile[] = parts.nets.map(([key, net]) => {
    const name = basename(networkPath(dir, label, key));
    return {
      name,
      write: async (path: string) => {
        await saveNetwork(net, path);
        digests[name] = await fileDigest(path);
      },
    };
  });
  files.push({
    name: basename(statePath(dir, label)),
    write: (path) => saveTrainState(path, parts.state, parts.names, parts.progress, digests),
  });
  if (parts.iter) {
    const { epoch, epochIter } = parts.progress;
    files.push({
      name: "iter.txt",
      write: (path) => writeTextAtomic(path, iterText(epoch, epochIter)),
    });
  }
  await saveSet(dir, String(label), files);
}

async function readStateMeta(path: string): Promise<Record<string, unknown>> {
  using file = await openCheckpoint(path);
  return stateMeta(path, file.metadata);
}

function stateMeta(
  path: string,
  metadata: Readonly<Record<string, string>> | undefined,
): Record<string, unknown> {
  const raw = metadata?.state;
  if (metadata?.format !== FORMAT || raw === undefined) {
    throw new TypeError(
      `Cannot resume from ${path} as it is not a training state: current value is ${
        JSON.stringify(metadata ?? {})
      }`,
    );
  }
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new SyntaxError(
      `Cannot resume from ${path} as its state is not JSON: ${(error as Error).message}`,
    );
  }
}

/**
 * Checks that the network files in `dir` are the ones saved with the training state at `path`
 * (same size and SHA-256); throws naming the first that is not. A state from before the digests
 * were recorded checks nothing.
 */
export async function checkTrainStateSet(path: string, dir: string): Promise<void> {
  const meta = await readStateMeta(path);
  const networks = (meta.networks ?? {}) as Record<string, FileDigest>;
  for (const [name, saved] of Object.entries(networks)) {
    const file = `${dir}/${name}`;
    let found: FileDigest;
    try {
      found = await fileDigest(file);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new Deno.errors.NotFound(
        `Cannot resume from ${path} as ${file}, saved with it, is missing`,
      );
    }
    if (found.size !== saved.size || found.sha256 !== saved.sha256) {
      throw new TypeError(
        `Cannot resume from ${path} as ${file} is not the file saved with it (the checkpoint's files come from different saves; put back the matching file, or remove ${path} to resume with fresh optimizer moments): current value is ${found.size} bytes, SHA-256 ${
          found.sha256.slice(0, 16)
        }…, expected ${saved.size} bytes, SHA-256 ${saved.sha256.slice(0, 16)}…`,
      );
    }
  }
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
  // deno-lint-ignore no-explicit-any
  const meta: any = stateMeta(path, file.metadata);
  const progress: Progress = {
    epoch: meta.epoch,
    epochIter: meta.epochIter,
    totalSteps: meta.totalSteps,
    lr: meta.lr,
    fixedGlobal: meta.fixedGlobal,
  };
  if (meta.ranks !== undefined) {
    if (!(Number.isInteger(meta.ranks) && meta.ranks >= 1)) {
      throw new TypeError(
        `Cannot resume from ${path} as its ranks must be a positive integer: current value is ${
          JSON.stringify(meta.ranks)
        }`,
      );
    }
    progress.ranks = meta.ranks;
  }
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
