/**
 * Reads `torch.save`'s legacy stream (before PyTorch 1.6, or `_use_new_zipfile_serialization=False`):
 * five pickles (magic number, protocol version, system info, the object, the sorted storage keys)
 * followed by each storage as an int64 element count and its raw bytes. The pickles are read from
 * the head of the file, never more of it than `MAX_PICKLE_BYTES` (16 MiB) past a pickle's start.
 *
 * @module
 */
import type { ByteSource } from "./byte_source.ts";
import { Checkpoint } from "./checkpoint.ts";
import { dtypeSize } from "./dtype.ts";
import {
  MAX_PICKLE_BYTES,
  PickleEndError,
  type PyCallable,
  unpickle,
  type Unpickled,
  type UnpickleOptions,
} from "./pickle.ts";
import { pyRepr } from "./py_repr.ts";
import type { LazyTensor } from "./tensor_data.ts";
import { lazyTorchTensor } from "./torch_tensor.ts";
import { flattenCheckpoint, StorageClass, type StorageRef, torchGlobals } from "./torch_pickle.ts";

/** The number `torch.save` writes first in a legacy file. */
export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

interface Root {
  key: string;
  className: string;
  dtype: StorageRef["dtype"];
  numel: number;
  /** Offset in the file of the storage's first byte, once the storage records are scanned. */
  at?: number;
}

const noGlobals = (what: string) => (module: string, name: string): PyCallable => {
  throw new TypeError(
    `Cannot unpickle ${what} as its header names a global: current value is ${module}.${name}`,
  );
};

/**
 * Opens a legacy `torch.save` checkpoint from `source`, reading its pickles and scanning the
 * storage records without reading their data; the returned checkpoint owns `source`.
 *
 * @example Usage
 * ```ts
 * import { BytesSource } from "./byte_source.ts";
 * import { readTorchLegacy } from "./torch_legacy_reader.ts";
 * import { rejects } from "node:assert/strict";
 *
 * await rejects(readTorchLegacy(new BytesSource(new Uint8Array([0x80, 2, 0x4b, 7, 0x2e]), "x.pth")), /magic/);
 * ```
 */
export async function readTorchLegacy(source: ByteSource): Promise<Checkpoint> {
  const file = source.name;
  let head = await source.read(0, Math.min(source.size, 1 << 16), "the legacy header");
  let at = 0;
  const next = async (what: string, options: Partial<UnpickleOptions> = {}) => {
    while (true) {
      try {
        const result: Unpickled = unpickle(head, {
          start: at,
          what,
          findGlobal: noGlobals(what),
          ...options,
        });
        at = result.end;
        return result.value;
      } catch (error) {
        if (!(error instanceof PickleEndError) || head.length === source.size) throw error;
        // Never more than the pickle may take: unpickle refuses it past MAX_PICKLE_BYTES.
        const length = Math.min(source.size, head.length * 2, at + MAX_PICKLE_BYTES + 1);
        head = await source.read(0, length, "the legacy pickle");
      }
    }
  };

  const magic = await next(`'${file}' (magic number)`);
  if (magic !== LEGACY_MAGIC) {
    throw new SyntaxError(
      `Cannot read '${file}' as a legacy torch.save file as its magic number is wrong: current value is ${
        typeof magic === "number" || typeof magic === "bigint"
          ? `0x${magic.toString(16)}`
          : typeof magic
      }`,
    );
  }
  const protocol = await next(`'${file}' (protocol version)`);
  if (protocol !== PROTOCOL_VERSION) {
    throw new SyntaxError(
      `Cannot read '${file}' as its legacy protocol version is unsupported: current value is ${
        pyRepr(protocol, 40)
      }`,
    );
  }
  const info = await next(`'${file}' (system info)`);
  if (!(info instanceof Map) || info.get("little_endian") !== true) {
    throw new TypeError(
      `Cannot read '${file}' as its storages are not little-endian: current value is little_endian=${
        info instanceof Map ? textOf(info.get("little_endian")) : "missing"
      }`,
    );
  }

  const what = `'${file}'`;
  const roots = new Map<string, Root>();
  const value = await next(what, {
    findGlobal: torchGlobals(what),
    persistentLoad: (pid) => persistentStorage(what, roots, pid),
  });
  const keys = await next(`'${file}' (storage keys)`);
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string" && roots.has(k))) {
    throw new SyntaxError(
      `Cannot read '${file}' as its storage key list does not match its storages: current value is ${
        pyRepr(keys, 200)
      }`,
    );
  }
  const flat = flattenCheckpoint(value, what);
  const owner = new Map<string, string>();
  for (const [key, ref] of flat.tensors) {
    if (!owner.has(ref.storage.key)) owner.set(ref.storage.key, key);
  }

  const tensors = new Map<string, LazyTensor>();
  for (const [key, ref] of flat.tensors) {
    const root = roots.get(ref.storage.key)!;
    tensors.set(
      key,
      lazyTorchTensor(key, ref, {
        file,
        readElements: (first, count) => {
          if (root.at === undefined) {
            throw new SyntaxError(
              `Cannot read tensor '${key}' from '${file}' as its storage '${root.key}' has no record: current value is ${keys.length} records`,
            );
          }
          const size = dtypeSize(ref.storage.dtype!);
          const start = root.at + (ref.storage.rootOffset + first) * size;
          return source.read(start, count * size, `tensor '${key}'`);
        },
      }),
    );
  }
  let offset = at;
  for (const key of keys as string[]) {
    const root = roots.get(key)!;
    const named = `storage '${key}'${owner.has(key) ? ` of tensor '${owner.get(key)}'` : ""}`;
    if (root.dtype === undefined) {
      throw new TypeError(
        `Cannot read ${named} from '${file}' as its dtype is unsupported: current value is ${root.className}`,
      );
    }
    const size = dtypeSize(root.dtype);
    const count = new DataView((await source.read(offset, 8, `the size of ${named}`)).buffer)
      .getBigInt64(0, true);
    if (count !== BigInt(root.numel)) {
      throw new SyntaxError(
        `Cannot read ${named} from '${file}' as its record is corrupt: current value is ${count} elements, ${root.numel} expected`,
      );
    }
    root.at = offset + 8;
    offset += 8 + root.numel * size;
    if (offset > source.size) {
      throw new SyntaxError(
        `Cannot read ${named} from '${file}' as the file is truncated: current value is ${source.size} bytes, ${offset} needed`,
      );
    }
  }

  return new Checkpoint({ source, format: "torch-legacy", tensors, values: flat.values });
}

/** A value for a message: booleans as JavaScript writes them, anything else bounded. */
function textOf(value: unknown): string {
  return typeof value === "boolean" ? String(value) : pyRepr(value, 40);
}

/** Resolves `('storage', class, root_key, location, numel, view_metadata)`. */
function persistentStorage(what: string, roots: Map<string, Root>, pid: unknown): StorageRef {
  const [tag, cls, key, _location, count, view] = Array.isArray(pid) ? pid : [];
  const viewOk = view === null ||
    (Array.isArray(view) && typeof view[0] === "string" && Number.isSafeInteger(view[1]) &&
      Number.isSafeInteger(view[2]));
  if (
    tag !== "storage" || !(cls instanceof StorageClass) || typeof key !== "string" ||
    !Number.isSafeInteger(count) || !viewOk
  ) {
    throw new SyntaxError(
      `Cannot unpickle ${what} as a persistent id is not a storage record: current value is ${
        pyRepr(pid, 200)
      }`,
    );
  }
  let root = roots.get(key);
  if (!root) {
    root = { key, className: cls.name, dtype: cls.dtype, numel: count as number };
    roots.set(key, root);
  }
  if (view === null) return { ...root, rootOffset: 0 };
  const [, offset, length] = view as [string, number, number];
  if (offset + length > root.numel) {
    throw new RangeError(
      `Cannot unpickle ${what} as a storage view reaches past its root storage '${key}': current value is ${
        offset + length
      } elements of ${root.numel}`,
    );
  }
  return { key, className: cls.name, dtype: cls.dtype, numel: length, rootOffset: offset };
}
