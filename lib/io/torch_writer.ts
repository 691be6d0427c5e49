/**
 * Writes state_dicts in `torch.save`'s zip format, which `torch.load(path, weights_only=True)`
 * reads: an OrderedDict of `_rebuild_tensor_v2` records, one storage entry per tensor.
 *
 * @module
 */
import { bytesOf } from "./dtype.ts";
import { collect, type Fill } from "./chunks.ts";
import { writeOutputFile } from "./output_file.ts";
import { PickleWriter } from "./pickle_writer.ts";
import { checkTensorSource, numel, readSource, type TensorSource } from "./tensor_data.ts";
import { STORAGE_CLASS } from "./torch_pickle.ts";
import { ZipWriter } from "./zip_writer.ts";

/** Options of {@linkcode saveTorch}. */
export interface SaveTorchOptions {
  /**
   * The folder name inside the zip. Default: the file's name without its extension, as
   * `torch.save` does (`latest_net_G.pth` gives `latest_net_G/`).
   */
  archiveName?: string;
}

/**
 * Writes `tensors` (a state_dict, each tensor in memory or lazy) to `path` in `torch.save`'s zip
 * format. Lazy tensors are read one at a time, so converting a large file needs memory for its
 * largest tensor only. The file appears only once complete.
 *
 * @example Usage
 * ```ts
 * import { saveTorch } from "./torch_writer.ts";
 * import { openCheckpoint } from "./open_checkpoint.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".pth" });
 * await saveTorch(path, new Map([["model.1.bias", { dtype: "float32", shape: [2], data: new Float32Array([0.5, -1]) }]]));
 * using checkpoint = await openCheckpoint(path);
 * deepEqual((await checkpoint.read("model.1.bias")).data, new Float32Array([0.5, -1]));
 * ```
 */
export async function saveTorch(
  path: string | URL,
  tensors: Iterable<readonly [string, TensorSource]>,
  options: SaveTorchOptions = {},
): Promise<void> {
  const target = path instanceof URL ? decodeURIComponent(path.pathname) : path;
  const base = target.split(/[\\/]/).at(-1) ?? "archive";
  const archive = options.archiveName ??
    (base.includes(".") ? base.slice(0, base.lastIndexOf(".")) : base);
  await writeOutputFile(target, torchFill(tensors, archive, `'${target}'`));
}

/**
 * The `torch.save` zip file of `tensors` as bytes in memory; its folder inside the zip is
 * `options.archiveName` (default "archive").
 *
 * @example Usage
 * ```ts
 * import { encodeTorch } from "./torch_writer.ts";
 * import { openCheckpointSource } from "./open_checkpoint.ts";
 * import { BytesSource } from "./byte_source.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const b = { dtype: "float32", shape: [2], data: new Float32Array([0.5, -1]) } as const;
 * const bytes = await encodeTorch(new Map([["model.1.bias", b]]), { archiveName: "G" });
 * using checkpoint = await openCheckpointSource(new BytesSource(bytes, "G.pth"));
 * deepEqual((await checkpoint.read("model.1.bias")).data, new Float32Array([0.5, -1]));
 * ```
 */
export async function encodeTorch(
  tensors: Iterable<readonly [string, TensorSource]>,
  options: SaveTorchOptions = {},
): Promise<Uint8Array> {
  return await collect(torchFill(tensors, options.archiveName ?? "archive", "the torch bytes"));
}

/** Checks `tensors` and writes the pickle; the returned fill writes the zip. */
function torchFill(
  tensors: Iterable<readonly [string, TensorSource]>,
  archive: string,
  target: string,
): Fill {
  if (archive === "" || archive.includes("/")) {
    throw new RangeError(
      `Cannot save ${target} as the archive name must be a non-empty name without '/': current value is '${archive}'`,
    );
  }
  const entries = [...tensors];
  const keys = new Set<string>();
  for (const [key, source] of entries) {
    checkTensorSource(key, source);
    if (keys.has(key)) {
      throw new RangeError(
        `Cannot save ${target} as a key appears twice: current value is '${key}'`,
      );
    }
    keys.add(key);
  }

  const pickle = new PickleWriter().global("collections", "OrderedDict").emptyTuple().reduce()
    .mark();
  entries.forEach(([key, tensor], index) => {
    const shape = tensor.shape;
    const stride = shape.map((_, d) => numel(shape.slice(d + 1)));
    pickle.str(key).global("torch._utils", "_rebuild_tensor_v2").mark();
    pickle.mark().str("storage").global("torch", STORAGE_CLASS[tensor.dtype]).str(String(index))
      .str("cpu")
      .int(numel(shape)).tuple().persistentId();
    pickle.int(0).intTuple(shape).intTuple(stride).bool(false);
    pickle.global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce();
  });

  return async (write) => {
    const zip = new ZipWriter(write);
    await zip.add(`${archive}/data.pkl`, pickle.setItems().stop());
    await zip.add(`${archive}/byteorder`, new TextEncoder().encode("little"));
    for (const [index, [key, source]] of entries.entries()) {
      const tensor = await readSource(key, source);
      await zip.add(`${archive}/data/${index}`, bytesOf(tensor.data));
    }
    await zip.add(`${archive}/version`, new TextEncoder().encode("3\n"));
    await zip.finish();
  };
}
