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
import { openDataset } from "../data/open.ts";
import { mixSeed } from "../data/rng.ts";
import { initGpu } from "../gpu/kernel.ts";
import type { Module } from "../nn/module.ts";
import type { Encoder } from "../pix2pixhd/networks/encoder.ts";
import { LOSS_NAMES, Trainer } from "../pix2pixhd/trainer.ts";
import { loadVgg19 } from "../pix2pixhd/vgg19.ts";
import { resolveVggWeights } from "../pix2pixhd/vgg_weights.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { exists, recoverSets } from "./checkpoint_set.ts";
import {
  checkTrainStateSet,
  loadNetwork,
  loadTrainState,
  networkPath,
  type Progress,
  readIter,
  saveCheckpointSet,
  statePath,
  writeTextAtomic,
} from "./checkpoints.ts";
import {
  buildD,
  buildE,
  buildG,
  DISCRIMINATOR_FLAGS,
  GENERATOR_FLAGS,
  transformOptions,
  usesFeatures,
  withRunArchitecture,
} from "./model.ts";
import {
  type Options,
  optJson,
  optText,
  type ParsedOptions,
  type SavedOptions,
} from "./options.ts";
import { type LossRecord, TrainLog } from "./train_log.ts";
import { displayResults } from "./train_page.ts";

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

/** The options `--debug` changes, as pix2pixHD's `train.py` changes them. */
function applyDebug(o: Options): Options {
  if (!o.debug) return o;
  return Object.freeze({
    ...o,
    display_freq: 1,
    print_freq: 1,
    niter: 1,
    niter_decay: 0,
    max_dataset_size: 10,
  });
}

/**
 * The learning rate after `epoch`, from the rate `lr` during it, or undefined when it stays: after
 * each epoch past `--niter`, `--lr / --niter_decay` less (never below 0), as pix2pixHD's
 * `update_learning_rate` subtracts it. The one definition of the schedule's rates.
 */
function lrUpdate(o: Options, epoch: number, lr: number): number | undefined {
  if (epoch <= (o.niter as number)) return undefined;
  return Math.max(0, lr - (o.lr as number) / (o.niter_decay as number));
}

/** The learning rate during `epoch` of a run never stopped: {@linkcode lrUpdate} after each. */
function lrAt(o: Options, epoch: number): number {
  const last = Math.min(epoch - 1, (o.niter as number) + (o.niter_decay as number));
  let lr = o.lr as number;
  for (let e = 1; e <= last; e++) lr = lrUpdate(o, e, lr) ?? lr;
  return lr;
}

/**
 * Trains pix2pixHD as `train.py` does, from parsed `cli/train.ts` options; see the module doc.
 * Resuming (`--continue_train`) restores the training state saved with the checkpoint, so that
 * a run stopped and resumed ends with the weights of one never stopped.
 */
export async function train(parsed: ParsedOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const print = hooks.print ?? ((line: string) => console.log(line));
  let o = applyDebug(parsed.options);
  const dir = join(o.checkpoints_dir as string, o.name as string);
  // The run's opt.json as resuming read it, for the note on what this run changes in it.
  let recorded: { file?: string; saved?: SavedOptions } = {};
  // Nothing is written into the run folder until every check has passed and training starts.
  const earlier = await folderFiles(dir);
  if (o.continue_train) {
    if (!earlier) {
      throw new Deno.errors.NotFound(
        `Cannot resume ${dir} as the folder does not exist (leave out --continue_train to start a run, or check --checkpoints_dir and --name)`,
      );
    }
    const run = await withRunArchitecture(o, parsed.given, dir, [
      ...GENERATOR_FLAGS,
      ...DISCRIMINATOR_FLAGS,
    ]);
    o = run.options;
    recorded = run;
  }
  const nLocal = o.n_local_enhancers as number;
  if ((o.niter_fix_global as number) > 0 && o.netG !== "local") {
    throw new TypeError(
      `Cannot use --niter_fix_global as it trains the outermost local enhancer first and needs --netG local: current value is --netG ${o.netG}`,
    );
  }
  for (const note of parsed.notes) print(`note: ${note}`);
  print(optText(o, "train").trimEnd());
  const which = o.which_epoch as string;
  const withE = usesFeatures(o) && !o.load_features;
  if (o.continue_train) {
    // A save that a stopped process left half done is finished (or dropped) first.
    for (const note of await recoverSets(dir)) print(`note: ${note}`);
    await checkResumable(dir, which, withE ? ["G", "D", "E"] : ["G", "D"]);
  }

  const rt = await initGpu();
  print(`adapter: ${rt.gpu.adapter}`);

  // Networks, loaded from this run (--continue_train) or from another (--load_pretrain).
  const netG = buildG(o);
  const netD = buildD(o);
  const netE: Encoder | undefined = withE ? buildE(o) : undefined;
  const nets: [string, Module | undefined][] = [["G", netG], ["D", netD], ["E", netE]];
  if (o.continue_train) {
    for (const [key, net] of nets) {
      if (!net) continue;
      const path = networkPath(dir, which, key);
      await loadNetwork(net, path, { strict: true });
      print(`loaded ${path}`);
    }
  } else if (o.load_pretrain) {
    for (const [key, net] of nets) {
      if (!net) continue;
      const path = networkPath(o.load_pretrain as string, which, key);
      if (key !== "G" && !(await exists(path))) {
        print(`note: ${path} does not exist; ${key} starts from its initial weights`);
        continue;
      }
      const r = await loadNetwork(net, path, { strict: false });
      print(`loaded ${r.loaded} tensors of ${key} from ${path}`);
      if (r.unexpected.length) {
        print(`  not used (the pretrained ${key} has more layers): ${r.unexpected.join(", ")}`);
      }
      if (r.missing.length) print(`  not loaded, initial weights kept: ${r.missing.join(", ")}`);
    }
  }
  if (o.verbose) {
    for (const [key, net] of nets) {
      if (net) print(`net${key}: ${net.parameters().reduce((n, p) => n + p.size, 0)} parameters`);
    }
  }

  const vgg = o.no_vgg_loss ? undefined : await loadVgg19(
    await resolveVggWeights({ vggWeights: (o.vgg_weights as string) || undefined }),
  );
  const trainer = new Trainer({ netG, netD, netE, vgg }, {
    labelNc: o.label_nc as number,
    noInstance: o.no_instance as boolean,
    lr: o.lr as number,
    beta1: o.beta1 as number,
    lambdaFeat: o.lambda_feat as number,
    noGanFeatLoss: o.no_ganFeat_loss as boolean,
    noVggLoss: o.no_vgg_loss as boolean,
    noLsgan: o.no_lsgan as boolean,
    poolSize: o.pool_size as number,
    poolSeed: mixSeed(o.seed as number, 4),
    labelFeat: o.label_feat as boolean,
    loadFeatures: o.load_features as boolean,
  });
  const names = new Map<Tensor, string>();
  for (const [key, net] of nets) {
    for (const [name, p] of net?.namedParameters() ?? []) names.set(p, `${key}.${name}`);
  }
  const fixedParams = (o.niter_fix_global as number) > 0
    ? [
      ...netG.namedParameters().filter(([k]) => k.startsWith(`model${nLocal}`)).map(([, p]) => p),
      ...(netE?.parameters() ?? []),
    ]
    : undefined;

  const loader = await openDataset(o.dataroot as string, {
    phase: o.phase as string,
    labelNc: o.label_nc as number,
    instance: !o.no_instance,
    image: true,
    features: o.load_features as boolean,
    transform: transformOptions(o, !o.no_flip),
    batchSize: o.batchSize as number,
    serialBatches: o.serial_batches as boolean,
    maxDatasetSize: o.max_dataset_size as number,
    seed: o.seed as number,
    nThreads: o.nThreads as number,
  });
  const web = o.no_html ? undefined : join(dir, "web");
  try {
    const datasetSize = loader.length;
    const batchSize = o.batchSize as number;
    print(`#training images = ${datasetSize}`);

    // Where to start: a fresh run, or the saved position and state.
    let progress: Progress = {
      epoch: 1,
      epochIter: 0,
      totalSteps: 0,
      lr: o.lr as number,
      fixedGlobal: !!fixedParams,
    };
    if (o.continue_train) {
      const path = statePath(dir, which);
      if (await exists(path)) {
        progress = await loadTrainState(path, trainer, names, (saved) => {
          if (fixedParams && saved.fixedGlobal) trainer.resetOptimizerG(fixedParams);
        });
        print(`resuming from ${path}: epoch ${progress.epoch}, iteration ${progress.epochIter}`);
      } else {
        const [epoch, epochIter] = await exists(join(dir, "iter.txt"))
          ? await readIter(dir)
          : [1, 0];
        progress = {
          epoch,
          epochIter,
          totalSteps: (epoch - 1) * datasetSize + epochIter,
          lr: lrAt(o, epoch),
          fixedGlobal: !!fixedParams && epoch <= (o.niter_fix_global as number),
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
        `training only model${nLocal}_* of G (and E) until the end of epoch ${o.niter_fix_global}`,
      );
    }
    trainer.lr = progress.lr;

    const bar = hooks.progress ?? Deno.stderr.isTerminal();
    const resumeAt = o.continue_train ? progress.totalSteps : undefined;
    const log = await TrainLog.open(dir, { print, bar, resumeAt });

    // Every check has passed: training starts, and only now writes into the run folder.
    await Deno.mkdir(dir, { recursive: true });
    if (earlier && !o.continue_train) {
      // An earlier run's cut-off save, so that no stale commit record outlives this run's saves.
      for (const note of await recoverSets(dir)) print(`note: ${note}`);
    }
    const replaced = replacedOptions(dir, o, earlier, recorded);
    if (replaced) print(`note: ${replaced}`);
    await writeTextAtomic(join(dir, "opt.txt"), optText(o, "train"));
    await writeTextAtomic(join(dir, "opt.json"), optJson(o));
    await log.begin();

    const nEpochs = (o.niter as number) + (o.niter_decay as number);
    let { epoch, epochIter, totalSteps, lr } = progress;
    let fixedGlobal = progress.fixedGlobal;
    const printDelta = totalSteps % (o.print_freq as number);
    const displayDelta = totalSteps % (o.display_freq as number);
    const saveDelta = totalSteps % (o.save_latest_freq as number);
    const startSteps = totalSteps;
    let busy = 0;
    let steps = 0;
    let interrupted = false;
    const say = (line: string) => log.say(line);

    const present = nets.filter((n): n is [string, Module] => n[1] !== undefined);
    const saveAll = (label: string | number, at: Progress, iter = false) =>
      saveCheckpointSet(dir, label, { nets: present, state: trainer, names, progress: at, iter });
    const display = async (batch: Batch, epoch: number) => {
      if (web) await displayResults(web, { o, trainer, batch, epoch, records: log.records });
    };

    for (; epoch <= nEpochs && !interrupted; epoch++) {
      const epochStart = performance.now();
      if (epoch !== progress.epoch) epochIter = 0;
      const startBatch = Math.min(Math.floor(epochIter / batchSize), loader.batches);
      let last: Batch | undefined;
      let displayed = false;
      for await (const batch of loader.epoch(epoch, startBatch)) {
        const t0 = performance.now();
        totalSteps += batchSize;
        epochIter += batchSize;
        const losses = await trainer.step(batch);
        const stepSeconds = (performance.now() - t0) / 1000;
        busy += stepSeconds;
        steps++;
        const sec = stepSeconds / batchSize;
        for (const k of LOSS_NAMES) {
          if (!Number.isFinite(losses[k])) {
            throw new RangeError(
              `Cannot continue training as ${k} is not finite at epoch ${epoch}, step ${totalSteps} (try a lower --lr): current value is ${
                losses[k]
              }`,
            );
          }
        }
        const record: LossRecord = { epoch, iter: epochIter, step: totalSteps, ...losses, lr, sec };
        if (totalSteps % (o.print_freq as number) === printDelta) await log.add(record);
        if (totalSteps % (o.display_freq as number) === displayDelta) {
          await display(batch, epoch);
          displayed = true;
        }
        hooks.onStep?.(record);
        const stop = hooks.signal?.aborted ?? false;
        if (totalSteps % (o.save_latest_freq as number) === saveDelta || stop) {
          say(`saving the latest model (epoch ${epoch}, total_steps ${totalSteps})`);
          await saveAll("latest", { epoch, epochIter, totalSteps, lr, fixedGlobal }, true);
        }
        last = batch;
        const perImage = busy / ((totalSteps - startSteps) || 1);
        log.drawBar(record, { nEpochs, datasetSize, perImage });
        if (stop) {
          interrupted = true;
          say(
            `interrupted: saved ${
              networkPath(dir, "latest", "G")
            } and the training state; resume with --continue_train`,
          );
          break;
        }
      }
      if (interrupted) break;
      if (!displayed && last) await display(last, epoch);
      say(
        `End of epoch ${epoch} / ${nEpochs} \t Time Taken: ${
          Math.round((performance.now() - epochStart) / 1000)
        } sec`,
      );
      // The schedule's updates come before the epoch's save, so that its state resumes into the
      // next epoch as a run that never stopped would.
      if (fixedGlobal && epoch === o.niter_fix_global) {
        trainer.resetOptimizerG();
        fixedGlobal = false;
        say(`------------ Now also finetuning the global generator -------------`);
      }
      const nextLr = lrUpdate(o, epoch, lr);
      if (nextLr !== undefined) {
        say(`update learning rate: ${lr} -> ${nextLr}`);
        lr = nextLr;
        trainer.lr = lr;
      }
      const next: Progress = { epoch: epoch + 1, epochIter: 0, totalSteps, lr, fixedGlobal };
      if (epoch % (o.save_epoch_freq as number) === 0 || epoch === nEpochs) {
        say(`saving the model at the end of epoch ${epoch}, iters ${totalSteps}`);
        await saveAll("latest", next, true);
        if (epoch % (o.save_epoch_freq as number) === 0) await saveAll(epoch, next);
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
    loader.close();
    trainer.dispose();
    for (const [, net] of nets) net?.dispose();
    vgg?.dispose();
  }
}

/** The names of the files in `dir`, or undefined when it does not exist. */
async function folderFiles(dir: string): Promise<string[] | undefined> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return names;
}

/**
 * Throws a clear error when checkpoint `which` of the run in `dir` lacks a network file that
 * resuming loads, or when its files do not match the training state saved with them.
 */
async function checkResumable(dir: string, which: string, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    const path = networkPath(dir, which, key);
    if (await exists(path)) continue;
    const labels = ((await folderFiles(dir)) ?? []).map((n) => /^(.+)_net_G\.pth$/.exec(n)?.[1])
      .filter((l) => l !== undefined).sort();
    throw new Deno.errors.NotFound(
      `Cannot resume ${dir} from --which_epoch ${which} as ${path} does not exist (leave out --continue_train to start afresh): current value is ${
        labels.length ? `checkpoints ${labels.join(", ")}` : "no checkpoint"
      }`,
    );
  }
  const state = statePath(dir, which);
  if (await exists(state)) await checkTrainStateSet(state, dir);
}

/**
 * What training is about to replace in the run folder `dir` (whose files were `earlier`, and
 * whose `opt.json`, read when resuming, recorded `saved` in `file`), as a note for the user;
 * undefined when it replaces nothing of another run's record.
 */
function replacedOptions(
  dir: string,
  o: Options,
  earlier: readonly string[] | undefined,
  { file, saved }: { file?: string; saved?: SavedOptions },
): string | undefined {
  if (!earlier?.some((n) => n === "opt.json" || /_net_G\.pth$/.test(n))) return undefined;
  if (!o.continue_train) {
    return `${dir} holds an earlier run: this one starts afresh, replacing its opt.txt and opt.json now and its checkpoints as it saves its own (--continue_train resumes it instead)`;
  }
  if (!saved) return undefined;
  const now: SavedOptions = o;
  const changed = Object.keys(now).filter((k) =>
    k !== "continue_train" && k in saved && saved[k] !== now[k]
  ).map((k) => `--${k} ${saved[k]} -> ${now[k]}`);
  return changed.length
    ? `resuming with other options than ${file} recorded; it now records ${changed.join(", ")}`
    : undefined;
}
