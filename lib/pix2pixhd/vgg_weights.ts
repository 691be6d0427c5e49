/**
 * Finds torchvision's ImageNet VGG19 weights (`vgg19-dcbbe6f5.pth`, which cannot be shipped):
 * the path given, else the cached copy, else a download from PyTorch's official URL into the
 * cache, checked against the hash prefix in its name.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { writeOutputFile } from "../io/output_file.ts";
import { ProgressLine } from "../io/progress.ts";

/** torchvision's file name for the ImageNet VGG19; "dcbbe6f5" starts its SHA-256. */
export const VGG19_FILE = "vgg19-dcbbe6f5.pth";

/** Where torchvision downloads it from. */
export const VGG19_URL = `https://download.pytorch.org/models/${VGG19_FILE}`;

const HASH_PREFIX = "dcbbe6f5";
const CONNECT_TIMEOUT_MS = 30_000;

/** Options of {@linkcode resolveVggWeights}. */
export interface VggWeightsOptions {
  /** A torchvision-layout VGG19 checkpoint to use as it is (`--vgg_weights`). */
  vggWeights?: string;
  /** The cache directory; torch hub's (`$TORCH_HOME/hub/checkpoints`) when absent. */
  cacheDir?: string;
  /** The fetch function for the download (default: the global `fetch`). */
  fetch?: typeof fetch;
  /** Where the download's announcement goes (default `console.log`). */
  print?: (line: string) => void;
  /** A progress line for the download on stderr (default: when stderr is a terminal). */
  progress?: boolean;
}

/**
 * torch hub's checkpoint directory, where torchvision caches `vgg19-dcbbe6f5.pth`:
 * `$TORCH_HOME/hub/checkpoints`, else `$XDG_CACHE_HOME/torch/hub/checkpoints`, else
 * `~/.cache/torch/hub/checkpoints`.
 */
export function defaultVggCacheDir(): string {
  const env = (name: string) => Deno.env.get(name) || undefined;
  const torchHome = env("TORCH_HOME") ??
    join(
      env("XDG_CACHE_HOME") ?? join(env("HOME") ?? env("USERPROFILE") ?? ".", ".cache"),
      "torch",
    );
  return join(torchHome, "hub", "checkpoints");
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function download(url: string, path: string, options: VggWeightsOptions): Promise<void> {
  const fetchFn = options.fetch ?? fetch;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), CONNECT_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetchFn(url, { signal: abort.signal });
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`the server answered ${response.status} ${response.statusText}`);
  }
  const body = response.body;
  const length = Number(response.headers.get("content-length"));
  const total = Number.isInteger(length) && length > 0 ? length : null;
  const size = total === null ? "size unknown" : `${(total / 1e6).toFixed(1)} MB`;
  (options.print ?? console.log)(`downloading ${url} (${size}) into ${path}`);
  const bar = new ProgressLine({
    label: "VGG19 download",
    total,
    unit: "bytes",
    enabled: options.progress,
  });
  await writeOutputFile(path, async (write) => {
    const hash = createHash("sha256");
    let done = 0;
    try {
      for await (const chunk of body) {
        hash.update(chunk);
        await write(chunk);
        bar.update(done += chunk.length);
      }
    } finally {
      bar.end();
    }
    const digest = hash.digest("hex");
    if (!digest.startsWith(HASH_PREFIX)) {
      throw new Deno.errors.InvalidData(
        `Cannot keep the download of ${url} as its SHA-256 must start with ${HASH_PREFIX}: current value is ${digest}`,
      );
    }
  });
}

/**
 * The path of a VGG19 checkpoint in torchvision's layout: `vggWeights` if given (it must exist),
 * else `vgg19-dcbbe6f5.pth` in the cache directory, downloaded there first if missing (into a
 * temporary file renamed once complete and its hash checked). Throws `Deno.errors.NotFound`
 * saying how to get the file, or to train with `--no_vgg_loss`, when the download fails.
 *
 * @example
 * ```ts ignore
 * const vgg = await loadVgg19(await resolveVggWeights({ vggWeights: args.vgg_weights }));
 * ```
 */
export async function resolveVggWeights(options: VggWeightsOptions = {}): Promise<string> {
  if (options.vggWeights !== undefined) {
    if (!(await isFile(options.vggWeights))) {
      throw new Deno.errors.NotFound(
        `Cannot read the VGG19 weights as the file does not exist: current value is '${options.vggWeights}'`,
      );
    }
    return options.vggWeights;
  }
  const dir = options.cacheDir ?? defaultVggCacheDir();
  const path = join(dir, VGG19_FILE);
  if (await isFile(path)) return path;
  try {
    await Deno.mkdir(dir, { recursive: true });
    await download(VGG19_URL, path, options);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Deno.errors.NotFound(
      `Cannot get the VGG19 weights as ${path} does not exist and downloading ${VGG19_URL} ` +
        `failed: current value is '${reason}'. Download that file into ${dir}, or pass ` +
        `--vgg_weights PATH to a torchvision VGG19 checkpoint, or train without the VGG loss ` +
        `with --no_vgg_loss`,
      { cause: error },
    );
  }
  return path;
}
