/**
 * The conv kernel variant of each layer shape, chosen per adapter by timing. At the first use of
 * a shape (a bucket: pass, channels, taps, stride, pixels to the nearest power of two) that the
 * cache does not know, the pass runs with the heuristic choice and the shape is queued;
 * {@linkcode tuneConvs} (which the trainer and the commands call between steps) then times every
 * variant on inputs of that shape — timestamp queries where the device grants them, else
 * submitted-work-done times — keeps the fastest and saves the choices in a JSON file keyed by
 * adapter and engine (a hash of the conv kernels' sources). Later runs read their choices from the
 * file, so a given file gives bit-identical runs whatever the timing noise.
 *
 * PIX2PIXHD_CONV_TUNE: `on` (default), `off` (heuristic choices, no file), `retune` (time again,
 * replacing this adapter's entries). PIX2PIXHD_CONV_TUNE_FILE: the file (default
 * `$XDG_CACHE_HOME/pix2pixhd/conv_tuning.json`, else `~/.cache/pix2pixhd/conv_tuning.json`).
 * PIX2PIXHD_CONV_KERNEL (conv_gemm.ts) forces a variant and skips tuning.
 *
 * @module
 */

import { envVar } from "../gpu/device.ts";
import { runtime } from "../gpu/kernel.ts";
import shared from "../../shaders/gather_epilogue.wgsl" with { type: "text" };
import registerSrc from "./conv2d.wgsl" with { type: "text" };
import tiledSrc from "./conv_tiled.wgsl" with { type: "text" };

/**
 * A conv kernel variant: the register kernels (reading a packed copy of the weight, or with
 * `register-direct` the weight where it lies; the weight gradient reads no weight, so both are
 * the same there), or the tiled ones with a TM×TN thread tile.
 */
export type ConvVariant =
  | "register"
  | "register-direct"
  | "tiled-4x4"
  | "tiled-4x8"
  | "tiled-8x4"
  | "tiled-8x8";

/** Every variant, in the order ties are broken. */
export const CONV_VARIANTS: readonly ConvVariant[] = [
  "register",
  "register-direct",
  "tiled-4x4",
  "tiled-4x8",
  "tiled-8x4",
  "tiled-8x8",
];

/** How the tuner works: see the module's documentation. */
export type TuneMode = "on" | "off" | "retune";

/** PIX2PIXHD_CONV_TUNE's value as a mode, null when unset or empty; throws if bad. */
export function parseTuneMode(v: string | undefined): TuneMode | null {
  if (v === undefined || v === "") return null;
  if (v !== "on" && v !== "off" && v !== "retune") {
    throw new RangeError(
      `PIX2PIXHD_CONV_TUNE must be 'on', 'off' or 'retune': current value is '${v}'`,
    );
  }
  return v;
}

/** One queued shape: runs its pass on inputs of that shape with a variant, then frees them. */
export interface TuneSample {
  /** Records one run of the pass with `variant` (the inputs are made on the first call). */
  run(variant: ConvVariant): void;
  /** The variants that differ for this pass (default {@linkcode CONV_VARIANTS}). */
  readonly variants?: readonly ConvVariant[];
  /** Frees the inputs. */
  dispose(): void;
}

/** What one {@linkcode tuneConvs} did. */
export interface TuneReport {
  /** Shapes timed and now chosen. */
  tuned: number;
  /** Shapes left with the heuristic choice as the time budget ran out (timed next time). */
  left: number;
  /** Milliseconds spent. */
  ms: number;
  /** The file the choices went to, or null (none: no file system, or mode off). */
  file: string | null;
}

const FORMAT = "pix2pixhd-conv-tuning";

interface Entry {
  variant: ConvVariant;
  /** Each variant's time in ms, as measured. */
  ms: Partial<Record<ConvVariant, number>>;
}

/** The tuner's state; its fields may be set (tests, tools) before the first conv runs. */
export const convTuner = {
  /** null: PIX2PIXHD_CONV_TUNE, else `on`. */
  mode: null as TuneMode | null,
  /** undefined: PIX2PIXHD_CONV_TUNE_FILE, else the default; null: no file. */
  file: undefined as string | null | undefined,
  /** The most milliseconds one {@linkcode tuneConvs} spends timing. */
  budgetMs: 20_000,
  /** Where warnings go (a cache file that cannot be read or written). */
  warn: (message: string) => console.warn(message),
  /** This adapter's choices, loaded from the file on first use. */
  choices: null as Map<string, Entry> | null,
  /** Shapes waiting to be timed. */
  pending: new Map<string, () => TuneSample>(),
  /** Shapes left untimed when the budget ran out: heuristic for the rest of the process. */
  untimed: new Set<string>(),
};

let retuned = false;

/** Forgets the loaded choices and the queue, so that the next conv reads the file again. */
export function resetConvTuner(): void {
  convTuner.choices = null;
  convTuner.pending.clear();
  convTuner.untimed.clear();
  retuned = false;
}

/** PIX2PIXHD_CONV_TUNE, read once (every conv pass asks for the mode). */
let envMode: TuneMode | null | undefined;

function mode(): TuneMode {
  if (convTuner.mode) return convTuner.mode;
  if (envMode === undefined) envMode = parseTuneMode(envVar("PIX2PIXHD_CONV_TUNE"));
  return envMode ?? "on";
}

/** The cache file, or null where there is none (no file system, or turned off). */
export function tuneFile(): string | null {
  if (convTuner.file !== undefined) return convTuner.file;
  if (!globalThis.Deno) return null;
  const set = envVar("PIX2PIXHD_CONV_TUNE_FILE");
  if (set) return set;
  const home = envVar("HOME") ?? envVar("USERPROFILE");
  const base = envVar("XDG_CACHE_HOME") ?? (home ? `${home}/.cache` : null);
  return base ? `${base}/pix2pixhd/conv_tuning.json` : null;
}

/** The adapter and engine the choices hold for. */
export function tuneKey(): string {
  return `${runtime().gpu.adapter} | ${runtime().gpu.backend} | engine ${ENGINE}`;
}

/** FNV-1a of the conv kernels' sources: any change to them makes earlier timings foreign. */
const ENGINE = (() => {
  let h = 0x811c9dc5;
  for (const ch of shared + registerSrc + tiledSrc) {
    h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
})();

type CacheFile = { format: string; adapters: Record<string, Record<string, Entry>> };

/** The whole cache file, or an empty one where it is missing, unreadable or foreign (warned). */
function readCache(file: string): CacheFile {
  const empty: CacheFile = { format: FORMAT, adapters: {} };
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      convTuner.warn(`Ignoring the conv tuning cache ${file}: ${(e as Error).message}`);
    }
    return empty;
  }
  try {
    const data = JSON.parse(text);
    if (data?.format !== FORMAT || typeof data.adapters !== "object" || !data.adapters) {
      throw new Error(`its format must be '${FORMAT}'`);
    }
    for (const [adapter, entries] of Object.entries(data.adapters)) {
      for (const [bucket, e] of Object.entries(entries as Record<string, Entry>)) {
        if (!CONV_VARIANTS.includes(e?.variant)) {
          throw new Error(`${adapter}: '${bucket}' has no known variant: ${JSON.stringify(e)}`);
        }
      }
    }
    return data as CacheFile;
  } catch (e) {
    convTuner.warn(
      `Ignoring the conv tuning cache ${file} as it is not a tuning file: ${(e as Error).message}`,
    );
    return empty;
  }
}

function choices(): Map<string, Entry> {
  if (convTuner.choices) return convTuner.choices;
  const file = tuneFile();
  const loaded = file && mode() === "on" ? readCache(file).adapters[tuneKey()] ?? {} : {};
  convTuner.choices = new Map(Object.entries(loaded));
  return convTuner.choices;
}

/**
 * The tuned variant of `bucket`, or null: then `sample` is queued (unless tuning is off) and the
 * caller uses its heuristic choice.
 */
export function tunedVariant(bucket: string, sample: () => TuneSample): ConvVariant | null {
  if (mode() === "off") return null;
  const entry = choices().get(bucket);
  if (entry) return entry.variant;
  if (!convTuner.untimed.has(bucket)) convTuner.pending.set(bucket, sample);
  return null;
}

/** Milliseconds one run of `sample` with `variant` takes on the GPU. */
async function timeVariant(sample: TuneSample, variant: ConvVariant): Promise<number> {
  const rt = runtime();
  sample.run(variant); // compiles its kernels
  await rt.sync();
  const first = await rt.gpuTime(() => sample.run(variant));
  if (first !== null) {
    // Timestamps: the median of three, or one run for slow ones.
    if (first > 20) return first;
    const more = [first];
    for (let i = 0; i < 2; i++) more.push((await rt.gpuTime(() => sample.run(variant)))!);
    return more.sort((a, b) => a - b)[1];
  }
  // Submitted-work-done: enough runs between two waits to outweigh the wait.
  for (let runs = 1;; runs *= 4) {
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) sample.run(variant);
    await rt.sync();
    const ms = performance.now() - t0;
    if (ms >= 50 || runs >= 64) return ms / runs;
  }
}

/**
 * Times every variant of the queued shapes (within {@linkcode convTuner}.budgetMs), keeps the
 * fastest of each and saves the choices; `log` gets one line when anything was timed. Returns
 * null when nothing was queued.
 */
export async function tuneConvs(log?: (line: string) => void): Promise<TuneReport | null> {
  if (mode() === "off" || convTuner.pending.size === 0) return null;
  const rt = runtime();
  await rt.sync();
  const t0 = performance.now();
  const fresh: Record<string, Entry> = {};
  const over = () => performance.now() - t0 > convTuner.budgetMs;
  for (const [bucket, make] of [...convTuner.pending]) {
    if (over()) break;
    const sample = make();
    const ms: Partial<Record<ConvVariant, number>> = {};
    const variants = sample.variants ?? CONV_VARIANTS;
    try {
      // A shape whose variants outlast the budget stays untimed (heuristic) in this process.
      for (const v of variants) if (!over()) ms[v] = await timeVariant(sample, v);
    } finally {
      sample.dispose();
    }
    if (Object.keys(ms).length < variants.length) break;
    convTuner.pending.delete(bucket);
    const variant = variants.reduce((best, v) => (ms[v]! < ms[best]! ? v : best));
    fresh[bucket] = { variant, ms };
    choices().set(bucket, fresh[bucket]);
  }
  const left = convTuner.pending.size;
  for (const bucket of convTuner.pending.keys()) convTuner.untimed.add(bucket);
  convTuner.pending.clear();
  const file = tuneFile();
  if (file) save(file, fresh);
  const report = { tuned: Object.keys(fresh).length, left, ms: performance.now() - t0, file };
  log?.(
    `conv tuning on ${rt.gpu.adapter}: ${report.tuned} layer shape(s) timed in ${
      (report.ms / 1000).toFixed(1)
    } s${left ? `, ${left} left for the next run (budget ${convTuner.budgetMs} ms)` : ""}${
      file ? `; choices kept in ${file}` : ""
    }`,
  );
  return report;
}

/** Merges `fresh` into the file's entries of this adapter, written whole or not at all. */
function save(file: string, fresh: Record<string, Entry>): void {
  const data = readCache(file);
  const key = tuneKey();
  if (mode() === "retune" && !retuned) {
    data.adapters[key] = {}; // this adapter's old entries go, once a process
    retuned = true;
  }
  data.adapters[key] = { ...data.adapters[key], ...fresh };
  const dir = file.replace(/[\\/][^\\/]*$/, "");
  const tmp = `${file}.${Deno.pid}.tmp`;
  try {
    if (dir !== file) Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(tmp, JSON.stringify(data, null, 1) + "\n");
    Deno.renameSync(tmp, file);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never written */ }
    convTuner.warn(`Cannot save the conv tuning cache ${file}: ${(e as Error).message}`);
  }
}
