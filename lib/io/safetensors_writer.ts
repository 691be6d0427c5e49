/**
 * Writes safetensors files as the reference implementation lays them out: the header padded with
 * spaces to 8 bytes, the data packed without gaps, largest elements first so every tensor is
 * aligned to its element size.
 *
 * @module
 */
import { bytesOf, dtypeSize } from "./dtype.ts";
import { collect, type Fill } from "./chunks.ts";
import { writeOutputFile } from "./output_file.ts";
import { SAFETENSORS_DTYPE } from "./safetensors_dtype.ts";
import { checkTensorSource, numel, readSource, type TensorSource } from "./tensor_data.ts";

/** Options of {@linkcode saveSafetensors}. */
export interface SaveSafetensorsOptions {
  /** Written as the header's `__metadata__` (strings only, as the format requires). */
  metadata?: Readonly<Record<string, string>>;
}

/**
 * Writes `tensors` to `path` as safetensors. The header lists the keys in the order given; lazy
 * tensors are read one at a time. The file appears only once complete.
 *
 * @example Usage
 * ```ts
 * import { saveSafetensors } from "./safetensors_writer.ts";
 * import { openCheckpoint } from "./open_checkpoint.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * const tensors = new Map([["w", { dtype: "float16", shape: [1], data: new Uint16Array([0x3c00]) } as const]]);
 * await saveSafetensors(path, tensors, { metadata: { format: "pt" } });
 * using checkpoint = await openCheckpoint(path);
 * deepEqual(checkpoint.metadata, { format: "pt" });
 * ```
 */
export async function saveSafetensors(
  path: string | URL,
  tensors: Iterable<readonly [string, TensorSource]>,
  options: SaveSafetensorsOptions = {},
): Promise<void> {
  const target = path instanceof URL ? decodeURIComponent(path.pathname) : path;
  await writeOutputFile(target, safetensorsFill(tensors, options, `'${target}'`));
}

/**
 * The safetensors file of `tensors` as bytes in memory, laid out as
 * {@linkcode saveSafetensors} writes it.
 *
 * @example Usage
 * ```ts
 * import { encodeSafetensors } from "./safetensors_writer.ts";
 * import { openCheckpointSource } from "./open_checkpoint.ts";
 * import { BytesSource } from "./byte_source.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const w = { dtype: "float32", shape: [2], data: new Float32Array([1, -1]) } as const;
 * const bytes = await encodeSafetensors(new Map([["w", w]]));
 * using checkpoint = await openCheckpointSource(new BytesSource(bytes, "w.safetensors"));
 * deepEqual((await checkpoint.read("w")).data, new Float32Array([1, -1]));
 * ```
 */
export async function encodeSafetensors(
  tensors: Iterable<readonly [string, TensorSource]>,
  options: SaveSafetensorsOptions = {},
): Promise<Uint8Array> {
  return await collect(safetensorsFill(tensors, options, "the safetensors bytes"));
}

/** Checks `tensors` and lays out the header; the returned fill writes the file. */
function safetensorsFill(
  tensors: Iterable<readonly [string, TensorSource]>,
  options: SaveSafetensorsOptions,
  target: string,
): Fill {
  const entries = [...tensors];
  const header: Record<string, unknown> = {};
  const { metadata } = options;
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        throw new TypeError(
          `Cannot save ${target} as safetensors metadata values must be strings: current value is ${typeof v} for '${k}'`,
        );
      }
    }
    header.__metadata__ = { ...metadata };
  }
  for (const [key, source] of entries) {
    checkTensorSource(key, source);
    if (key === "__metadata__" || Object.hasOwn(header, key)) {
      throw new RangeError(
        `Cannot save ${target} as a key appears twice or is reserved: current value is '${key}'`,
      );
    }
    header[key] = null;
  }
  const layout = entries.map((_, i) => i).sort((a, b) =>
    dtypeSize(entries[b][1].dtype) - dtypeSize(entries[a][1].dtype) || a - b
  );
  let offset = 0;
  for (const i of layout) {
    const [key, { dtype, shape }] = entries[i];
    const bytes = numel(shape) * dtypeSize(dtype);
    header[key] = {
      dtype: SAFETENSORS_DTYPE[dtype],
      shape: [...shape],
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const encoded = new TextEncoder().encode(json);
  json += " ".repeat((8 - (encoded.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);

  return async (write) => {
    await write(prefix);
    await write(headerBytes);
    for (const i of layout) {
      const [key, source] = entries[i];
      await write(bytesOf((await readSource(key, source)).data));
    }
  };
}
