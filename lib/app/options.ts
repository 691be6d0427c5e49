/**
 * The command-line options of `cli/train.ts` and `cli/test.ts`: pix2pixHD's base, train and test
 * options under their original names and defaults, plus `--vgg_weights`, `--seed` and `--format`.
 * Parsing rejects unknown flags (suggesting the closest), bad values and flags this program
 * cannot honour, and notes the flags that have no effect.
 *
 * @module
 */
import { parseJsonObject } from "../io/json.ts";

/** A program: `cli/train.ts`, `cli/test.ts`, `cli/encode.ts` or `cli/edit.ts`. */
export type Command = "train" | "test" | "encode" | "edit";

/**
 * The commands a flag belongs to: every one ("base"), the two that synthesize from a trained G
 * ("inference": `cli/test.ts` and `cli/edit.ts`), or one alone. A command lists and takes only
 * the flags it uses.
 */
export type Scope = "base" | "inference" | "train" | "test" | "encode" | "edit";

const SCOPES: Readonly<Record<Scope, readonly Command[]>> = {
  base: ["train", "test", "encode", "edit"],
  inference: ["test", "edit"],
  train: ["train"],
  test: ["test"],
  encode: ["encode"],
  edit: ["edit"],
};

/** Whether a command starts from the test defaults (`--phase test`). */
function testing(command: Command): boolean {
  return command === "test" || command === "edit";
}

/** A flag's value type. */
export type FlagType = "string" | "int" | "float" | "bool";

/** The value a flag of type `T` holds. */
export type FlagValue<T extends FlagType = FlagType> = T extends "bool" ? boolean
  : T extends "string" ? string
  : number;

/** What a flag of the table says of itself; {@linkcode Flag} adds its name and group. */
export interface FlagSpec<T extends FlagType = FlagType> {
  /** The value type; `bool` flags take no value. */
  type: T;
  /** The default (`Infinity` for `inf`). */
  default: FlagValue<T>;
  /** The default of `cli/test.ts` where it differs. */
  testDefault?: FlagValue<T>;
  /** The command(s) that accept it. */
  scope: Scope;
  /** The `--help` line. */
  help: string;
  /** Allowed values. */
  choices?: readonly string[];
  /** The least value allowed (numbers). */
  min?: number;
  /** The greatest value allowed (numbers). */
  max?: number;
  /** Whether an integer flag also takes `inf`. */
  inf?: boolean;
  /** Set, it is an error: why this program cannot honour it. */
  unsupported?: string;
  /** Set, a note is printed: why it changes nothing. */
  noEffect?: string;
}

/** One flag of the table. */
export interface Flag extends FlagSpec {
  /** The name without dashes, as pix2pixHD spells it. */
  name: string;
  /** The `--help` section. */
  group: string;
}

type Extra<T extends FlagType> = Omit<FlagSpec<T>, "type" | "default" | "scope" | "help">;

function str(value: string, scope: Scope, help: string, extra: Extra<"string"> = {}) {
  return { type: "string", default: value, scope, help, ...extra } as FlagSpec<"string">;
}
function int(value: number, scope: Scope, help: string, extra: Extra<"int"> = {}) {
  return { type: "int", default: value, scope, help, ...extra } as FlagSpec<"int">;
}
function float(value: number, scope: Scope, help: string, extra: Extra<"float"> = {}) {
  return { type: "float", default: value, scope, help, ...extra } as FlagSpec<"float">;
}
function bool(scope: Scope, help: string, extra: Extra<"bool"> = {}) {
  return { type: "bool", default: false, scope, help, ...extra } as FlagSpec<"bool">;
}

/** The flags of a `--help` section, each marked with it. */
function group<T extends Record<string, FlagSpec>>(
  name: string,
  flags: T,
): { [K in keyof T]: T[K] & { group: string } } {
  const marked = Object.entries(flags).map(([key, spec]) => [key, { ...spec, group: name }]);
  return Object.fromEntries(marked) as { [K in keyof T]: T[K] & { group: string } };
}

const EXPERIMENT = "experiment";
const DATA = "data";
const GEN = "generator";
const FEAT = "instance features";
const DISC = "discriminator and losses";
const SCHED = "schedule and optimizer";
const LOG = "checkpoints and logging";
const TEST = "testing";
const ENCODE = "encoding";
const EDIT = "editing";
const OTHER = "accepted for compatibility";

/**
 * Every flag by name, in `--help` order within each section: its type, default, the commands
 * that take it, its help, and the values it allows.
 */
// deno-fmt-ignore
export const FLAG_TABLE = {
  ...group(EXPERIMENT, {
    name: str("label2city", "base", "experiment name: checkpoints/<name>/, results/<name>/"),
    checkpoints_dir: str("./checkpoints", "base", "where models, opt.txt, logs and web/ are saved"),
    model: str("pix2pixHD", "base", "the model (only pix2pixHD)", { choices: ["pix2pixHD"] }),
    seed: int(0, "base", "seed of the initial weights, shuffles, crops, flips and the image pool"),
    vgg_weights: str("", "train", "torchvision's vgg19-dcbbe6f5.pth for the VGG loss (default: torch hub's cache, downloaded if missing)"),
    verbose: bool("base", "print each network's parameter count"),
  }),
  ...group(DATA, {
    dataroot: str("./datasets/cityscapes/", "base", "dataset root (aligned <phase>_label/_inst/_img folders, or Cityscapes' own gtFine/leftImg8bit)"),
    phase: str("train", "base", "folder prefix or Cityscapes split", { testDefault: "test" }),
    label_nc: int(35, "base", "label classes; 0 reads RGB label images (_A/_B folders)", { min: 0 }),
    input_nc: int(3, "base", "input image channels when label_nc is 0"),
    output_nc: int(3, "base", "output image channels"),
    no_instance: bool("base", "no instance maps (and no boundary channel)"),
    batchSize: int(1, "base", "input batch size", { min: 1 }),
    loadSize: int(1024, "base", "scale images to this size (width for scale_width*)", { min: 1 }),
    fineSize: int(512, "base", "then crop to this size", { min: 1 }),
    resize_or_crop: str("scale_width", "base", "scaling and cropping of images at load time", { choices: ["resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none"] }),
    serial_batches: bool("base", "take images in order instead of shuffling"),
    no_flip: bool("base", "no random horizontal flips"),
    nThreads: int(2, "base", "loader worker threads (0: load on the main thread)", { min: 0 }),
    max_dataset_size: int(Infinity, "base", "samples per epoch at most (inf: all)", { min: 1, inf: true }),
  }),
  ...group(GEN, {
    netG: str("global", "base", "generator: global (G1) or local (G1 inside local enhancers)", { choices: ["global", "local"] }),
    ngf: int(64, "base", "generator filters in the first conv layer (outermost enhancer's for local)", { min: 1 }),
    n_downsample_global: int(4, "base", "downsampling layers in the global generator", { min: 0 }),
    n_blocks_global: int(9, "base", "residual blocks in the global generator", { min: 0 }),
    n_blocks_local: int(3, "base", "residual blocks in each local enhancer", { min: 0 }),
    n_local_enhancers: int(1, "base", "number of local enhancers", { min: 0 }),
    niter_fix_global: int(0, "base", "epochs training only the outermost local enhancer (and E)", { min: 0 }),
    norm: str("instance", "base", "instance or batch normalization", { choices: ["instance", "batch"] }),
  }),
  ...group(FEAT, {
    instance_feat: bool("base", "add encoded instance features to the generator input"),
    label_feat: bool("base", "add encoded label features to the generator input"),
    feat_num: int(3, "base", "vector length of the encoded features", { min: 1 }),
    n_downsample_E: int(4, "base", "downsampling layers in the encoder", { min: 0 }),
    nef: int(16, "base", "encoder filters in the first conv layer", { min: 1 }),
    n_clusters: int(10, "base", "clusters per class for the features"),
    load_features: bool("base", "read precomputed feature maps from <phase>_feat instead of training the encoder"),
  }),
  ...group(DISC, {
    num_D: int(2, "train", "discriminator scales", { min: 1 }),
    n_layers_D: int(3, "train", "layers of each discriminator", { min: 0 }),
    ndf: int(64, "train", "discriminator filters in the first conv layer", { min: 1 }),
    lambda_feat: float(10, "train", "weight of the feature matching and VGG losses"),
    no_ganFeat_loss: bool("train", "no discriminator feature matching loss"),
    no_vgg_loss: bool("train", "no VGG19 perceptual loss"),
    no_lsgan: bool("train", "binary cross-entropy instead of least squares"),
    pool_size: int(0, "train", "past generated images the discriminator sees (0: none)", { min: 0 }),
  }),
  ...group(SCHED, {
    niter: int(100, "train", "epochs at the starting learning rate", { min: 0 }),
    niter_decay: int(100, "train", "epochs of linear decay to zero", { min: 0 }),
    beta1: float(0.5, "train", "Adam's beta1"),
    lr: float(0.0002, "train", "Adam's initial learning rate", { min: 0 }),
    continue_train: bool("train", "resume from <which_epoch> and its training state"),
    load_pretrain: str("", "train", "load the networks from this folder (e.g. a 512p run for 1024p)"),
    which_epoch: str("latest", "base", "which checkpoint to load: latest or an epoch"),
    debug: bool("train", "print and display every step, 1 epoch of 10 samples"),
  }),
  ...group(LOG, {
    display_freq: int(100, "train", "steps between results-page images", { min: 1 }),
    print_freq: int(100, "train", "steps between loss lines", { min: 1 }),
    save_latest_freq: int(1000, "train", "steps between latest checkpoints", { min: 1 }),
    save_epoch_freq: int(10, "train", "epochs between epoch checkpoints", { min: 1 }),
    no_html: bool("train", "no results page in checkpoints/<name>/web/"),
    display_winsize: int(512, "base", "image width on the results pages"),
  }),
  ...group(TEST, {
    results_dir: str("./results/", "test", "where results are saved"),
    how_many: int(50, "inference", "how many test images to run (inf: all)", { min: 1, inf: true }),
    format: str("png", "test", "image format: png (lossless, for metrics) or jpg (as the original)", { choices: ["png", "jpg"] }),
    cluster_path: str("", "inference", "the feature clusters in checkpoints/<name>/ (default features_clustered_<n_clusters>.json, else its .npy)"),
    cluster_choice: str("", "test", "clusters given per instance, as id:cluster,... (the others are drawn with --seed)"),
    use_encoded_image: bool("test", "encode the real image's features"),
  }),
  ...group(ENCODE, {
    precompute_feature_maps: bool("encode", "also write E's feature maps as PNGs to <dataroot>/<phase>_feat for --load_features"),
    feature_scale: int(2, "encode", "upsampling of the written feature maps (2: a 512p model's features for 1024p)", { min: 1 }),
  }),
  ...group(EDIT, {
    port: int(0, "edit", "the editor's port on 127.0.0.1 (0: any free port)", { min: 0, max: 65535 }),
    export_site: str("", "edit", "instead of serving, write the editor as a static web page running G in the browser into this folder, with site.json, G, the clusters and the first --how_many scenes"),
  }),
  ...group(OTHER, {
    gpu_ids: str("0", "base", "GPU ids", { noEffect: "WebGPU runs on the one adapter it picks" }),
    data_type: int(32, "base", "float precision", { choices: ["32"] }),
    fp16: bool("train", "mixed precision", { unsupported: "mixed-precision training is not implemented" }),
    local_rank: int(0, "train", "distributed rank", { noEffect: "there is no distributed training" }),
    use_dropout: bool("base", "dropout", { noEffect: "pix2pixHD never passes it to its blocks" }),
    tf_log: bool("train", "TensorBoard logging", { unsupported: "TensorBoard is not written; read loss_log.jsonl" }),
    ntest: int(Infinity, "test", "test images", { inf: true, noEffect: "pix2pixHD never reads it; use --how_many" }),
    aspect_ratio: float(1, "test", "aspect ratio of result images", { noEffect: "pix2pixHD never reads it" }),
    export_onnx: str("", "test", "export to ONNX", { unsupported: "ONNX export is not implemented" }),
    engine: str("", "test", "TensorRT engine", { unsupported: "TensorRT does not apply to WebGPU" }),
    onnx: str("", "test", "ONNX model for TensorRT", { unsupported: "TensorRT does not apply to WebGPU" }),
  }),
};

/** The name of a flag. */
export type FlagName = keyof typeof FLAG_TABLE;

/** Every flag, in `--help` order within each group. */
export const FLAGS: readonly Flag[] = Object.entries(FLAG_TABLE).map(([name, spec]) => ({
  name,
  ...(spec as FlagSpec & { group: string }),
}));

/** The flags' values (all of them; those outside a command keep their defaults), and `isTrain`. */
export type Options =
  & { readonly [K in FlagName]: FlagValue<(typeof FLAG_TABLE)[K]["type"]> }
  & { readonly isTrain: boolean };

/** A run's saved options as `opt.json` holds them: any names, as an earlier version wrote them. */
export type SavedOptions = Readonly<Record<string, string | number | boolean>>;

/** What {@linkcode parseOptions} returns. */
export interface ParsedOptions {
  /** Every flag's value, frozen, with `isTrain`. */
  options: Options;
  /** The flags given on the command line. */
  given: ReadonlySet<string>;
  /** Notes on flags given that change nothing. */
  notes: string[];
}

/** The flags of a command. */
export function flagsOf(command: Command): Flag[] {
  return FLAGS.filter((x) => SCOPES[x.scope].includes(command));
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = up;
    }
  }
  return row[b.length];
}

/** The flag name closest to `name` (case-insensitive edit distance). */
export function closestFlag(name: string, names: readonly string[]): string {
  let best = names[0];
  let bestD = Infinity;
  for (const candidate of names) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestD) [best, bestD] = [candidate, d];
  }
  return best;
}

function parseValue(flag: Flag, raw: string): string | number | boolean {
  const numeric = flag.type === "int" || flag.type === "float";
  const value = !numeric ? raw : raw === "inf" ? Infinity : Number(raw);
  if (numeric) {
    const infinite = raw === "inf" && !!flag.inf;
    const ok = raw.trim() !== "" && (infinite || Number.isFinite(value)) &&
      (flag.type === "float" || infinite || Number.isSafeInteger(value));
    if (!ok) {
      throw new RangeError(
        `Cannot use --${flag.name} as it must be ${
          flag.type === "int" ? "an integer" : "a finite number"
        }${flag.inf ? " or inf" : ""}: current value is '${raw}'`,
      );
    }
  }
  if (flag.choices && !flag.choices.includes(raw)) {
    throw new RangeError(
      `Cannot use --${flag.name} as it must be one of ${
        flag.choices.join(", ")
      }: current value is '${raw}'`,
    );
  }
  return value;
}

/**
 * Parses `args` for `command`: `--flag value`, `--flag=value`, and bare boolean flags. Throws a
 * `TypeError` for an unknown flag (naming the closest), a missing value or a positional
 * argument, a `RangeError` for a bad value, and a `TypeError` for a flag this program cannot
 * honour.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { parseOptions } from "./options.ts";
 *
 * const { options } = parseOptions("train", ["--name", "city", "--niter=5", "--no_flip"]);
 * equal(options.niter, 5);
 * equal(options.no_flip, true);
 * throws(() => parseOptions("train", ["--nitre", "5"]), /did you mean --niter/);
 * ```
 */
export function parseOptions(command: Command, args: readonly string[]): ParsedOptions {
  const flags = flagsOf(command);
  const byName = new Map(flags.map((x) => [x.name, x]));
  const values: Record<string, string | number | boolean> = {};
  for (const x of FLAGS as readonly Flag[]) {
    values[x.name] = testing(command) && x.testDefault !== undefined ? x.testDefault : x.default;
  }
  const given = new Set<string>();
  const seen = new Map<string, string>();
  const notes: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--") || arg === "--") {
      throw new TypeError(
        `Cannot parse the arguments as every one must be a --flag or its value: current value is '${arg}'`,
      );
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const flag = byName.get(name);
    if (!flag) {
      const other = FLAGS.find((x) => x.name === name);
      const where = other ? ` (it is a flag of ${SCOPES[other.scope].join(" and ")})` : "";
      throw new TypeError(
        `Unknown flag --${name}${where}: did you mean --${
          closestFlag(name, flags.map((x) => x.name))
        }? (--help lists them)`,
      );
    }
    const written = eq >= 0 || flag.type === "bool" ? arg : `${arg} ${args[i + 1] ?? ""}`.trimEnd();
    if (seen.has(name)) {
      throw new TypeError(
        `Cannot use --${name} twice: current value is ${seen.get(name)} and ${written}`,
      );
    }
    seen.set(name, written);
    let value: string | number | boolean;
    if (flag.type === "bool") {
      if (eq >= 0) {
        const raw = arg.slice(eq + 1).toLowerCase();
        if (!["true", "false", "1", "0"].includes(raw)) {
          throw new RangeError(
            `Cannot use --${name} as it takes no value or true/false: current value is '${raw}'`,
          );
        }
        value = raw === "true" || raw === "1";
      } else value = true;
    } else {
      let raw: string;
      if (eq >= 0) raw = arg.slice(eq + 1);
      else {
        if (i + 1 >= args.length) {
          throw new TypeError(`Cannot use --${name} as it needs a value: current value is none`);
        }
        raw = args[++i];
      }
      value = parseValue(flag, raw);
    }
    if (flag.unsupported && value !== flag.default) {
      throw new TypeError(
        `Cannot use --${name} as ${flag.unsupported}: current value is ${value}`,
      );
    }
    if (flag.noEffect) notes.push(`--${name} has no effect: ${flag.noEffect}`);
    values[name] = value;
    given.add(name);
  }
  values.isTrain = command === "train" || command === "encode";
  const options = Object.freeze(values) as unknown as Options;
  checkValues(options);
  return { options, given, notes };
}

/** What a flag's `min` and `max` allow, in words. */
function rangeText(flag: Flag): string {
  if (flag.max !== undefined) return `${flag.min}..${flag.max}`;
  if (flag.min === 0) return "non-negative";
  if (flag.min === 1 && flag.type === "int") return "positive";
  return `>= ${flag.min}`;
}

function checkValues(o: Options): void {
  for (const flag of FLAGS) {
    const value = o[flag.name as FlagName] as number;
    if (
      (flag.min !== undefined && !(value >= flag.min)) ||
      (flag.max !== undefined && !(value <= flag.max))
    ) {
      throw new RangeError(
        `Cannot use --${flag.name} as it must be ${rangeText(flag)}: current value is ${value}`,
      );
    }
  }
  if (o.instance_feat && o.label_feat) {
    throw new TypeError(
      "Cannot use both --instance_feat and --label_feat: current value is both set",
    );
  }
  if (o.load_features && !(o.instance_feat || o.label_feat)) {
    throw new TypeError(
      "Cannot use --load_features as the feature maps feed G only with --instance_feat or --label_feat: current value is neither set",
    );
  }
  if (o.load_features && o.feat_num !== 3) {
    throw new RangeError(
      `Cannot use --load_features as precomputed feature maps are RGB images and need --feat_num 3: current value is ${o.feat_num}`,
    );
  }
  // Each names one folder (or part of a file name) inside --checkpoints_dir or --results_dir.
  if (!/^[\w.-]+$/.test(o.name) || o.name === "." || o.name === "..") {
    throw new RangeError(
      `Cannot use --name as it must be a folder name of letters, digits, '.', '-' or '_', other than '.' and '..': current value is '${o.name}'`,
    );
  }
  for (const k of ["which_epoch", "phase"] as const) {
    if (!/^[\w-]+$/.test(o[k])) {
      throw new RangeError(
        `Cannot use --${k} as it must be letters, digits, '-' or '_' (a part of a file name, such as latest or 10): current value is '${
          o[k]
        }'`,
      );
    }
  }
}

const USAGE: Readonly<Record<Command, string>> = {
  train: "With no flags it trains a small model on fixtures/data/city (the demo).",
  test:
    "Synthesizes images for <dataroot>/<phase>_label with checkpoints/<name>/<which_epoch>_net_G.pth.",
  encode:
    "Encodes every training image with checkpoints/<name>/<which_epoch>_net_E.pth and clusters the instance features per class.",
  edit:
    "Starts the scene editor on 127.0.0.1 with checkpoints/<name>/<which_epoch>_net_G.pth and the run's feature clusters.",
};

/**
 * `--help`: usage and the flags grouped, with defaults. `as` names another program that takes
 * `command`'s flags (`cli/evaluate.ts` takes `cli/test.ts`'s), with what it does.
 */
export function helpText(command: Command, as?: { program: string; does: string }): string {
  const flags = flagsOf(command);
  const lines = [
    `Usage: deno run -A cli/${
      as?.program ?? command
    }.ts [--flag value | --flag=value | --bool_flag] ...`,
    as?.does ?? USAGE[command],
    "",
  ];
  const groups = [...new Set(flags.map((x) => x.group))];
  for (const group of groups) {
    lines.push(`${group[0].toUpperCase()}${group.slice(1)}:`);
    for (const x of flags.filter((y) => y.group === group)) {
      const d = testing(command) && x.testDefault !== undefined ? x.testDefault : x.default;
      const shown = x.type === "bool" ? "" : ` <${x.type}> (default ${formatValue(d)})`;
      const caveat = x.unsupported
        ? ` [not supported: ${x.unsupported}]`
        : x.noEffect
        ? ` [no effect: ${x.noEffect}]`
        : "";
      const choices = x.choices ? ` {${x.choices.join(",")}}` : "";
      lines.push(`  --${x.name}${shown}${choices}`);
      lines.push(`      ${x.help}${caveat}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

function formatValue(v: string | number | boolean): string {
  if (v === Infinity) return "inf";
  if (v === "") return "''";
  return String(v);
}

/** A value as Python's `str` prints it in pix2pixHD's `opt.txt`. */
function pythonValue(flag: Flag | undefined, v: string | number | boolean): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v === Infinity) return "inf";
  if (typeof v === "number" && flag?.type === "float" && Number.isInteger(v)) return `${v}.0`;
  if (flag?.name === "gpu_ids") {
    const ids = String(v).split(",").map(Number).filter((n) => n >= 0);
    return `[${ids.join(", ")}]`;
  }
  return String(v);
}

/** `opt.txt` as pix2pixHD writes it: the options sorted by name between two rules. */
export function optText(options: SavedOptions, command: Command): string {
  const byName = new Map(flagsOf(command).map((x) => [x.name, x]));
  const keys = Object.keys(options).filter((k) => byName.has(k) || k === "isTrain").sort();
  const lines = keys.map((k) => `${k}: ${pythonValue(byName.get(k), options[k])}`);
  return `------------ Options -------------\n${
    lines.join("\n")
  }\n-------------- End ----------------\n`;
}

/** `opt.json`: every option, `inf` written as the string "inf". */
export function optJson(options: SavedOptions): string {
  const out: Record<string, string | number | boolean> = {};
  for (const k of Object.keys(options).sort()) {
    out[k] = options[k] === Infinity ? "inf" : options[k];
  }
  return JSON.stringify(out, null, 2) + "\n";
}

/** Reads `opt.json`, turning "inf" back into `Infinity`. */
export function readOptJson(text: string, file: string): SavedOptions {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(parseJsonObject(text, file))) {
    out[k] = v === "inf" ? Infinity : v as string | number | boolean;
  }
  return Object.freeze(out);
}
