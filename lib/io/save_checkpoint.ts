/**
 * Saves a state_dict in the format its file name asks for: `.safetensors`, or `torch.save`'s zip
 * format for `.pth`, `.pt` and `.bin`.
 *
 * @module
 */
import { encodeSafetensors, saveSafetensors } from "./safetensors_writer.ts";
import type { TensorSource } from "./tensor_data.ts";
import { encodeTorch, saveTorch } from "./torch_writer.ts";

/** The formats {@linkcode saveCheckpoint} writes. */
export type SaveFormat = "torch-zip" | "safetensors";

/** Options of {@linkcode saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** The format; by default taken from the extension. */
  format?: SaveFormat;
  /** safetensors only: the header's `__metadata__`. */
  metadata?: Readonly<Record<string, string>>;
  /** torch zip only: the folder name inside the zip (default: the file name less extension). */
  archiveName?: string;
}

/**
 * The format a file name asks for, or a `RangeError` for an extension it does not know.
 *
 * @example Usage
 * ```ts
 * import { formatOfPath } from "./save_checkpoint.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(formatOfPath("checkpoints/latest_net_G.pth"), "torch-zip");
 * equal(formatOfPath("G.safetensors"), "safetensors");
 * ```
 */
export function formatOfPath(path: string): SaveFormat {
  const extension = /\.[^./\\]+$/.exec(path)?.[0].toLowerCase() ?? "";
  if (extension === ".safetensors") return "safetensors";
  if (extension === ".pth" || extension === ".pt" || extension === ".bin") return "torch-zip";
  throw new RangeError(
    `Cannot choose a format for '${path}' as its extension is not .pth, .pt, .bin or .safetensors: current value is '${extension}'`,
  );
}

/**
 * Writes `tensors` to `path` as safetensors or in `torch.save`'s zip format, chosen by
 * `options.format` or else by the extension.
 *
 * @example Usage
 * ```ts
 * import { saveCheckpoint } from "./save_checkpoint.ts";
 * import { loadCheckpoint } from "./open_checkpoint.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".pt" });
 * const w = { dtype: "int8", shape: [2], data: new Int8Array([-1, 1]) } as const;
 * await saveCheckpoint(path, new Map([["w", w]]));
 * deepEqual((await loadCheckpoint(path)).get("w"), w);
 * ```
 */
export async function saveCheckpoint(
  path: string | URL,
  tensors: Iterable<readonly [string, TensorSource]>,
  options: SaveCheckpointOptions = {},
): Promise<void> {
  const name = path instanceof URL ? decodeURIComponent(path.pathname) : path;
  const format = options.format ?? formatOfPath(name);
  checkOptions(format, options, `'${name}'`);
  if (format === "safetensors") await saveSafetensors(path, tensors, options);
  else await saveTorch(path, tensors, options);
}

/**
 * A state_dict's file as bytes in memory, in `options.format` (a web page's download, or bytes
 * to send): what {@linkcode saveCheckpoint} writes, with the torch zip's folder named
 * `options.archiveName` (default "archive").
 *
 * @example Usage
 * ```ts
 * import { encodeCheckpoint } from "./save_checkpoint.ts";
 * import { openCheckpointSource } from "./open_checkpoint.ts";
 * import { BytesSource } from "./byte_source.ts";
 * import { equal } from "node:assert/strict";
 *
 * const w = { dtype: "float32", shape: [1], data: new Float32Array([2]) } as const;
 * const bytes = await encodeCheckpoint(new Map([["w", w]]), { format: "torch-zip" });
 * using checkpoint = await openCheckpointSource(new BytesSource(bytes, "w.pth"));
 * equal(checkpoint.format, "torch-zip");
 * ```
 */
export async function encodeCheckpoint(
  tensors: Iterable<readonly [string, TensorSource]>,
  options: SaveCheckpointOptions & { format: SaveFormat },
): Promise<Uint8Array> {
  checkOptions(options.format, options, "the checkpoint bytes");
  return options.format === "safetensors"
    ? await encodeSafetensors(tensors, options)
    : await encodeTorch(tensors, options);
}

/** Refuses options the format does not take, and an unknown format. */
function checkOptions(format: SaveFormat, options: SaveCheckpointOptions, name: string): void {
  if (format === "safetensors") {
    if (options.archiveName !== undefined) {
      throw new TypeError(
        `Cannot save ${name} as safetensors with an archive name: current value is '${options.archiveName}'`,
      );
    }
  } else if (format === "torch-zip") {
    if (options.metadata !== undefined) {
      throw new TypeError(
        `Cannot save ${name} in torch format with safetensors metadata: current value is ${
          JSON.stringify(options.metadata)
        }`,
      );
    }
  } else {
    throw new RangeError(
      `Cannot save ${name} as the format is unknown: current value is '${format}'`,
    );
  }
}
