/**
 * Where a training run is in pix2pixHD's schedule: `--niter` epochs at `--lr`, then `--niter_decay`
 * epochs of linear decay, with only G's outermost local enhancer (and E) trained during the first
 * `--niter_fix_global`; where a resumed run starts; and the schedule's updates after an epoch.
 *
 * @module
 */
import { join } from "node:path";
import type { Trainer } from "../pix2pixhd/trainer.ts";
import { exists } from "./checkpoint_set.ts";
import { loadTrainState, type Progress, readIter, statePath } from "./checkpoints.ts";
import type { Options } from "./options.ts";
import type { OpenedRun } from "./run_open.ts";
import type { TrainNetworks } from "./train_networks.ts";

/**
 * The learning rate after `epoch`, from the rate `lr` during it, or undefined when it stays: after
 * each epoch past `--niter`, `--lr / --niter_decay` less (never below 0), as pix2pixHD's
 * `update_learning_rate` subtracts it. The one definition of the schedule's rates.
 */
export function lrUpdate(o: Options, epoch: number, lr: number): number | undefined {
  if (epoch <= o.niter) return undefined;
  return Math.max(0, lr - o.lr / o.niter_decay);
}

/** The learning rate during `epoch` of a run never stopped: {@linkcode lrUpdate} after each. */
export function lrAt(o: Options, epoch: number): number {
  const last = Math.min(epoch - 1, o.niter + o.niter_decay);
  let lr = o.lr;
  for (let e = 1; e <= last; e++) lr = lrUpdate(o, e, lr) ?? lr;
  return lr;
}

/** Options of {@linkcode resumeProgress}. */
export interface ResumeOptions {
  /** Images an epoch. */
  datasetSize: number;
  /** Where messages go. */
  print: (line: string) => void;
  /** Data-parallel ranks of this run (1 for one process); a saved state must have the same. */
  ranks?: number;
}

/**
 * Where training starts, with the trainer set for it: epoch 1 of a fresh run, or where the
 * resumed run stopped, from its training state (optimizers and image pool restored) or, without
 * one, from `iter.txt` and the schedule, Adam's moments starting from zero. During
 * `--niter_fix_global` G's optimizer holds only the outermost local enhancer (and E).
 */
export async function resumeProgress(
  { o, dir }: OpenedRun,
  { trainer, names, fixedParams }: TrainNetworks,
  { datasetSize, print, ranks = 1 }: ResumeOptions,
): Promise<Progress> {
  let progress: Progress = {
    epoch: 1,
    epochIter: 0,
    totalSteps: 0,
    lr: o.lr,
    fixedGlobal: !!fixedParams,
  };
  if (o.continue_train) {
    const path = statePath(dir, o.which_epoch);
    if (await exists(path)) {
      progress = await loadTrainState(path, trainer, names, (saved) => {
        // An epoch's batches and its position in them depend on the number of ranks.
        if ((saved.ranks ?? 1) !== ranks) {
          throw new RangeError(
            `Cannot resume from ${path} as it was trained on ${
              saved.ranks ?? 1
            } process(es): current value is ${ranks} (start as many)`,
          );
        }
        if (fixedParams && saved.fixedGlobal) trainer.resetOptimizerG(fixedParams);
      });
      print(`resuming from ${path}: epoch ${progress.epoch}, iteration ${progress.epochIter}`);
    } else {
      const [epoch, epochIter] = await exists(join(dir, "iter.txt")) ? await readIter(dir) : [1, 0];
      progress = {
        epoch,
        epochIter,
        totalSteps: (epoch - 1) * datasetSize + epochIter,
        lr: lrAt(o, epoch),
        fixedGlobal: !!fixedParams && epoch <= o.niter_fix_global,
      };
      print(
        `resuming from epoch ${epoch} at iteration ${epochIter} (iter.txt); no ${path}, so Adam's moments start from zero`,
      );
    }
  }
  if (progress.fixedGlobal && trainer.optimizerG.params.length !== fixedParams!.length) {
    trainer.resetOptimizerG(fixedParams);
  }
  if (progress.fixedGlobal) {
    print(
      `training only model${o.n_local_enhancers}_* of G (and E) until the end of epoch ${o.niter_fix_global}`,
    );
  }
  trainer.lr = progress.lr;
  return progress;
}

/** Options of {@linkcode nextEpoch}. */
export interface NextEpochOptions {
  /** The run's options: `--niter_fix_global`, `--niter`, `--lr`, `--niter_decay`. */
  o: Options;
  /** The trainer whose optimizers the schedule updates. */
  trainer: Trainer;
  /** Where messages go. */
  say: (line: string) => void;
}

/**
 * The schedule's updates at the end of epoch `at.epoch`, as pix2pixHD's `train.py` makes them:
 * after the `--niter_fix_global` epochs G's optimizer takes all of G (and E) again, and past
 * `--niter` the learning rate decays. Returns where the next epoch starts.
 */
export function nextEpoch(at: Progress, { o, trainer, say }: NextEpochOptions): Progress {
  let { lr, fixedGlobal } = at;
  if (fixedGlobal && at.epoch === o.niter_fix_global) {
    trainer.resetOptimizerG();
    fixedGlobal = false;
    say(`------------ Now also finetuning the global generator -------------`);
  }
  const next = lrUpdate(o, at.epoch, lr);
  if (next !== undefined) {
    say(`update learning rate: ${lr} -> ${next}`);
    lr = next;
    trainer.lr = lr;
  }
  return { epoch: at.epoch + 1, epochIter: 0, totalSteps: at.totalSteps, lr, fixedGlobal };
}
