/**
 * An open checkpoint file: its tensors by name with dtype and shape, each read on demand.
 *
 * @module
 */
import type { ByteSource } from "./byte_source.ts";
import type { LazyTensor, StateDict, TensorData } from "./tensor_data.ts";

/** The file formats a {@linkcode Checkpoint} can come from. */
export type CheckpointFormat = "torch-zip" | "torch-legacy" | "safetensors";

/** What a format reader hands to {@linkcode Checkpoint}. */
export interface CheckpointParts {
  /** The open file. */
  source: ByteSource;
  /** Which format it is in. */
  format: CheckpointFormat;
  /** Tensors by key, in file order. */
  tensors: Map<string, LazyTensor>;
  /** Non-tensor leaves of a `.pth` (such as an epoch number), by dotted key. */
  values?: Map<string, unknown>;
  /** A safetensors file's `__metadata__`. */
  metadata?: Record<string, string>;
}

/**
 * An open checkpoint (`.pth` in either torch format, or `.safetensors`). Only the index is in
 * memory; each tensor is read from the file when asked for. Close it (or declare it with
 * `using`) to release the file.
 */
export class Checkpoint implements Disposable {
  /** Path of the file. */
  readonly path: string;
  /** Format of the file. */
  readonly format: CheckpointFormat;
  /** Tensors by key (dotted, as state_dict names them), in file order. */
  readonly tensors: ReadonlyMap<string, LazyTensor>;
  /** Non-tensor leaves of a `.pth` by dotted key (numbers, strings, booleans, null, lists). */
  readonly values: ReadonlyMap<string, unknown>;
  /** A safetensors file's `__metadata__` (empty for `.pth`). */
  readonly metadata: Readonly<Record<string, string>>;
  #source: ByteSource;

  /**
   * Wraps what a format reader found; use `openCheckpoint` to open a file.
   *
   * @example Usage
   * ```ts
   * import { BytesSource } from "./byte_source.ts";
   * import { Checkpoint } from "./checkpoint.ts";
   * import { deepEqual } from "node:assert/strict";
   *
   * import type { LazyTensor, TensorData } from "./tensor_data.ts";
   *
   * const data = new Float32Array([1, 2]);
   * const w: TensorData = { dtype: "float32", shape: [2], data };
   * const tensors = new Map<string, LazyTensor>([["w", { dtype: "float32", shape: [2], read: () => Promise.resolve(w) }]]);
   * using checkpoint = new Checkpoint({ source: new BytesSource(new Uint8Array(), "mem"), format: "safetensors", tensors });
   * deepEqual((await checkpoint.read("w")).data, data);
   * ```
   */
  constructor(parts: CheckpointParts) {
    this.#source = parts.source;
    this.path = parts.source.name;
    this.format = parts.format;
    this.tensors = parts.tensors;
    this.values = parts.values ?? new Map();
    this.metadata = Object.freeze({ ...parts.metadata });
  }

  /** Tensor keys in file order. */
  keys(): string[] {
    return [...this.tensors.keys()];
  }

  /** Reads one tensor by key; an unknown key throws a `RangeError` naming the file. */
  read(key: string): Promise<TensorData> {
    const tensor = this.tensors.get(key);
    if (!tensor) {
      return Promise.reject(
        new RangeError(
          `Cannot read tensor '${key}' from '${this.path}' as it holds no such key: current value is ${this.tensors.size} keys`,
        ),
      );
    }
    return tensor.read();
  }

  /** Reads every tensor, one after the other, into a state_dict. */
  async readAll(): Promise<StateDict> {
    const out: StateDict = new Map();
    for (const [key, tensor] of this.tensors) out.set(key, await tensor.read());
    return out;
  }

  /** Releases the file. */
  close(): void {
    this.#source.close();
  }

  /** Releases the file, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
