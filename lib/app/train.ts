/**
 * pix2pixHD's `train.py`: builds (or loads) G, D and E from the options, streams the dataset,
 * runs the coarse-to-fine schedule (`--niter` epochs at the starting rate, `--niter_decay` of
 * linear decay, `--niter_fix_global` epochs on the outermost enhancer first), and writes
 * checkpoints, the training state, the loss logs and the results page.
 *
 * @module
 */
import { join } from "node:path";
import type { Batch } from "../data/batch.ts";
import type { DataLoader } from "../data/loader.ts";
import { openDataset } from "../data/open.ts";
import { initGpu } from "../gpu/kernel.ts";
import { tuneConvs } from "../ops/conv_tuner.ts";
import { LOSS_NAMES, type Losses } from "../pix2pixhd/trainer.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { exists } from "./checkpoint_set.ts";
import { networkPath, type Progress, saveCheckpointSet } from "./checkpoints.ts";
import { configFrom } from "./model.ts";
import type { Options, ParsedOptions } from "./options.ts";
import { openRun, startRunFolder } from "./run_open.ts";
import { type LossRecord, TrainLog } from "./train_log.ts";
import { openNetworks } from "./train_networks.ts";
import { displayResults } from "./train_page.ts";
import { nextEpoch, resumeProgress } from "./train_schedule.ts";
import { adapterLine } from "../gpu/device.ts";
import {
  averageGradients,
  checkSameWeights,
  type Reducer,
  type SyncStats,
} from "../dist/gradients.ts";
import { openWorld } from "../dist/mpi.ts";

export { lossLine, type LossRecord } from "./train_log.ts";
export type { SyncStats } from "../dist/gradients.ts";

/** Callbacks and controls of {@linkcode train}. */
export interface TrainHooks {
  /** Once aborted, training stops after the current step and saves `latest` (Ctrl-C). */
  signal?: AbortSignal;
  /** Called after every step. */
  onStep?: (record: LossRecord) => void;
  /** Where messages go (default `console.log`). */
  print?: (line: string) => void;
  /** A progress bar on stderr (default: when stderr is a terminal). */
  progress?: boolean;
  /** Data-parallel runs: called after each step's gradient averaging with what it cost. */
  onSync?: (stats: SyncStats) => void;
  /**
   * The data-parallel ranks this process is one of (default: MPI's world when `mpirun` or
   * `srun` started several processes, else none): see {@linkcode DataParallel}.
   */
  world?: DataParallel;
}

/**
 * Data-parallel training's ranks: each trains on its shard of every epoch, the gradients are
 * averaged across them before each update, and rank 0 alone writes the run folder.
 */
export interface DataParallel extends Reducer {
  /** This process's rank, 0..size-1. */
  readonly rank: number;
  /** Waits for every rank. */
  barrier(): Promise<void>;
}

/** What gradient averaging cost a data-parallel run (see lib/dist/gradients.ts). */
export interface SyncTotals {
  /** Bytes each rank reduced per step. */
  bytesPerStep: number;
  /** Seconds per step from the first read-back to the last write of the gradients. */
  syncSeconds: number;
  /** Seconds per step inside the reductions. */
  reduceSeconds: number;
}

/** What {@linkcode train} did. */
export interface TrainResult {
  /** `checkpoints/<name>`. */
  dir: string;
  /** Images trained on since the run's start, resumed parts included. */
  totalSteps: number;
  /** Steps run by this call. */
  steps: number;
  /** Whether it stopped early on the signal (after saving `latest`). */
  interrupted: boolean;
  /** Mean seconds per training step in this call. */
  secondsPerStep: number;
  /** The results page, unless `--no_html`. */
  page?: string;
  /** Data-parallel runs: what averaging the gradients cost. */
  sync?: SyncTotals;
  /** Data-parallel runs: this process's rank (0 writes the run folder). */
  rank?: number;
}

/**
 * Trains pix2pixHD as `train.py` does, from parsed `cli/train.ts` options; see the module doc.
 * Resuming (`--continue_train`) restores the training state saved with the checkpoint, so that
 * a run stopped and resumed ends with the weights of one never stopped.
 */
export async function train(parsed: ParsedOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const mpi = hooks.world ? undefined : openWorld();
  const world = hooks.world ?? mpi;
  if (!world) return await trainOn(undefined, parsed, hooks);
  let result: TrainResult;
  try {
    result = await trainOn(world, parsed, hooks);
  } catch (error) {
    const message = `rank ${world.rank} of ${world.size}: ${(error as Error).message}`;
    if (!mpi) throw new Error(message, { cause: error });
    // One rank's failure ends every rank at once rather than leaving them waiting for it.
    console.error(`error: ${message}`);
    return mpi.abort(1);
  }
  if (mpi) {
    await mpi.barrier();
    await mpi.finalize();
  }
  return result;
}

async function trainOn(
  world: DataParallel | undefined,
  parsed: ParsedOptions,
  hooks: TrainHooks,
): Promise<TrainResult> {
  const root = !world || world.rank === 0;
  const say = hooks.print ?? ((line: string) => console.log(line));
  // Rank 0 alone speaks and writes; every rank names its adapter.
  const print = root ? say : () => {};
  // Rank 0 finishes or drops a save that a stopped run left cut off; the others open the run
  // after it.
  if (world && !root) await world.barrier();
  const run = await openRun(parsed, print, { recover: root });
  if (world && root) await world.barrier();
  const { o, dir } = run;
  const adapter = adapterLine((await initGpu()).gpu);
  say(world ? `rank ${world.rank} of ${world.size} (pid ${Deno.pid}): ${adapter}` : adapter);
  if (world) checkDataParallel(o, world, print);
  const model = await openNetworks(run, print);
  const { trainer } = model;
  let loader: DataLoader | undefined;
  try {
    const data = configFrom(o).data;
    const shard = world ? { rank: world.rank, size: world.size } : undefined;
    loader = await openDataset(data.root, { ...data.train, shard });
    const datasetSize = loader.length;
    const batchSize = o.batchSize;
    print(
      world
        ? `#training images = ${datasetSize} a rank, ${world.size} ranks: an update averages ${
          batchSize * world.size
        } images (--batchSize ${batchSize} a rank); --lr ${o.lr} is used as given`
        : `#training images = ${datasetSize}`,
    );
    const start = await resumeProgress(run, model, { datasetSize, print, ranks: world?.size ?? 1 });
    const bar = root && (hooks.progress ?? Deno.stderr.isTerminal());
    const resumeAt = o.continue_train ? start.totalSteps : undefined;
    const log = await TrainLog.open(dir, { print, bar, resumeAt });
    // Every check has passed: training starts, and only now writes into the run folder.
    if (root) {
      await startRunFolder(run, print);
      await log.begin();
    }

    const web = o.no_html || !root ? undefined : join(dir, "web");
    const display = async (batch: Batch, epoch: number) => {
      if (web) await displayResults(web, { o, trainer, batch, epoch, records: log.records });
    };
    const parts = { nets: model.nets, state: trainer, names: model.names };
    const weights = [...model.names.keys()];
    const save = async (label: string | number, progress: Progress, iter = false) => {
      if (world) await checkSameWeights(weights, world);
      if (!root) return;
      const ranks = world ? { ranks: world.size } : {};
      await saveCheckpointSet(dir, label, { ...parts, progress: { ...progress, ...ranks }, iter });
    };
    const totals: SyncTotals = { bytesPerStep: 0, syncSeconds: 0, reduceSeconds: 0 };
    const sync = world &&
      (async (params: readonly Tensor[]) => {
        const stats = await averageGradients(params, world);
        totals.bytesPerStep += stats.bytes;
        totals.syncSeconds += stats.seconds;
        totals.reduceSeconds += stats.reduceSeconds;
        hooks.onSync?.(stats);
      });
    const nEpochs = o.niter + o.niter_decay;
    const printDue = every(o.print_freq, start.totalSteps);
    const displayDue = every(o.display_freq, start.totalSteps);
    const saveDue = every(o.save_latest_freq, start.totalSteps);
    let { epoch, epochIter, totalSteps, lr, fixedGlobal } = start;
    let busy = 0, steps = 0, interrupted = false;
    for (; epoch <= nEpochs; epoch++) {
      const epochStart = performance.now();
      if (epoch !== start.epoch) epochIter = 0;
      const startBatch = Math.min(Math.floor(epochIter / batchSize), loader.batches);
      let last: Batch | undefined;
      let displayed = false;
      for await (const batch of loader.epoch(epoch, startBatch)) {
        const t0 = performance.now();
        totalSteps += batchSize;
        epochIter += batchSize;
        let losses = await trainer.step(batch, sync);
        // The ranks log the mean of their losses, and stop together when any was asked to.
        let stopAll = false;
        if (world) {
          ({ losses, stop: stopAll } = await agree(world, losses, hooks.signal?.aborted ?? false));
        }
        const stepSeconds = (performance.now() - t0) / 1000;
        // The conv shapes of the first steps, timed once for their kernel (see conv_tuner.ts).
        await tuneConvs(print);
        busy += stepSeconds;
        steps++;
        checkFinite(losses, epoch, totalSteps);
        const sec = stepSeconds / batchSize;
        const record: LossRecord = { epoch, iter: epochIter, step: totalSteps, ...losses, lr, sec };
        if (root && printDue(totalSteps)) await log.add(record);
        if (displayDue(totalSteps)) {
          await display(batch, epoch);
          displayed = true;
        }
        hooks.onStep?.(record);
        const stop = world ? stopAll : hooks.signal?.aborted ?? false;
        if (saveDue(totalSteps) || stop) {
          log.say(`saving the latest model (epoch ${epoch}, total_steps ${totalSteps})`);
          await save("latest", { epoch, epochIter, totalSteps, lr, fixedGlobal }, true);
        }
        last = batch;
        const perImage = busy / ((totalSteps - start.totalSteps) || 1);
        log.drawBar(record, { nEpochs, datasetSize, perImage });
        if (stop) {
          interrupted = true;
          const latest = networkPath(dir, "latest", "G");
          log.say(
            `interrupted: saved ${latest} and the training state; resume with --continue_train`,
          );
          break;
        }
      }
      if (interrupted) break;
      if (!displayed && last) await display(last, epoch);
      const taken = Math.round((performance.now() - epochStart) / 1000);
      log.say(`End of epoch ${epoch} / ${nEpochs} \t Time Taken: ${taken} sec`);
      // The schedule's updates come before the epoch's save, so that its state resumes into the
      // next epoch as a run that never stopped would.
      const at = { epoch, epochIter, totalSteps, lr, fixedGlobal };
      const next = nextEpoch(at, { o, trainer, say: (line) => log.say(line) });
      ({ lr, fixedGlobal } = next);
      if (epoch % o.save_epoch_freq === 0 || epoch === nEpochs) {
        log.say(`saving the model at the end of epoch ${epoch}, iters ${totalSteps}`);
        await save("latest", next, true);
        if (epoch % o.save_epoch_freq === 0) await save(epoch, next);
      }
    }
    log.clearBar();
    if (world) {
      const digest = await checkSameWeights(weights, world);
      print(
        `the ${world.size} ranks' weights are identical (digest ${
          digest.toString(16).padStart(8, "0")
        })`,
      );
    }
    const per = (x: number) => x / (steps || 1);
    return {
      dir,
      totalSteps,
      steps,
      interrupted,
      secondsPerStep: per(busy),
      page: web && (await exists(join(web, "index.html"))) ? join(web, "index.html") : undefined,
      rank: world?.rank,
      sync: world
        ? {
          bytesPerStep: per(totals.bytesPerStep),
          syncSeconds: per(totals.syncSeconds),
          reduceSeconds: per(totals.reduceSeconds),
        }
        : undefined,
    };
  } finally {
    loader?.close();
    model.dispose();
  }
}

/** What data-parallel training cannot do, refused before anything runs. */
function checkDataParallel(o: Options, world: DataParallel, print: (line: string) => void): void {
  if (o.pool_size > 0) {
    throw new RangeError(
      `Cannot train on ${world.size} processes with an image pool, as each rank's pool would differ and resuming would not be exact: current value is --pool_size ${o.pool_size}, expected 0`,
    );
  }
  print(`data-parallel over MPI: ${world.size} ranks`);
}

/** The ranks' mean losses, and whether any rank was asked to stop. */
async function agree(
  world: DataParallel,
  losses: Losses,
  stop: boolean,
): Promise<{ losses: Losses; stop: boolean }> {
  const v = Float32Array.from([...LOSS_NAMES.map((k) => losses[k]), stop ? 1 : 0]);
  await world.allreduceSum(v);
  const mean = Object.fromEntries(LOSS_NAMES.map((k, i) => [k, v[i] / world.size])) as Losses;
  return { losses: mean, stop: v[LOSS_NAMES.length] > 0 };
}

/**
 * Whether an image count is due for what is done every `freq` images: counted from the count
 * training started at (`start`), as pix2pixHD's `print_delta`, `display_delta` and `save_delta`.
 */
function every(freq: number, start: number): (steps: number) => boolean {
  const delta = start % freq;
  return (steps) => steps % freq === delta;
}

/** Throws naming the first loss that is not finite, and where. */
function checkFinite(losses: Losses, epoch: number, totalSteps: number): void {
  for (const k of LOSS_NAMES) {
    if (!Number.isFinite(losses[k])) {
      throw new RangeError(
        `Cannot continue training as ${k} is not finite at epoch ${epoch}, step ${totalSteps} (try a lower --lr): current value is ${
          losses[k]
        }`,
      );
    }
  }
}
