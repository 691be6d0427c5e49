/**
 * Reads `torch.save`'s zip format (PyTorch 1.6 and later): `<name>/data.pkl` holds the pickled
 * state_dict, `<name>/data/<key>` each storage's bytes, `<name>/version` the format version.
 * A `data.pkl` declared larger than `MAX_PICKLE_BYTES` (16 MiB) is refused before it is read,
 * and a deflated entry is never inflated past its declared size.
 *
 * @module
 */
import type { ByteSource } from "./byte_source.ts";
import { Checkpoint } from "./checkpoint.ts";
import { dtypeSize } from "./dtype.ts";
import { MAX_PICKLE_BYTES, unpickle } from "./pickle.ts";
import { pyRepr } from "./py_repr.ts";
import type { LazyTensor } from "./tensor_data.ts";
import { lazyTorchTensor } from "./torch_tensor.ts";
import { flattenCheckpoint, StorageClass, type StorageRef } from "./torch_pickle.ts";
import { torchGlobals } from "./torch_pickle.ts";
import { ZipReader } from "./zip_reader.ts";

/**
 * Opens a `torch.save` zip checkpoint from `source`, reading only its directory and pickle; the
 * returned checkpoint owns `source`.
 *
 * @example Usage
 * ```ts
 * import { FileSource } from "./byte_source.ts";
 * import { readTorchZip } from "./torch_zip_reader.ts";
 * import { saveTorch } from "./torch_writer.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".pth" });
 * await saveTorch(path, new Map([["w", { dtype: "int32", shape: [2], data: new Int32Array([7, 8]) }]]));
 * using checkpoint = await readTorchZip(await FileSource.open(path));
 * deepEqual((await checkpoint.read("w")).data, new Int32Array([7, 8]));
 * ```
 */
export async function readTorchZip(source: ByteSource): Promise<Checkpoint> {
  const file = source.name;
  const zip = await ZipReader.open(source);
  const pickles = [...zip.entries.keys()].filter((name) => /^[^/]*\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new SyntaxError(
      `Cannot read '${file}' as a torch.save zip as it needs one '<name>/data.pkl': current value is ${pickles.length}`,
    );
  }
  const prefix = pickles[0].slice(0, -"data.pkl".length);
  const byteorder = zip.entries.get(`${prefix}byteorder`);
  if (byteorder && byteorder.size > 16) {
    throw new TypeError(
      `Cannot read '${file}' as its byteorder entry is not 'little': current value is ${byteorder.size} bytes`,
    );
  }
  if (byteorder) {
    const order = new TextDecoder().decode(await zip.read(byteorder.name)).trim();
    if (order !== "little") {
      throw new TypeError(
        `Cannot read '${file}' as its storages are not little-endian: current value is ${
          pyRepr(order, 40)
        }`,
      );
    }
  }
  const pickleSize = zip.entry(pickles[0]).size;
  if (pickleSize > MAX_PICKLE_BYTES) {
    throw new RangeError(
      `Cannot read '${file}' as its zip entry '${
        pickles[0]
      }' is larger than ${MAX_PICKLE_BYTES} bytes (16 MiB), the most a pickle may take: current value is ${pickleSize} bytes`,
    );
  }
  const what = `'${file}' entry '${pickles[0]}'`;
  const storages = new Map<string, StorageRef>();
  const { value } = unpickle(await zip.read(pickles[0]), {
    what,
    findGlobal: torchGlobals(what),
    persistentLoad: (pid) => {
      const [tag, cls, key, _location, count] = Array.isArray(pid) ? pid : [];
      if (
        tag !== "storage" || !(cls instanceof StorageClass) || typeof key !== "string" ||
        !Number.isSafeInteger(count)
      ) {
        throw new SyntaxError(
          `Cannot unpickle ${what} as a persistent id is not a storage record: current value is ${
            pyRepr(pid, 200)
          }`,
        );
      }
      const known = storages.get(key);
      if (known) return known;
      const storage = {
        key,
        className: cls.name,
        dtype: cls.dtype,
        numel: count as number,
        rootOffset: 0,
      };
      storages.set(key, storage);
      return storage;
    },
  });
  const flat = flattenCheckpoint(value, `'${file}'`);
  const tensors = new Map<string, LazyTensor>();
  for (const [key, ref] of flat.tensors) {
    const entry = `${prefix}data/${ref.storage.key}`;
    const readElements = async (first: number, count: number) => {
      const size = dtypeSize(ref.storage.dtype!);
      const bytes = await zip.read(entry, `storage '${ref.storage.key}' of tensor '${key}'`);
      return bytes.subarray(first * size, (first + count) * size);
    };
    const tensor = lazyTorchTensor(key, ref, { file, readElements });
    const expected = ref.storage.numel * dtypeSize(tensor.dtype);
    const found = zip.entries.get(entry)?.size;
    if (found !== expected) {
      throw new SyntaxError(
        `Cannot read tensor '${key}' from '${file}' as its storage entry '${entry}' is ${
          found === undefined ? "missing" : "the wrong size"
        }: current value is ${found ?? 0} bytes, ${expected} expected`,
      );
    }
    tensors.set(key, tensor);
  }
  return new Checkpoint({ source, format: "torch-zip", tensors, values: flat.values });
}
