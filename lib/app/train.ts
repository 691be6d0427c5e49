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
import { exists } from "./checkpoint_set.ts";
import { networkPath, type Progress, saveCheckpointSet } from "./checkpoints.ts";
import { configFrom } from "./model.ts";
import type { ParsedOptions } from "./options.ts";
import { openRun, startRunFolder } from "./run_open.ts";
import { type LossRecord, TrainLog } from "./train_log.ts";
import { openNetworks } from "./train_networks.ts";
import { displayResults } from "./train_page.ts";
import { nextEpoch, resumeProgress } from "./train_schedule.ts";
import { adapterLine } from "../gpu/device.ts";

export { lossLine, type LossRecord } from "./train_log.ts";

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
}

/**
 * Trains pix2pixHD as `train.py` does, from parsed `cli/train.ts` options; see the module doc.
 * Resuming (`--continue_train`) restores the training state saved with the checkpoint, so that
 * a run stopped and resumed ends with the weights of one never stopped.
 */
export async function train(parsed: ParsedOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const print = hooks.print ?? ((line: string) => console.log(line));
  const run = await openRun(parsed, print);
  const { o, dir } = run;
  print(adapterLine((await initGpu()).gpu));
  const model = await openNetworks(run, print);
  const { trainer } = model;
  let loader: DataLoader | undefined;
  try {
    const { root, train } = configFrom(o).data;
    loader = await openDataset(root, train);
    const datasetSize = loader.length;
    const batchSize = o.batchSize;
    print(`#training images = ${datasetSize}`);
    const start = await resumeProgress(run, model, { datasetSize, print });
    const bar = hooks.progress ?? Deno.stderr.isTerminal();
    const resumeAt = o.continue_train ? start.totalSteps : undefined;
    const log = await TrainLog.open(dir, { print, bar, resumeAt });
    // Every check has passed: training starts, and only now writes into the run folder.
    await startRunFolder(run, print);
    await log.begin();

    const web = o.no_html ? undefined : join(dir, "web");
    const display = async (batch: Batch, epoch: number) => {
      if (web) await displayResults(web, { o, trainer, batch, epoch, records: log.records });
    };
    const parts = { nets: model.nets, state: trainer, names: model.names };
    const save = (label: string | number, progress: Progress, iter = false) =>
      saveCheckpointSet(dir, label, { ...parts, progress, iter });
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
        const losses = await trainer.step(batch);
        const stepSeconds = (performance.now() - t0) / 1000;
        // The conv shapes of the first steps, timed once for their kernel (see conv_tuner.ts).
        await tuneConvs(print);
        busy += stepSeconds;
        steps++;
        checkFinite(losses, epoch, totalSteps);
        const sec = stepSeconds / batchSize;
        const record: LossRecord = { epoch, iter: epochIter, step: totalSteps, ...losses, lr, sec };
        if (printDue(totalSteps)) await log.add(record);
        if (displayDue(totalSteps)) {
          await display(batch, epoch);
          displayed = true;
        }
        hooks.onStep?.(record);
        const stop = hooks.signal?.aborted ?? false;
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
    return {
      dir,
      totalSteps,
      steps,
      interrupted,
      secondsPerStep: busy / (steps || 1),
      page: web && (await exists(join(web, "index.html"))) ? join(web, "index.html") : undefined,
    };
  } finally {
    loader?.close();
    model.dispose();
  }
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
