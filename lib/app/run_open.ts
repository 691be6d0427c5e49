/**
 * Opening a training run's folder: the checks that come before anything is written (the folder
 * to resume, its architecture, its checkpoint), then, once training starts, its options files.
 *
 * @module
 */
import { join } from "node:path";
import { exists, recoverSets } from "./checkpoint_set.ts";
import { checkTrainStateSet, networkPath, statePath, writeTextAtomic } from "./checkpoints.ts";
import {
  DISCRIMINATOR_FLAGS,
  GENERATOR_FLAGS,
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

/** A run folder that passed {@linkcode openRun}'s checks. */
export interface OpenedRun {
  /** The options, with `--debug`'s changes and, when resuming, the run's architecture. */
  o: Options;
  /** `<checkpoints_dir>/<name>`. */
  dir: string;
  /** The names of the files in `dir` before training, or undefined when it did not exist. */
  earlier?: readonly string[];
  /** The run's `opt.json` as resuming read it, for the note on what this run changes in it. */
  recorded: { file?: string; saved?: SavedOptions };
  /** Whether the run trains E, the encoder of instance features. */
  withE: boolean;
}

/**
 * Checks the options and the run folder for training, writing nothing: resuming needs the
 * folder, keeps its architecture and needs checkpoint `--which_epoch` whole (a save that a
 * stopped process left half done is finished or dropped first, unless `recover` is false: a
 * data-parallel rank other than 0, which opens the run once rank 0 has). Prints the options as
 * pix2pixHD does, after the parser's notes.
 */
export async function openRun(
  parsed: ParsedOptions,
  print: (line: string) => void,
  { recover = true }: { recover?: boolean } = {},
): Promise<OpenedRun> {
  let o = applyDebug(parsed.options);
  const dir = join(o.checkpoints_dir, o.name);
  let recorded: OpenedRun["recorded"] = {};
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
  if (o.niter_fix_global > 0 && o.netG !== "local") {
    throw new TypeError(
      `Cannot use --niter_fix_global as it trains the outermost local enhancer first and needs --netG local: current value is --netG ${o.netG}`,
    );
  }
  for (const note of parsed.notes) print(`note: ${note}`);
  print(optText(o, "train").trimEnd());
  const withE = usesFeatures(o) && !o.load_features;
  if (o.continue_train) {
    if (recover) { for (const note of await recoverSets(dir)) print(`note: ${note}`); }
    await checkResumable(dir, o.which_epoch, withE ? ["G", "D", "E"] : ["G", "D"]);
  }
  return { o, dir, earlier, recorded, withE };
}

/**
 * Makes the run folder and writes its `opt.txt` and `opt.json`, once every check has passed and
 * training starts. Over an earlier run started afresh, a save that run left cut off is finished
 * first, so that no stale commit record outlives this run's saves; a note says what the options
 * files replace.
 */
export async function startRunFolder(run: OpenedRun, print: (line: string) => void): Promise<void> {
  const { o, dir, earlier } = run;
  await Deno.mkdir(dir, { recursive: true });
  if (earlier && !o.continue_train) {
    for (const note of await recoverSets(dir)) print(`note: ${note}`);
  }
  const replaced = replacedOptions(run);
  if (replaced) print(`note: ${replaced}`);
  await writeTextAtomic(join(dir, "opt.txt"), optText(o, "train"));
  await writeTextAtomic(join(dir, "opt.json"), optJson(o));
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
 * What training is about to replace in the run folder (whose files were `earlier`, and whose
 * `opt.json`, read when resuming, recorded `saved` in `file`), as a note for the user; undefined
 * when it replaces nothing of another run's record.
 */
function replacedOptions(
  { o, dir, earlier, recorded: { file, saved } }: OpenedRun,
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
