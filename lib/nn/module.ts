/**
 * The module tree: named children, parameters and buffers, with PyTorch's state_dict keys and
 * order, so that NVIDIA's checkpoints load by name.
 *
 * @module
 */

import { runtime } from "../gpu/kernel.ts";
import { readSource, type TensorData, type TensorSource } from "../io/tensor_data.ts";
import { toFloat32 } from "../io/to_float32.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** A key whose tensor's shape differs from the module's. */
export interface MisshapedKey {
  /** The state_dict key. */
  readonly key: string;
  /** The module's shape. */
  readonly expected: readonly number[];
  /** The source's shape. */
  readonly actual: readonly number[];
}

/** What {@linkcode Module.loadStateDict} loaded and skipped. */
export interface LoadReport {
  /** Keys copied into the module, in state_dict order. */
  readonly loaded: string[];
  /** The module's keys the source lacks, in state_dict order. */
  readonly missing: string[];
  /** The source's keys the module lacks, in source order. */
  readonly unexpected: string[];
  /** Keys in both whose shapes differ, in state_dict order. */
  readonly misshaped: MisshapedKey[];
}

/** Options of {@linkcode Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /**
   * Whether every key must match (default true): a strict load throws one error listing every
   * missing, unexpected and mis-shaped key, and loads nothing. A non-strict load copies every key
   * whose name and shape match and reports the rest.
   */
  strict?: boolean;
}

const NAME = /^[A-Za-z0-9_]+$/;

function list(keys: readonly string[]): string {
  return keys.join(", ");
}

/** The elements of a checkpoint tensor in the dtype of the tensor it loads into. */
function convert(key: string, source: TensorData, into: Tensor): Float32Array | Int32Array {
  if (into.dtype === "float32") return toFloat32(source);
  switch (source.dtype) {
    case "int64":
      return Int32Array.from(source.data, (v) => Number(v));
    case "int32":
      return source.data;
    case "int16":
    case "int8":
    case "uint8":
      return Int32Array.from(source.data);
    default:
      throw new TypeError(
        `Cannot load '${key}' into an int32 buffer as its source must hold integers: current dtype is ${source.dtype}`,
      );
  }
}

/**
 * A node of a network: parameters, buffers and child modules registered under PyTorch's names.
 * `stateDict()` walks them as PyTorch does (own parameters, own buffers, then each child in
 * registration order, with dotted keys).
 *
 * @example A layer with one parameter inside a container
 * ```ts ignore
 * class Scale extends Module {
 *   readonly weight = this.addParameter("weight", Tensor.from([2], [1]));
 * }
 * class Net extends Module {
 *   readonly scale = this.addModule("model", new Scale());
 * }
 * new Net().namedParameters(); // [["model.weight", Tensor]]
 * ```
 */
export class Module {
  /** Training mode (the default) or eval mode, as set by {@linkcode Module.train}. */
  training = true;
  readonly #children = new Map<string, Module>();
  readonly #parameters = new Map<string, Tensor>();
  readonly #buffers = new Map<string, Tensor>();

  #claim(kind: string, name: string): void {
    if (!NAME.test(name)) {
      throw new TypeError(
        `Cannot register ${kind} '${name}' as a name must be letters, digits or underscores: current value is '${name}'`,
      );
    }
    if (this.#children.has(name) || this.#parameters.has(name) || this.#buffers.has(name)) {
      throw new TypeError(
        `Cannot register ${kind} '${name}' as the name is taken: current value is ${this.constructor.name}.${name}`,
      );
    }
  }

  /** Registers a child module under its PyTorch attribute name ("model", "1", "conv_block"). */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.#claim("module", name);
    this.#children.set(name, module);
    return module;
  }

  /** Registers a parameter ("weight", "bias") and marks it as requiring a gradient. */
  protected addParameter(name: string, t: Tensor): Tensor {
    this.#claim("parameter", name);
    if (t.dtype !== "float32") {
      throw new TypeError(
        `Cannot register parameter '${name}' as it must be float32: current dtype is ${t.dtype}`,
      );
    }
    t.requiresGrad = true;
    this.#parameters.set(name, t);
    return t;
  }

  /** Registers a buffer ("running_mean", "running_var", "num_batches_tracked"): saved, not trained. */
  protected addBuffer(name: string, t: Tensor): Tensor {
    this.#claim("buffer", name);
    this.#buffers.set(name, t);
    return t;
  }

  /** The direct children, by name, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.#children];
  }

  /** Every parameter with its dotted PyTorch name, in state_dict order. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.#parameters];
    for (const [name, child] of this.#children) {
      for (const [key, t] of child.namedParameters()) out.push([`${name}.${key}`, t]);
    }
    return out;
  }

  /** Every parameter, in state_dict order. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters and buffers by PyTorch key, in state_dict order. The tensors are shared. */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>([...this.#parameters, ...this.#buffers]);
    for (const [name, child] of this.#children) {
      for (const [key, t] of child.stateDict()) out.set(`${name}.${key}`, t);
    }
    return out;
  }

  /**
   * Copies tensors into the module's parameters and buffers (in place: the tensors stay the
   * same objects, so optimizers holding them keep working). Float sources of any float dtype are
   * widened or rounded to float32; integer buffers take integer sources.
   *
   * @example Load a checkpoint, strictly
   * ```ts ignore
   * using checkpoint = await openCheckpoint("latest_net_G.pth");
   * await generator.loadStateDict(checkpoint.tensors);
   * ```
   */
  async loadStateDict(
    source: ReadonlyMap<string, TensorSource>,
    options: LoadStateDictOptions = {},
  ): Promise<LoadReport> {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const report: LoadReport = { loaded: [], missing: [], unexpected: [], misshaped: [] };
    const matched: [string, Tensor, TensorSource][] = [];
    for (const [key, t] of own) {
      const s = source.get(key);
      if (s === undefined) report.missing.push(key);
      else if (s.shape.join() !== t.shape.join()) {
        report.misshaped.push({ key, expected: t.shape, actual: [...s.shape] });
      } else matched.push([key, t, s]);
    }
    for (const key of source.keys()) if (!own.has(key)) report.unexpected.push(key);
    const { missing, unexpected, misshaped } = report;
    if (strict && missing.length + unexpected.length + misshaped.length > 0) {
      const parts = [
        missing.length ? `${missing.length} missing (${list(missing)})` : "",
        unexpected.length ? `${unexpected.length} unexpected (${list(unexpected)})` : "",
        misshaped.length
          ? `${misshaped.length} mis-shaped (${
            list(
              misshaped.map((m) => `${m.key}: [${m.actual}] where the module has [${m.expected}]`),
            )
          })`
          : "",
      ];
      throw new TypeError(
        `Cannot load the state dict into ${this.constructor.name} as its keys must match the ` +
          `module's: current value has ${parts.filter((p) => p).join(", ")}`,
      );
    }
    // Read and convert everything first, so that a read error leaves the module untouched.
    const staged: [Tensor, Float32Array | Int32Array][] = [];
    for (const [key, t, s] of matched) staged.push([t, convert(key, await readSource(key, s), t)]);
    const rt = runtime();
    for (const [t, data] of staged) if (data.length > 0) rt.write(t.buffer, data);
    report.loaded.push(...matched.map(([key]) => key));
    return report;
  }

  /** Sets training mode (or eval mode with `false`) on this module and every descendant. */
  train(mode = true): this {
    this.training = mode;
    for (const child of this.#children.values()) child.train(mode);
    return this;
  }

  /** Sets eval mode on this module and every descendant. */
  eval(): this {
    return this.train(false);
  }

  /** Frees every parameter and buffer (and their gradients), in this module and below. */
  dispose(): void {
    for (const t of this.stateDict().values()) t.dispose();
  }
}
