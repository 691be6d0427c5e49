/**
 * Opens a checkpoint in any supported format, told apart by its first bytes: a zip archive
 * (`torch.save` since PyTorch 1.6), a pickle stream (legacy `torch.save`) or safetensors.
 *
 * @module
 */
import { type ByteSource, FileSource } from "./byte_source.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { readSafetensors } from "./safetensors_reader.ts";
import type { StateDict } from "./tensor_data.ts";
import { readTorchLegacy } from "./torch_legacy_reader.ts";
import { readTorchZip } from "./torch_zip_reader.ts";

/**
 * Opens the checkpoint in `source` (which the checkpoint then owns; it is closed if opening
 * fails).
 *
 * @example Usage
 * ```ts
 * import { BytesSource } from "./byte_source.ts";
 * import { openCheckpointSource } from "./open_checkpoint.ts";
 * import { rejects } from "node:assert/strict";
 *
 * await rejects(openCheckpointSource(new BytesSource(new TextEncoder().encode("GIF89a..."), "x.pth")), /known format/);
 * ```
 */
export async function openCheckpointSource(source: ByteSource): Promise<Checkpoint> {
  try {
    const head = await source.read(0, Math.min(source.size, 16), "the magic bytes");
    if (
      head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)
    ) {
      return await readTorchZip(source);
    }
    if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) {
      return await readTorchLegacy(source);
    }
    if (head.length >= 9 && head[8] === 0x7b) {
      return await readSafetensors(source);
    }
    throw new SyntaxError(
      `Cannot read '${source.name}' as its first bytes match no known format (torch zip, legacy torch.save, safetensors): current value is ${
        [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ") ||
        "an empty file"
      }`,
    );
  } catch (error) {
    source.close();
    throw error;
  }
}

/**
 * Opens the checkpoint file at `path`: only its index is read; tensors are read by name with
 * `read`. Close it (or declare it with `using`) when done.
 *
 * @example Usage
 * ```ts
 * import { openCheckpoint } from "./open_checkpoint.ts";
 * import { saveCheckpoint } from "./save_checkpoint.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".pth" });
 * await saveCheckpoint(path, new Map([["w", { dtype: "float32", shape: [], data: new Float32Array([3]) }]]));
 * using checkpoint = await openCheckpoint(path);
 * deepEqual(checkpoint.tensors.get("w")?.shape, []);
 * deepEqual((await checkpoint.read("w")).data, new Float32Array([3]));
 * ```
 */
export async function openCheckpoint(path: string | URL): Promise<Checkpoint> {
  return openCheckpointSource(await FileSource.open(path));
}

/**
 * Reads every tensor of the checkpoint file at `path` into memory.
 *
 * @example Usage
 * ```ts
 * import { loadCheckpoint } from "./open_checkpoint.ts";
 * import { saveCheckpoint } from "./save_checkpoint.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveCheckpoint(path, new Map([["a", { dtype: "bool", shape: [2], data: new Uint8Array([1, 0]) }]]));
 * deepEqual([...(await loadCheckpoint(path)).keys()], ["a"]);
 * ```
 */
export async function loadCheckpoint(path: string | URL): Promise<StateDict> {
  using checkpoint = await openCheckpoint(path);
  return await checkpoint.readAll();
}
