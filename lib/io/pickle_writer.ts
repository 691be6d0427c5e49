/**
 * A small protocol-2 pickle writer: the opcodes `torch.save` uses for a state_dict, emitted one
 * call at a time.
 *
 * @module
 */

/** Builds a pickle opcode by opcode. */
export class PickleWriter {
  #parts: number[] = [];
  #encoder = new TextEncoder();

  /**
   * Starts a protocol-2 pickle.
   *
   * @example Usage
   * ```ts
   * import { PickleWriter } from "./pickle_writer.ts";
   * import { deepEqual } from "node:assert/strict";
   *
   * const pickle = new PickleWriter().mark().int(1).int(300).tuple().stop();
   * // PROTO 2, MARK, BININT1 1, BININT2 300, TUPLE, STOP
   * deepEqual(pickle, new Uint8Array([0x80, 2, 0x28, 0x4b, 1, 0x4d, 44, 1, 0x74, 0x2e]));
   * ```
   */
  constructor() {
    this.#parts.push(0x80, 2);
  }

  /** GLOBAL `module.name`. */
  global(module: string, name: string): this {
    this.#parts.push(0x63, ...this.#encoder.encode(`${module}\n${name}\n`));
    return this;
  }

  /** MARK. */
  mark(): this {
    this.#parts.push(0x28);
    return this;
  }

  /** TUPLE of everything since the last MARK. */
  tuple(): this {
    this.#parts.push(0x74);
    return this;
  }

  /** EMPTY_TUPLE. */
  emptyTuple(): this {
    this.#parts.push(0x29);
    return this;
  }

  /** A tuple of integers. */
  intTuple(values: readonly number[]): this {
    if (values.length === 0) return this.emptyTuple();
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }

  /** A Python int, in the shortest opcode that holds it. */
  int(value: number): this {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(
        `Cannot pickle ${value} as an int as it is not a safe integer: current value is ${value}`,
      );
    }
    if (value >= 0 && value < 256) {
      this.#parts.push(0x4b, value);
    } else if (value >= 0 && value < 65536) {
      this.#parts.push(0x4d, value & 0xff, value >> 8);
    } else if (value >= -(2 ** 31) && value < 2 ** 31) {
      this.#parts.push(
        0x4a,
        value & 0xff,
        (value >> 8) & 0xff,
        (value >> 16) & 0xff,
        (value >>> 24) & 0xff,
      );
    } else {
      const bytes: number[] = [];
      let n = BigInt(value);
      do {
        bytes.push(Number(n & 0xffn));
        n >>= 8n;
      } while (
        !(n === 0n && (bytes.at(-1)! & 0x80) === 0) && !(n === -1n && (bytes.at(-1)! & 0x80) !== 0)
      );
      this.#parts.push(0x8a, bytes.length, ...bytes);
    }
    return this;
  }

  /** NEWTRUE or NEWFALSE. */
  bool(value: boolean): this {
    this.#parts.push(value ? 0x88 : 0x89);
    return this;
  }

  /** A str, as BINUNICODE. */
  str(value: string): this {
    const bytes = this.#encoder.encode(value);
    const n = bytes.length;
    this.#parts.push(0x58, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
    for (const b of bytes) this.#parts.push(b);
    return this;
  }

  /** REDUCE: calls the callable below the argument tuple. */
  reduce(): this {
    this.#parts.push(0x52);
    return this;
  }

  /** BINPERSID: the tuple on top is a persistent id. */
  persistentId(): this {
    this.#parts.push(0x51);
    return this;
  }

  /** SETITEMS: adds the key/value pairs since the last MARK to the dict below it. */
  setItems(): this {
    this.#parts.push(0x75);
    return this;
  }

  /** NONE. */
  none(): this {
    this.#parts.push(0x4e);
    return this;
  }

  /** EMPTY_LIST. */
  emptyList(): this {
    this.#parts.push(0x5d);
    return this;
  }

  /** LIST of everything since the last MARK. */
  list(): this {
    this.#parts.push(0x6c);
    return this;
  }

  /** EMPTY_DICT. */
  emptyDict(): this {
    this.#parts.push(0x7d);
    return this;
  }

  /** TUPLE2 of the two values on top. */
  tuple2(): this {
    this.#parts.push(0x86);
    return this;
  }

  /** APPEND: adds the value on top to the list below it. */
  append(): this {
    this.#parts.push(0x61);
    return this;
  }

  /** APPENDS: adds the values since the last MARK to the list below it. */
  appends(): this {
    this.#parts.push(0x65);
    return this;
  }

  /** SETITEM: sets the key and value on top in the dict below them. */
  setItem(): this {
    this.#parts.push(0x73);
    return this;
  }

  /** POP: drops the value on top. */
  pop(): this {
    this.#parts.push(0x30);
    return this;
  }

  /** LONG_BINPUT: stores the value on top as memo entry `index`. */
  put(index: number): this {
    this.#parts.push(0x72, ...u32(index));
    return this;
  }

  /** LONG_BINGET: pushes memo entry `index`. */
  get(index: number): this {
    this.#parts.push(0x6a, ...u32(index));
    return this;
  }

  /** STOP, and the finished pickle. */
  stop(): Uint8Array {
    this.#parts.push(0x2e);
    return new Uint8Array(this.#parts);
  }
}

function u32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}
