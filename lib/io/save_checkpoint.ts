/**
 * Saves a state_dict in the format its file name asks for: `.safetensors`, or `torch.save`'s zip
 * format for `.pth`, `.pt` and `.bin`.
 *
 * @module
 */
import { saveSafetensors } from "./safetensors_writer.ts";
import type { TensorSource } from "./tensor_data.ts";
import { saveTorch } from "./torch_writer.ts";

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
  if (format === "safetensors") {
    if (options.archiveName !== undefined) {
      throw new TypeError(
        `Cannot save '${name}' as safetensors with an archive name: current value is '${options.archiveName}'`,
      );
    }
    await saveSafetensors(path, tensors, { metadata: options.metadata });
  } else if (format === "torch-zip") {
    if (options.metadata !== undefined) {
      throw new TypeError(
        `Cannot save '${name}' in torch format with safetensors metadata: current value is ${
          JSON.stringify(options.metadata)
        }`,
      );
    }
    await saveTorch(path, tensors, { archiveName: options.archiveName });
  } else {
    throw new RangeError(
      `Cannot save '${name}' as the format is unknown: current value is '${format}'`,
    );
  }
}
