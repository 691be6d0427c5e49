/**
 * Turns a tensor record of a `torch.save` pickle into a {@linkcode LazyTensor}: its dtype and
 * view are checked when the file is opened, its bytes read when it is asked for.
 *
 * @module
 */
import { allocate, dtypeSize, type HostDType, viewAs } from "./dtype.ts";
import { gather, isContiguous, viewSpan } from "./strided.ts";
import type { LazyTensor, TensorData } from "./tensor_data.ts";
import { numel } from "./tensor_data.ts";
import type { TensorRef } from "./torch_pickle.ts";

/**
 * Reads `count` elements of a storage from element `first` on; the bytes may be a view into a
 * larger buffer.
 */
export type ReadElements = (first: number, count: number) => Promise<Uint8Array>;

/** Options of {@linkcode lazyTorchTensor}. */
export interface LazyTorchTensorOptions {
  /** The file, for error messages. */
  file: string;
  /** Reads elements of the tensor's storage. */
  readElements: ReadElements;
}

/**
 * A lazy tensor for the record `ref` under `key` in `options.file`. Throws a `TypeError` for an
 * unsupported dtype and a `RangeError` for a view that reaches past its storage.
 *
 * @example Usage
 * ```ts
 * import { lazyTorchTensor } from "./torch_tensor.ts";
 * import { TensorRef } from "./torch_pickle.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const storage = { key: "0", className: "torch.ByteStorage", dtype: "uint8", numel: 6, rootOffset: 0 } as const;
 * const bytes = new Uint8Array([1, 2, 3, 4, 5, 6]);
 * const ref = new TensorRef(storage, 0, [3, 2], [1, 3]);
 * const readElements = (first: number, count: number) => Promise.resolve(bytes.slice(first, first + count));
 * const tensor = lazyTorchTensor("t", ref, { file: "x.pth", readElements });
 * deepEqual((await tensor.read()).data, new Uint8Array([1, 4, 2, 5, 3, 6]));
 * ```
 */
export function lazyTorchTensor(
  key: string,
  ref: TensorRef,
  options: LazyTorchTensorOptions,
): LazyTensor {
  const { file, readElements } = options;
  const { storage, offset, shape, stride } = ref;
  const dtype = storage.dtype;
  if (dtype === undefined) {
    throw new TypeError(
      `Cannot read tensor '${key}' from '${file}' as its dtype is unsupported: current value is ${storage.className}`,
    );
  }
  const span = viewSpan(shape, stride);
  if (span > 0 && offset + span > storage.numel) {
    throw new RangeError(
      `Cannot read tensor '${key}' from '${file}' as its view reaches past its storage: current value is ${
        offset + span
      } elements of ${storage.numel}`,
    );
  }
  return {
    dtype,
    shape,
    read: async () => {
      const n = numel(shape);
      if (n === 0) return { dtype, shape, data: allocate(dtype, 0) } as TensorData;
      const bytes = await readElements(offset, span);
      return { dtype, shape, data: contiguous(dtype, bytes, shape, stride) } as TensorData;
    },
  };
}

function contiguous(
  dtype: HostDType,
  bytes: Uint8Array,
  shape: readonly number[],
  stride: readonly number[],
) {
  const size = dtypeSize(dtype);
  if (isContiguous(shape, stride) && bytes.byteLength === numel(shape) * size) {
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    return viewAs(dtype, whole ? bytes : bytes.slice());
  }
  return viewAs(dtype, gather(bytes, { size, shape, stride }));
}
