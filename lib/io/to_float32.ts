/**
 * Float32 views of checkpoint tensors, with float16 and bfloat16 widened exactly.
 *
 * @module
 */
import type { TensorData } from "./tensor_data.ts";

let halfTable: Uint32Array | undefined;

/** The float32 bit pattern of every float16 bit pattern (NaN payloads kept, as PyTorch does). */
function float16Table(): Uint32Array {
  if (halfTable) return halfTable;
  halfTable = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    let mantissa = h & 0x3ff;
    let bits: number;
    if (exponent === 0x1f) {
      bits = sign | 0x7f800000 | (mantissa << 13);
    } else if (exponent !== 0) {
      bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa === 0) {
      bits = sign;
    } else {
      // Subnormal: shift the mantissa up until its leading one is the implicit bit.
      let e = 113;
      while ((mantissa & 0x400) === 0) {
        mantissa <<= 1;
        e--;
      }
      bits = sign | (e << 23) | ((mantissa & 0x3ff) << 13);
    }
    halfTable[h] = bits >>> 0;
  }
  return halfTable;
}

/**
 * Widens raw float16 bit patterns to float32 exactly (every float16 is a float32).
 *
 * @example Usage
 * ```ts
 * import { float16ToFloat32 } from "./to_float32.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(float16ToFloat32(new Uint16Array([0x3c00, 0xc000, 0x0001])), new Float32Array([1, -2, 2 ** -24]));
 * ```
 */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const table = float16Table();
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return new Float32Array(out.buffer);
}

/**
 * Widens raw bfloat16 bit patterns to float32 exactly (bfloat16 is the top half of a float32).
 *
 * @example Usage
 * ```ts
 * import { bfloat16ToFloat32 } from "./to_float32.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(bfloat16ToFloat32(new Uint16Array([0x3f80, 0x4049])), new Float32Array([1, 3.140625]));
 * ```
 */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i] << 16;
  return new Float32Array(out.buffer);
}

/**
 * The elements of a tensor as float32. A float32 tensor's own array is returned (no copy);
 * float16 and bfloat16 are widened exactly; float64 and integers are rounded to the nearest
 * float32, as `Float32Array.from` does; bool gives 0 and 1.
 *
 * @example Usage
 * ```ts
 * import { toFloat32 } from "./to_float32.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const half = { dtype: "float16", shape: [2], data: new Uint16Array([0x3800, 0x7c00]) } as const;
 * deepEqual(toFloat32(half), new Float32Array([0.5, Infinity]));
 * ```
 */
export function toFloat32(tensor: TensorData): Float32Array {
  switch (tensor.dtype) {
    case "float32":
      return tensor.data;
    case "float16":
      return float16ToFloat32(tensor.data);
    case "bfloat16":
      return bfloat16ToFloat32(tensor.data);
    case "int64": {
      const out = new Float32Array(tensor.data.length);
      for (let i = 0; i < out.length; i++) out[i] = Number(tensor.data[i]);
      return out;
    }
    default:
      return Float32Array.from(tensor.data);
  }
}
