/**
 * Reads safetensors files: an 8-byte little-endian header length, a JSON header giving each
 * tensor's dtype, shape and byte range, then the tensors' bytes.
 *
 * @module
 */
import type { ByteSource } from "./byte_source.ts";
import { Checkpoint } from "./checkpoint.ts";
import { dtypeSize, viewAs } from "./dtype.ts";
import { dtypeOfSafetensors } from "./safetensors_dtype.ts";
import { type LazyTensor, numel, type TensorData } from "./tensor_data.ts";

/** The largest header accepted, as in the reference implementation (100 MB). */
const MAX_HEADER = 100_000_000;

/**
 * Opens a safetensors file from `source`, reading only its header; the returned checkpoint owns
 * `source`.
 *
 * @example Usage
 * ```ts
 * import { FileSource } from "./byte_source.ts";
 * import { readSafetensors } from "./safetensors_reader.ts";
 * import { saveSafetensors } from "./safetensors_writer.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveSafetensors(path, new Map([["b", { dtype: "int64", shape: [1], data: new BigInt64Array([5n]) }]]));
 * using checkpoint = await readSafetensors(await FileSource.open(path));
 * deepEqual((await checkpoint.read("b")).data, new BigInt64Array([5n]));
 * ```
 */
export async function readSafetensors(source: ByteSource): Promise<Checkpoint> {
  const file = source.name;
  const lengthBytes = await source.read(0, 8, "the safetensors header length");
  const length = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
  if (length > MAX_HEADER || 8 + length > source.size) {
    throw new SyntaxError(
      `Cannot read '${file}' as safetensors as its header length is impossible: current value is ${length} bytes in a file of ${source.size}`,
    );
  }
  const headerBytes = await source.read(8, length, "the safetensors header");
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw new SyntaxError(
      `Cannot read '${file}' as safetensors as its header is not JSON: current value is ${
        JSON.stringify(new TextDecoder().decode(headerBytes.subarray(0, 40)))
      }...`,
      { cause: error },
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new SyntaxError(
      `Cannot read '${file}' as safetensors as its header is not an object: current value is ${typeof header}`,
    );
  }
  const dataStart = 8 + length;
  const dataSize = source.size - dataStart;
  const tensors = new Map<string, LazyTensor>();
  let metadata: Record<string, string> = {};
  for (const [key, info] of Object.entries(header)) {
    if (key === "__metadata__") {
      metadata = checkMetadata(file, info);
      continue;
    }
    const { dtype: name, shape, data_offsets: offsets } = (info ?? {}) as Record<string, unknown>;
    const dtype = dtypeOfSafetensors(String(name));
    if (dtype === undefined) {
      throw new TypeError(
        `Cannot read tensor '${key}' from '${file}' as its dtype is unsupported: current value is ${name}`,
      );
    }
    const isIndex = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
    if (
      !Array.isArray(shape) || !shape.every(isIndex) || !Array.isArray(offsets) ||
      offsets.length !== 2 || !offsets.every(isIndex)
    ) {
      throw new SyntaxError(
        `Cannot read tensor '${key}' from '${file}' as its header entry is malformed: current value is ${
          JSON.stringify(info)
        }`,
      );
    }
    const [begin, end] = offsets as [number, number];
    const bytes = numel(shape) * dtypeSize(dtype);
    if (end - begin !== bytes || end > dataSize) {
      throw new SyntaxError(
        `Cannot read tensor '${key}' from '${file}' as its byte range does not fit: current value is [${begin}, ${end}) for ${bytes} bytes in ${dataSize}`,
      );
    }
    const frozen = Object.freeze([...shape]) as readonly number[];
    tensors.set(key, {
      dtype,
      shape: frozen,
      read: async () => {
        const data = await source.read(dataStart + begin, bytes, `tensor '${key}'`);
        return { dtype, shape: frozen, data: viewAs(dtype, data) } as TensorData;
      },
    });
  }
  return new Checkpoint({ source, format: "safetensors", tensors, metadata });
}

function checkMetadata(file: string, info: unknown): Record<string, string> {
  if (
    typeof info !== "object" || info === null || Array.isArray(info) ||
    !Object.values(info).every((v) => typeof v === "string")
  ) {
    throw new SyntaxError(
      `Cannot read '${file}' as its safetensors __metadata__ must map strings to strings: current value is ${
        JSON.stringify(info)
      }`,
    );
  }
  return info as Record<string, string>;
}
