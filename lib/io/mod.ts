/**
 * Checkpoint interop: read PyTorch `.pth` files in both `torch.save` formats (the zip archive
 * and the legacy stream) without running any pickled code, read and write safetensors, and write
 * `.pth` files that `torch.load(path, weights_only=True)` reads. Tensors are plain CPU data
 * (`{ dtype, shape, data }`), read lazily by name. A hostile `.pth` is refused with an error
 * naming the file, within fixed bounds: a pickle of at most {@linkcode MAX_PICKLE_BYTES},
 * {@linkcode MAX_PICKLE_OBJECTS} objects and {@linkcode MAX_PICKLE_DEPTH} levels of nesting,
 * flattened keys of at most {@linkcode MAX_KEY_CHARACTERS} in all, and no zip entry inflated past
 * its declared size.
 *
 * @example Usage
 * ```ts
 * import { loadCheckpoint, openCheckpoint, saveCheckpoint, toFloat32 } from "./mod.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".pth" });
 * const half = { dtype: "float16", shape: [2], data: new Uint16Array([0x3c00, 0x3800]) } as const;
 * await saveCheckpoint(path, new Map([["vgg.weight", half]]));
 *
 * using checkpoint = await openCheckpoint(path);
 * deepEqual(checkpoint.keys(), ["vgg.weight"]);
 * deepEqual(toFloat32(await checkpoint.read("vgg.weight")), new Float32Array([1, 0.5]));
 * deepEqual((await loadCheckpoint(path)).get("vgg.weight"), half);
 * ```
 *
 * @module
 */
export { type ByteSource, BytesSource, FileSource } from "./byte_source.ts";
export { Checkpoint, type CheckpointFormat, type CheckpointParts } from "./checkpoint.ts";
export { dtypeSize, HOST_DTYPES, type HostDType, isHostDType, type TypedArrayOf } from "./dtype.ts";
export { loadCheckpoint, openCheckpoint, openCheckpointSource } from "./open_checkpoint.ts";
export { MAX_PICKLE_BYTES, MAX_PICKLE_DEPTH, MAX_PICKLE_OBJECTS } from "./pickle.ts";
export { saveSafetensors, type SaveSafetensorsOptions } from "./safetensors_writer.ts";
export {
  formatOfPath,
  saveCheckpoint,
  type SaveCheckpointOptions,
  type SaveFormat,
} from "./save_checkpoint.ts";
export type { LazyTensor, StateDict, TensorData, TensorSource } from "./tensor_data.ts";
export { bfloat16ToFloat32, float16ToFloat32, toFloat32 } from "./to_float32.ts";
export { MAX_KEY_CHARACTERS } from "./torch_pickle.ts";
export { saveTorch, type SaveTorchOptions } from "./torch_writer.ts";
