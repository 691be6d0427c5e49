/**
 * Finds a dataset's files: pix2pixHD's aligned folders (`<phase>_label`, `<phase>_inst`,
 * `<phase>_img`, `<phase>_feat`, or `<phase>_A` / `<phase>_B` when `label_nc` is 0) or the
 * Cityscapes tree (`gtFine/<split>/<city>`, `leftImg8bit/<split>/<city>`). Files are paired by
 * name, not by sorted position, and every unpaired file is reported.
 *
 * @module
 */
import { join } from "node:path";

/** The folder layouts understood. */
export type Layout = "aligned" | "cityscapes";

/** The files of one sample. Paths are absolute or relative to the working folder, as the root. */
export interface DatasetEntry {
  /** The pairing key: path below the folder, without extension and Cityscapes suffix. */
  key: string;
  /** Label map (or the A image when `label_nc` is 0). */
  label: string;
  /** Instance map, when instance maps are used. */
  inst?: string;
  /** Photo (or the B image when `label_nc` is 0), when photos are read. */
  image?: string;
  /** Precomputed feature map, when features are loaded. */
  feat?: string;
}

/** One problem found in a dataset, with the file (or folder) it concerns. */
export interface DatasetProblem {
  /** The file or folder. */
  file: string;
  /** What is wrong, as a sentence. */
  message: string;
}

/** Options of {@linkcode scanDataset} and {@linkcode listDataset} (pix2pixHD flags in brackets). */
export interface LayoutOptions {
  /** `aligned`, `cityscapes`, or `auto` (Cityscapes when `<root>/gtFine` exists). Default `auto`. */
  layout?: Layout | "auto";
  /** Folder prefix or Cityscapes split (`--phase`). Default `train`. */
  phase?: string;
  /** Label classes (`--label_nc`); 0 reads `_A` / `_B` images. Default 35. */
  labelNc?: number;
  /** Whether instance maps are read (not `--no_instance`). Default true. */
  instance?: boolean;
  /** Whether photos are read (training, or `--use_encoded_image`). Default true. */
  image?: boolean;
  /** Whether precomputed feature maps are read (`--load_features`). Default false. */
  features?: boolean;
}

/** The result of {@linkcode scanDataset}. */
export interface DatasetScan {
  /** The layout found. */
  layout: Layout;
  /** The complete samples, sorted by label path as pix2pixHD sorts them. */
  entries: DatasetEntry[];
  /** Every problem found: missing folders, unpaired files, duplicate names, unsupported formats. */
  problems: DatasetProblem[];
}

/** pix2pixHD's `IMG_EXTENSIONS`. */
const IMAGE_EXTENSIONS = [
  ".jpg",
  ".JPG",
  ".jpeg",
  ".JPEG",
  ".png",
  ".PNG",
  ".ppm",
  ".PPM",
  ".bmp",
  ".BMP",
  ".tiff",
];
const DECODABLE = /\.(png|jpe?g)$/i;
const SUFFIXES = [
  "_gtFine_labelIds",
  "_gtFine_instanceIds",
  "_gtFine_labelTrainIds",
  "_gtCoarse_labelIds",
  "_gtCoarse_instanceIds",
  "_leftImg8bit",
];

/**
 * The pairing key of a file: its path below its folder without extension and Cityscapes suffix.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { pairingKey } from "./layout.ts";
 *
 * equal(pairingKey("aachen/aachen_000000_000019_gtFine_labelIds.png"), "aachen/aachen_000000_000019");
 * equal(pairingKey("ADE_train_00000001.jpg"), "ADE_train_00000001");
 * ```
 *
 * @param relative The path below the role's folder.
 * @returns The key files of one sample share.
 */
export function pairingKey(relative: string): string {
  const stem = relative.replace(/\.[^./]+$/, "");
  for (const suffix of SUFFIXES) if (stem.endsWith(suffix)) return stem.slice(0, -suffix.length);
  return stem;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Lists image files below a folder, recursively, as paths relative to it. */
async function walk(
  dir: string,
  accept: (name: string) => boolean,
  prefix = "",
): Promise<string[]> {
  const found: string[] = [];
  for await (const item of Deno.readDir(join(dir, prefix))) {
    const relative = prefix ? `${prefix}/${item.name}` : item.name;
    if (item.isDirectory) found.push(...await walk(dir, accept, relative));
    else if (accept(item.name)) found.push(relative);
  }
  return found;
}

/** A role's files keyed by pairing key, with duplicate and format problems. */
interface RoleFiles {
  name: string;
  folder: string;
  files: Map<string, string>;
  missing: boolean;
}

async function collect(
  name: string,
  folder: string,
  accept: (file: string) => boolean,
  problems: DatasetProblem[],
): Promise<RoleFiles> {
  const files = new Map<string, string>();
  if (!await isDirectory(folder)) {
    problems.push({ file: folder, message: `the ${name} folder is missing` });
    return { name, folder, files, missing: true };
  }
  for (const relative of (await walk(folder, accept)).sort()) {
    const path = join(folder, relative);
    if (!DECODABLE.test(relative)) {
      problems.push({ file: path, message: "only PNG and JPEG files can be decoded" });
      continue;
    }
    const key = pairingKey(relative);
    const other = files.get(key);
    if (other) {
      problems.push({ file: path, message: `it has the same name as ${other}` });
      continue;
    }
    files.set(key, path);
  }
  return { name, folder, files, missing: false };
}

function checkOptions(options: LayoutOptions) {
  const {
    layout = "auto",
    phase = "train",
    labelNc = 35,
    instance = true,
    image = true,
    features = false,
  } = options;
  if (!["auto", "aligned", "cityscapes"].includes(layout)) {
    throw new TypeError(
      `Cannot scan the dataset as layout must be auto, aligned or cityscapes: current value is ${layout}`,
    );
  }
  if (!(Number.isInteger(labelNc) && labelNc >= 0)) {
    throw new RangeError(
      `Cannot scan the dataset as label_nc must be a non-negative integer: current value is ${labelNc}`,
    );
  }
  if (!phase || phase.includes("/")) {
    throw new TypeError(
      `Cannot scan the dataset as phase must be a folder prefix: current value is ${
        JSON.stringify(phase)
      }`,
    );
  }
  return { layout, phase, labelNc, instance, image, features };
}

/**
 * Finds the samples of a dataset and every problem with its files, without decoding anything.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { scanDataset } from "./layout.ts";
 *
 * const root = await Deno.makeTempDir();
 * for (const dir of ["train_label", "train_inst", "train_img"]) await Deno.mkdir(`${root}/${dir}`);
 * await Deno.writeFile(`${root}/train_label/a_gtFine_labelIds.png`, new Uint8Array());
 * await Deno.writeFile(`${root}/train_inst/a_gtFine_instanceIds.png`, new Uint8Array());
 * await Deno.writeFile(`${root}/train_img/a_leftImg8bit.png`, new Uint8Array());
 * await Deno.writeFile(`${root}/train_img/b_leftImg8bit.png`, new Uint8Array());
 * const scan = await scanDataset(root);
 * deepEqual(scan.entries.map((e) => e.key), ["a"]);
 * deepEqual(scan.problems.length, 1); // b has no label map
 * await Deno.remove(root, { recursive: true });
 * ```
 *
 * @param root The dataset root (`--dataroot`).
 * @param options Which layout and which maps.
 * @returns The complete samples and the problems.
 */
export async function scanDataset(root: string, options: LayoutOptions = {}): Promise<DatasetScan> {
  const o = checkOptions(options);
  const layout: Layout = o.layout === "auto"
    ? (await isDirectory(join(root, "gtFine")) ? "cityscapes" : "aligned")
    : o.layout;
  const problems: DatasetProblem[] = [];
  const isImage = (name: string) => IMAGE_EXTENSIONS.some((ext) => name.endsWith(ext));
  const roles: { role: "label" | "inst" | "image" | "feat"; files: RoleFiles }[] = [];
  if (layout === "cityscapes") {
    if (o.labelNc === 0) {
      throw new TypeError(
        "Cannot read the Cityscapes layout with label_nc 0 as its label maps are ids: current value is 0",
      );
    }
    if (o.features) {
      throw new TypeError(
        "Cannot load features from the Cityscapes layout as it has no feature maps: current value is features on",
      );
    }
    const gt = join(root, "gtFine", o.phase);
    const suffix = (s: string) => (name: string) => name.endsWith(s);
    roles.push({
      role: "label",
      files: await collect("label", gt, suffix("_gtFine_labelIds.png"), problems),
    });
    if (o.instance) {
      roles.push({
        role: "inst",
        files: await collect("instance", gt, suffix("_gtFine_instanceIds.png"), problems),
      });
    }
    if (o.image) {
      const left = join(root, "leftImg8bit", o.phase);
      roles.push({
        role: "image",
        files: await collect(
          "photo",
          left,
          (name) => /_leftImg8bit\.(png|jpe?g)$/i.test(name),
          problems,
        ),
      });
    }
  } else {
    const a = o.labelNc === 0 ? "A" : "label";
    const b = o.labelNc === 0 ? "B" : "img";
    const dir = (what: string) => join(root, `${o.phase}_${what}`);
    roles.push({ role: "label", files: await collect(a, dir(a), isImage, problems) });
    if (o.instance) {
      roles.push({ role: "inst", files: await collect("inst", dir("inst"), isImage, problems) });
    }
    if (o.image) {
      roles.push({ role: "image", files: await collect(b, dir(b), isImage, problems) });
    }
    if (o.features) {
      roles.push({ role: "feat", files: await collect("feat", dir("feat"), isImage, problems) });
    }
  }
  return { layout, ...pair(roles, problems), problems };
}

function pair(
  roles: { role: "label" | "inst" | "image" | "feat"; files: RoleFiles }[],
  problems: DatasetProblem[],
): { entries: DatasetEntry[] } {
  // A missing folder is reported once, not as a missing partner of every file.
  const complete = roles.every(({ files }) => !files.missing);
  roles = roles.filter(({ files }) => !files.missing);
  const keys = new Set<string>();
  for (const { files } of roles) for (const key of files.files.keys()) keys.add(key);
  const entries: DatasetEntry[] = [];
  for (const key of keys) {
    const present = roles.filter(({ files }) => files.files.has(key));
    if (present.length === roles.length) {
      if (!complete) continue;
      const entry: DatasetEntry = { key, label: "" };
      for (const { role, files } of roles) entry[role] = files.files.get(key)!;
      entries.push(entry);
      continue;
    }
    const missing = roles.filter(({ files }) => !files.files.has(key)).map(({ files }) =>
      files.folder
    );
    for (const { files } of present) {
      problems.push({
        file: files.files.get(key)!,
        message: `it has no partner named ${JSON.stringify(key)} in ${missing.join(", ")}`,
      });
    }
  }
  entries.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { entries };
}

/**
 * Finds the samples of a dataset, throwing one error that lists every problem (each unpaired,
 * duplicate or undecodable file, each missing folder).
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { listDataset } from "./layout.ts";
 *
 * await rejects(() => listDataset("/no/such/root"), { name: "NotFound", message: /train_label/ });
 * ```
 *
 * @param root The dataset root (`--dataroot`).
 * @param options Which layout and which maps.
 * @returns The samples, sorted by label path.
 */
export async function listDataset(
  root: string,
  options: LayoutOptions = {},
): Promise<DatasetEntry[]> {
  const { entries, problems } = await scanDataset(root, options);
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.file}: ${p.message}`).join("; ");
    throw new Deno.errors.NotFound(
      `Cannot list the dataset as ${problems.length} file(s) or folder(s) have problems: current value is ${list}`,
    );
  }
  if (entries.length === 0) {
    throw new Deno.errors.NotFound(
      `Cannot list the dataset as it has no samples: current value is 0 samples in ${root}`,
    );
  }
  return entries;
}
