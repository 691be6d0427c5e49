/**
 * Strided views over a storage, as PyTorch describes them: an element offset, a shape and a
 * stride per dimension, gathered into a contiguous row-major copy bit for bit.
 *
 * @module
 */
import { numel } from "./tensor_data.ts";

/**
 * Elements of storage a view touches, from its first element to its last one inclusive (0 for a
 * view without elements).
 *
 * @example Usage
 * ```ts
 * import { viewSpan } from "./strided.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(viewSpan([2, 3], [3, 1]), 6);
 * equal(viewSpan([3, 2], [1, 3]), 6); // a transpose
 * equal(viewSpan([4, 4], [0, 1]), 4); // an expand
 * ```
 */
export function viewSpan(shape: readonly number[], stride: readonly number[]): number {
  if (numel(shape) === 0) return 0;
  let last = 0;
  for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * stride[d];
  return last + 1;
}

/**
 * Tells whether a view is row-major contiguous (dimensions of size 1 may have any stride).
 *
 * @example Usage
 * ```ts
 * import { isContiguous } from "./strided.ts";
 * import { ok } from "node:assert/strict";
 *
 * ok(isContiguous([2, 1, 3], [3, 7, 1]));
 * ok(!isContiguous([3, 2], [1, 3]));
 * ```
 */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** A strided view: bytes per element, and the size and step (in elements) of each dimension. */
export interface StridedView {
  /** Bytes per element: 1, 2, 4 or 8. */
  size: number;
  /** Size of each dimension. */
  shape: readonly number[];
  /** Step in elements along each dimension. */
  stride: readonly number[];
}

/**
 * Copies the elements of a strided view into contiguous row-major order. `bytes` holds the
 * storage from the view's first element on. Elements are moved
 * as raw words, so NaN payloads and every other bit pattern survive.
 *
 * @example Usage
 * ```ts
 * import { gather } from "./strided.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const storage = new Uint8Array([1, 2, 3, 4, 5, 6]); // a 2 x 3 matrix
 * deepEqual(gather(storage, { size: 1, shape: [3, 2], stride: [1, 3] }), new Uint8Array([1, 4, 2, 5, 3, 6]));
 * ```
 */
export function gather(bytes: Uint8Array, view: StridedView): Uint8Array {
  const { size, shape, stride } = view;
  const n = numel(shape);
  const words = size === 8 ? 2 : 1;
  const source = bytes.byteOffset % Math.min(size, 4) === 0 ? bytes : bytes.slice();
  const Word = size === 1 ? Uint8Array : size === 2 ? Uint16Array : Uint32Array;
  const wordBytes = Word.BYTES_PER_ELEMENT;
  const src = new Word(
    source.buffer as ArrayBuffer,
    source.byteOffset,
    Math.floor(source.byteLength / wordBytes),
  );
  const out = new Word(n * words);
  const ndim = shape.length;
  const index = new Array<number>(ndim).fill(0);
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (words === 1) {
      out[i] = src[at];
    } else {
      out[2 * i] = src[2 * at];
      out[2 * i + 1] = src[2 * at + 1];
    }
    for (let d = ndim - 1; d >= 0; d--) {
      index[d]++;
      at += stride[d];
      if (index[d] < shape[d]) break;
      at -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return new Uint8Array(out.buffer);
}
