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
 * The commands a flag belongs to: every one ("base"), training ("train", also read by
 * `cli/encode.ts` as the original's encode_features reads the training options), testing
 * ("test", also read by `cli/edit.ts`), or one of encode and edit alone.
 */
export type Scope = "base" | "train" | "test" | "encode" | "edit";

const SCOPES: Readonly<Record<Scope, readonly Command[]>> = {
  base: ["train", "test", "encode", "edit"],
  train: ["train", "encode"],
  test: ["test", "edit"],
  encode: ["encode"],
  edit: ["edit"],
};

/** Whether a command starts from the test defaults (`--phase test`). */
function testing(command: Command): boolean {
  return command === "test" || command === "edit";
}

/** A flag's value type. */
export type FlagType = "string" | "int" | "float" | "bool";

/** One flag of the table. */
export interface Flag {
  /** The name without dashes, as pix2pixHD spells it. */
  name: string;
  /** The value type; `bool` flags take no value. */
  type: FlagType;
  /** The default (`Infinity` for `inf`). */
  default: string | number | boolean;
  /** The default of `cli/test.ts` where it differs. */
  testDefault?: string | number | boolean;
  /** The command(s) that accept it. */
  scope: Scope;
  /** The `--help` section. */
  group: string;
  /** The `--help` line. */
  help: string;
  /** Allowed values. */
  choices?: readonly string[];
  /** Set, it is an error: why this program cannot honour it. */
  unsupported?: string;
  /** Set, a note is printed: why it changes nothing. */
  noEffect?: string;
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

/** Every flag, in `--help` order within each group. */
export const FLAGS: readonly Flag[] = [
  // experiment
  f(
    "name",
    "string",
    "label2city",
    "base",
    EXPERIMENT,
    "experiment name: checkpoints/<name>/, results/<name>/",
  ),
  f(
    "checkpoints_dir",
    "string",
    "./checkpoints",
    "base",
    EXPERIMENT,
    "where models, opt.txt, logs and web/ are saved",
  ),
  f("model", "string", "pix2pixHD", "base", EXPERIMENT, "the model (only pix2pixHD)", {
    choices: ["pix2pixHD"],
  }),
  f(
    "seed",
    "int",
    0,
    "base",
    EXPERIMENT,
    "seed of the initial weights, shuffles, crops, flips and the image pool",
  ),
  f(
    "vgg_weights",
    "string",
    "",
    "train",
    EXPERIMENT,
    "torchvision's vgg19-dcbbe6f5.pth for the VGG loss (default: torch hub's cache, downloaded if missing)",
  ),
  f("verbose", "bool", false, "base", EXPERIMENT, "print each network's parameter count"),
  // data
  f(
    "dataroot",
    "string",
    "./datasets/cityscapes/",
    "base",
    DATA,
    "dataset root (aligned <phase>_label/_inst/_img folders, or Cityscapes' own gtFine/leftImg8bit)",
  ),
  f("phase", "string", "train", "base", DATA, "folder prefix or Cityscapes split", {
    testDefault: "test",
  }),
  f("label_nc", "int", 35, "base", DATA, "label classes; 0 reads RGB label images (_A/_B folders)"),
  f("input_nc", "int", 3, "base", DATA, "input image channels when label_nc is 0"),
  f("output_nc", "int", 3, "base", DATA, "output image channels"),
  f("no_instance", "bool", false, "base", DATA, "no instance maps (and no boundary channel)"),
  f("batchSize", "int", 1, "base", DATA, "input batch size"),
  f("loadSize", "int", 1024, "base", DATA, "scale images to this size (width for scale_width*)"),
  f("fineSize", "int", 512, "base", DATA, "then crop to this size"),
  f(
    "resize_or_crop",
    "string",
    "scale_width",
    "base",
    DATA,
    "scaling and cropping of images at load time",
    { choices: ["resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none"] },
  ),
  f("serial_batches", "bool", false, "base", DATA, "take images in order instead of shuffling"),
  f("no_flip", "bool", false, "base", DATA, "no random horizontal flips"),
  f("nThreads", "int", 2, "base", DATA, "loader worker threads (0: load on the main thread)"),
  f("max_dataset_size", "int", Infinity, "base", DATA, "samples per epoch at most (inf: all)"),
  // generator
  f(
    "netG",
    "string",
    "global",
    "base",
    GEN,
    "generator: global (G1) or local (G1 inside local enhancers)",
    { choices: ["global", "local"] },
  ),
  f(
    "ngf",
    "int",
    64,
    "base",
    GEN,
    "generator filters in the first conv layer (outermost enhancer's for local)",
  ),
  f("n_downsample_global", "int", 4, "base", GEN, "downsampling layers in the global generator"),
  f("n_blocks_global", "int", 9, "base", GEN, "residual blocks in the global generator"),
  f("n_blocks_local", "int", 3, "base", GEN, "residual blocks in each local enhancer"),
  f("n_local_enhancers", "int", 1, "base", GEN, "number of local enhancers"),
  f(
    "niter_fix_global",
    "int",
    0,
    "base",
    GEN,
    "epochs training only the outermost local enhancer (and E)",
  ),
  f("norm", "string", "instance", "base", GEN, "instance or batch normalization", {
    choices: ["instance", "batch"],
  }),
  // instance features
  f(
    "instance_feat",
    "bool",
    false,
    "base",
    FEAT,
    "add encoded instance features to the generator input",
  ),
  f("label_feat", "bool", false, "base", FEAT, "add encoded label features to the generator input"),
  f("feat_num", "int", 3, "base", FEAT, "vector length of the encoded features"),
  f("n_downsample_E", "int", 4, "base", FEAT, "downsampling layers in the encoder"),
  f("nef", "int", 16, "base", FEAT, "encoder filters in the first conv layer"),
  f("n_clusters", "int", 10, "base", FEAT, "clusters per class for the features"),
  f(
    "load_features",
    "bool",
    false,
    "base",
    FEAT,
    "read precomputed feature maps from <phase>_feat instead of training the encoder",
  ),
  // discriminator and losses
  f("num_D", "int", 2, "train", DISC, "discriminator scales"),
  f("n_layers_D", "int", 3, "train", DISC, "layers of each discriminator"),
  f("ndf", "int", 64, "train", DISC, "discriminator filters in the first conv layer"),
  f("lambda_feat", "float", 10, "train", DISC, "weight of the feature matching and VGG losses"),
  f("no_ganFeat_loss", "bool", false, "train", DISC, "no discriminator feature matching loss"),
  f("no_vgg_loss", "bool", false, "train", DISC, "no VGG19 perceptual loss"),
  f("no_lsgan", "bool", false, "train", DISC, "binary cross-entropy instead of least squares"),
  f("pool_size", "int", 0, "train", DISC, "past generated images the discriminator sees (0: none)"),
  // schedule
  f("niter", "int", 100, "train", SCHED, "epochs at the starting learning rate"),
  f("niter_decay", "int", 100, "train", SCHED, "epochs of linear decay to zero"),
  f("beta1", "float", 0.5, "train", SCHED, "Adam's beta1"),
  f("lr", "float", 0.0002, "train", SCHED, "Adam's initial learning rate"),
  f(
    "continue_train",
    "bool",
    false,
    "train",
    SCHED,
    "resume from <which_epoch> and its training state",
  ),
  f(
    "load_pretrain",
    "string",
    "",
    "train",
    SCHED,
    "load the networks from this folder (e.g. a 512p run for 1024p)",
  ),
  f(
    "which_epoch",
    "string",
    "latest",
    "base",
    SCHED,
    "which checkpoint to load: latest or an epoch",
  ),
  f("debug", "bool", false, "train", SCHED, "print and display every step, 1 epoch of 10 samples"),
  // logging
  f("display_freq", "int", 100, "train", LOG, "steps between results-page images"),
  f("print_freq", "int", 100, "train", LOG, "steps between loss lines"),
  f("save_latest_freq", "int", 1000, "train", LOG, "steps between latest checkpoints"),
  f("save_epoch_freq", "int", 10, "train", LOG, "epochs between epoch checkpoints"),
  f("no_html", "bool", false, "train", LOG, "no results page in checkpoints/<name>/web/"),
  f("display_winsize", "int", 512, "base", LOG, "image width on the results pages"),
  // test
  f("results_dir", "string", "./results/", "test", TEST, "where results are saved"),
  f("how_many", "int", 50, "test", TEST, "how many test images to run (inf: all)"),
  f(
    "format",
    "string",
    "png",
    "test",
    TEST,
    "image format: png (lossless, for metrics) or jpg (as the original)",
    { choices: ["png", "jpg"] },
  ),
  f(
    "cluster_path",
    "string",
    "",
    "test",
    TEST,
    "the feature clusters in checkpoints/<name>/ (default features_clustered_<n_clusters>.json, else its .npy)",
  ),
  f(
    "cluster_choice",
    "string",
    "",
    "test",
    TEST,
    "clusters given per instance, as id:cluster,... (the others are drawn with --seed)",
  ),
  f("use_encoded_image", "bool", false, "test", TEST, "encode the real image's features"),
  // encode
  f(
    "precompute_feature_maps",
    "bool",
    false,
    "encode",
    ENCODE,
    "also write E's feature maps as PNGs to <dataroot>/<phase>_feat for --load_features",
  ),
  f(
    "feature_scale",
    "int",
    2,
    "encode",
    ENCODE,
    "upsampling of the written feature maps (2: a 512p model's features for 1024p)",
  ),
  // edit
  f("port", "int", 0, "edit", EDIT, "the editor's port on 127.0.0.1 (0: any free port)"),
  f(
    "export_site",
    "string",
    "",
    "edit",
    EDIT,
    "instead of serving, write the editor as a static web page running G in the browser into this folder, with site.json, G, the clusters and the first --how_many scenes",
  ),
  // compatibility
  f("gpu_ids", "string", "0", "base", OTHER, "GPU ids", {
    noEffect: "WebGPU runs on the one adapter it picks",
  }),
  f("data_type", "int", 32, "base", OTHER, "float precision", { choices: ["32"] }),
  f("fp16", "bool", false, "train", OTHER, "mixed precision", {
    unsupported: "mixed-precision training is not implemented",
  }),
  f("local_rank", "int", 0, "train", OTHER, "distributed rank", {
    noEffect: "there is no distributed training",
  }),
  f("use_dropout", "bool", false, "base", OTHER, "dropout", {
    noEffect: "pix2pixHD never passes it to its blocks",
  }),
  f("tf_log", "bool", false, "train", OTHER, "TensorBoard logging", {
    unsupported: "TensorBoard is not written; read loss_log.jsonl",
  }),
  f("ntest", "int", Infinity, "test", OTHER, "test images", {
    noEffect: "pix2pixHD never reads it; use --how_many",
  }),
  f("aspect_ratio", "float", 1, "test", OTHER, "aspect ratio of result images", {
    noEffect: "pix2pixHD never reads it",
  }),
  f("export_onnx", "string", "", "test", OTHER, "export to ONNX", {
    unsupported: "ONNX export is not implemented",
  }),
  f("engine", "string", "", "test", OTHER, "TensorRT engine", {
    unsupported: "TensorRT does not apply to WebGPU",
  }),
  f("onnx", "string", "", "test", OTHER, "ONNX model for TensorRT", {
    unsupported: "TensorRT does not apply to WebGPU",
  }),
];

function f(
  name: string,
  type: FlagType,
  value: string | number | boolean,
  scope: Scope,
  group: string,
  help: string,
  extra: Partial<Flag> = {},
): Flag {
  return { name, type, default: value, scope, group, help, ...extra };
}

/** The flags' values (all of them; those outside a command keep their defaults). */
export type Options = Readonly<Record<string, string | number | boolean>>;

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

/** Integer flags that also take `inf`. */
const INFINITE = ["max_dataset_size", "how_many", "ntest"];

function parseValue(flag: Flag, raw: string): string | number | boolean {
  const numeric = flag.type === "int" || flag.type === "float";
  const value = !numeric ? raw : raw === "inf" ? Infinity : Number(raw);
  if (numeric) {
    const infinite = raw === "inf" && INFINITE.includes(flag.name);
    const ok = raw.trim() !== "" && (infinite || Number.isFinite(value)) &&
      (flag.type === "float" || infinite || Number.isSafeInteger(value));
    if (!ok) {
      throw new RangeError(
        `Cannot use --${flag.name} as it must be ${
          flag.type === "int" ? "an integer" : "a finite number"
        }${INFINITE.includes(flag.name) ? " or inf" : ""}: current value is '${raw}'`,
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
  checkValues(values);
  return { options: Object.freeze(values), given, notes };
}

function checkValues(o: Record<string, string | number | boolean>): void {
  const positive = ["batchSize", "loadSize", "fineSize", "ngf", "ndf", "nef", "feat_num", "num_D"];
  const nonNegative = [
    "label_nc",
    "nThreads",
    "n_downsample_global",
    "n_blocks_global",
    "n_blocks_local",
    "n_local_enhancers",
    "niter_fix_global",
    "n_layers_D",
    "niter",
    "niter_decay",
    "pool_size",
    "n_downsample_E",
  ];
  for (const k of positive) {
    if (!((o[k] as number) > 0)) {
      throw new RangeError(`Cannot use --${k} as it must be positive: current value is ${o[k]}`);
    }
  }
  for (const k of nonNegative) {
    if (!((o[k] as number) >= 0)) {
      throw new RangeError(
        `Cannot use --${k} as it must be non-negative: current value is ${o[k]}`,
      );
    }
  }
  for (const k of ["display_freq", "print_freq", "save_latest_freq", "save_epoch_freq"]) {
    if (!((o[k] as number) > 0)) {
      throw new RangeError(`Cannot use --${k} as it must be positive: current value is ${o[k]}`);
    }
  }
  if (!((o.max_dataset_size as number) > 0) || !((o.how_many as number) > 0)) {
    throw new RangeError(
      `Cannot use --max_dataset_size or --how_many as they must be positive: current value is ${o.max_dataset_size}, ${o.how_many}`,
    );
  }
  if (!((o.lr as number) >= 0)) {
    throw new RangeError(`Cannot use --lr as it must be >= 0: current value is ${o.lr}`);
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
  if (!((o.feature_scale as number) >= 1)) {
    throw new RangeError(
      `Cannot use --feature_scale as it must be a positive integer: current value is ${o.feature_scale}`,
    );
  }
  if (!(Number.isInteger(o.port) && (o.port as number) >= 0 && (o.port as number) < 65536)) {
    throw new RangeError(
      `Cannot use --port as it must be 0..65535: current value is ${o.port}`,
    );
  }
  // Each names one folder (or part of a file name) inside --checkpoints_dir or --results_dir.
  if (!/^[\w.-]+$/.test(String(o.name)) || o.name === "." || o.name === "..") {
    throw new RangeError(
      `Cannot use --name as it must be a folder name of letters, digits, '.', '-' or '_', other than '.' and '..': current value is '${o.name}'`,
    );
  }
  for (const k of ["which_epoch", "phase"]) {
    if (!/^[\w-]+$/.test(String(o[k]))) {
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

/** `--help`: usage and the flags grouped, with defaults. */
export function helpText(command: Command): string {
  const flags = flagsOf(command);
  const lines = [
    `Usage: deno run -A cli/${command}.ts [--flag value | --flag=value | --bool_flag] ...`,
    USAGE[command],
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
export function optText(options: Options, command: Command): string {
  const byName = new Map(flagsOf(command).map((x) => [x.name, x]));
  const keys = Object.keys(options).filter((k) => byName.has(k) || k === "isTrain").sort();
  const lines = keys.map((k) => `${k}: ${pythonValue(byName.get(k), options[k])}`);
  return `------------ Options -------------\n${
    lines.join("\n")
  }\n-------------- End ----------------\n`;
}

/** `opt.json`: every option, `inf` written as the string "inf". */
export function optJson(options: Options): string {
  const out: Record<string, string | number | boolean> = {};
  for (const k of Object.keys(options).sort()) {
    out[k] = options[k] === Infinity ? "inf" : options[k];
  }
  return JSON.stringify(out, null, 2) + "\n";
}

/** Reads `opt.json`, turning "inf" back into `Infinity`. */
export function readOptJson(text: string, file: string): Options {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(parseJsonObject(text, file))) {
    out[k] = v === "inf" ? Infinity : v as string | number | boolean;
  }
  return Object.freeze(out);
}
