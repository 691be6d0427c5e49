/**
 * The Python objects an unpickled value is made of, beyond plain values and arrays: allowed
 * callables, dicts (with BUILD's attributes) and instances whose state BUILD sets.
 *
 * @module
 */

/** A Python callable that the caller allows: REDUCE calls `call` with the argument tuple. */
export class PyCallable {
  /** Dotted Python name, for error messages. */
  readonly name: string;
  /** Builds the value that calling the Python callable with `args` would give. */
  readonly call: (args: unknown[]) => unknown;

  /**
   * Wraps a function that stands in for the Python callable `name`.
   *
   * @example Usage
   * ```ts
   * import { PyCallable } from "./py_objects.ts";
   * import { equal } from "node:assert/strict";
   *
   * const len = new PyCallable("builtins.len", ([x]) => (x as unknown[]).length);
   * equal(len.call([[1, 2]]), 2);
   * ```
   */
  constructor(name: string, call: (args: unknown[]) => unknown) {
    this.name = name;
    this.call = call;
  }
}

/** A Python dict (or OrderedDict), keeping insertion order, plus any attributes BUILD set. */
export class PyDict extends Map<unknown, unknown> {
  #attributes?: Map<unknown, unknown>;

  /**
   * Attributes set by BUILD, such as a state_dict's `_metadata`; made on first use, as most
   * dicts have none.
   *
   * @example Usage
   * ```ts
   * import { PyDict } from "./py_objects.ts";
   * import { equal } from "node:assert/strict";
   *
   * const dict = new PyDict([["w", 1]]);
   * dict.attributes.set("_metadata", null);
   * equal(dict.attributes.size, 1);
   * ```
   */
  get attributes(): Map<unknown, unknown> {
    return this.#attributes ??= new Map();
  }

  /** Whether BUILD set any attribute, without making the map. */
  get hasAttributes(): boolean {
    return (this.#attributes?.size ?? 0) > 0;
  }
}

/**
 * An instance that an allowed callable makes for a class whose state BUILD sets (Python's
 * `__setstate__`), such as a numpy array: BUILD stores the state here, uninterpreted, for the
 * caller to read.
 */
export class PyInstance {
  /** Dotted Python name of its class, for error messages. */
  readonly className: string;
  /** The state the last BUILD set; undefined before any. */
  state: unknown = undefined;

  /**
   * An instance of the Python class `className`, its state not yet set.
   *
   * @example Usage
   * ```ts
   * import { PyInstance } from "./py_objects.ts";
   * import { equal } from "node:assert/strict";
   *
   * equal(new PyInstance("numpy.ndarray").state, undefined);
   * ```
   */
  constructor(className: string) {
    this.className = className;
  }
}
