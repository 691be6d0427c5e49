/**
 * A restricted unpickler for the subset of Python's pickle format that `torch.save` writes.
 * It executes nothing: every global is resolved through a caller-supplied table, and any opcode
 * outside the subset is refused with an error naming it. Hostile input is bounded: a pickle may
 * take at most {@linkcode MAX_PICKLE_BYTES}, make at most {@linkcode MAX_PICKLE_OBJECTS} objects
 * and nest at most {@linkcode MAX_PICKLE_DEPTH} levels deep; beyond, it is refused with a
 * `RangeError` naming it. Nothing recurses, so no input can overflow the call stack.
 *
 * @module
 */

import { nestingDepth } from "./py_graph.ts";
import { PyCallable, PyDict, PyInstance } from "./py_objects.ts";
import { pyRepr } from "./py_repr.ts";

export { PyCallable, PyDict, PyInstance };

/**
 * The most bytes one pickle may take: 16 MiB, over a thousand times the pickle of NVIDIA's
 * label2city_1024p G (74 tensors, about 175 bytes each) and room for about 90,000 tensors.
 */
export const MAX_PICKLE_BYTES = 16 * 1024 * 1024;
/**
 * The most objects (dicts, lists, tuples, bytes, globals and call results) one pickle may make:
 * 2^20, about seven per tensor of a state_dict of 150,000 tensors. Bounds the memory an
 * unpickled value takes to about 200 bytes per byte of pickle at worst.
 */
export const MAX_PICKLE_OBJECTS = 2 ** 20;
/** The deepest that dicts, lists and tuples may nest in an unpickled value: 1000 levels. */
export const MAX_PICKLE_DEPTH = 1000;
/** The most digits of a protocol-0 INT, Python's own limit (`sys.int_max_str_digits`). */
const MAX_INT_DIGITS = 4300;

/** Hooks of {@linkcode unpickle}. */
export interface UnpickleOptions {
  /** Offset of the pickle's first byte. Default 0. */
  start?: number;
  /** Names the pickle in error messages, such as `'net.pth' entry 'net/data.pkl'`. */
  what: string;
  /** Resolves GLOBAL and STACK_GLOBAL; throws for anything not allowed. */
  findGlobal(module: string, name: string): PyCallable;
  /** Resolves a persistent id (BINPERSID); absent, persistent ids are refused. */
  persistentLoad?(pid: unknown): unknown;
}

/** Thrown when the bytes end before the pickle's STOP opcode. */
export class PickleEndError extends SyntaxError {}

/** Result of {@linkcode unpickle}. */
export interface Unpickled {
  /** The object the pickle describes. */
  value: unknown;
  /** Offset just past its STOP opcode. */
  end: number;
}

const NAMES: Record<number, string> = Object.fromEntries(
  ("(MARK .STOP 0POP 1POP_MARK 2DUP FFLOAT IINT JBININT KBININT1 LLONG MBININT2 NNONE PPERSID " +
    "QBINPERSID RREDUCE SSTRING TBINSTRING USHORT_BINSTRING VUNICODE XBINUNICODE aAPPEND bBUILD " +
    "cGLOBAL dDICT }EMPTY_DICT eAPPENDS gGET hBINGET iINST jLONG_BINGET lLIST ]EMPTY_LIST oOBJ " +
    "pPUT qBINPUT rLONG_BINPUT sSETITEM tTUPLE )EMPTY_TUPLE uSETITEMS GBINFLOAT")
    .split(" ").map((s) => [s.charCodeAt(0), s.slice(1)] as [number, string]).concat([
      [0x80, "PROTO"],
      [0x81, "NEWOBJ"],
      [0x82, "EXT1"],
      [0x83, "EXT2"],
      [0x84, "EXT4"],
      [0x85, "TUPLE1"],
      [0x86, "TUPLE2"],
      [0x87, "TUPLE3"],
      [0x88, "NEWTRUE"],
      [0x89, "NEWFALSE"],
      [0x8a, "LONG1"],
      [0x8b, "LONG4"],
      [0x8c, "SHORT_BINUNICODE"],
      [0x8d, "BINUNICODE8"],
      [0x8e, "BINBYTES8"],
      [0x8f, "EMPTY_SET"],
      [0x90, "ADDITEMS"],
      [0x91, "FROZENSET"],
      [0x92, "NEWOBJ_EX"],
      [0x93, "STACK_GLOBAL"],
      [0x94, "MEMOIZE"],
      [0x95, "FRAME"],
      [0x96, "BYTEARRAY8"],
      [0x97, "NEXT_BUFFER"],
      [0x98, "READONLY_BUFFER"],
      [0x42, "BINBYTES"],
      [0x43, "SHORT_BINBYTES"],
    ]),
);

const MARK = Symbol("mark");

/**
 * Reads one pickle from `bytes`, starting at `options.start`, within the limits above. Objects
 * the memo shares stay shared, and cycles (a list appended to itself) stay cycles, so walks over
 * the value must visit each object once.
 *
 * @example Usage
 * ```ts
 * import { PyCallable, unpickle } from "./pickle.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 *
 * // pickle.dumps({"a": [1, 2.5]}, protocol=2)
 * const bytes = new Uint8Array([
 *   0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x5d, 0x71, 2,
 *   0x28, 0x4b, 1, 0x47, 0x40, 4, 0, 0, 0, 0, 0, 0, 0x65, 0x73, 0x2e,
 * ]);
 * const refuse = (module: string, name: string): PyCallable => {
 *   throw new TypeError(`${module}.${name}`);
 * };
 * const { value } = unpickle(bytes, { what: "example", findGlobal: refuse });
 * deepEqual([...(value as Map<string, unknown>)], [["a", [1, 2.5]]]);
 * throws(() => unpickle(new TextEncoder().encode("cos\nsystem\n."), { what: "evil", findGlobal: refuse }));
 * ```
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): Unpickled {
  const { what, start = 0 } = options;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let at = start;

  const need = (n: number): number => {
    if (at + n - start > MAX_PICKLE_BYTES) {
      throw new RangeError(
        `Cannot unpickle ${what} as it is larger than ${MAX_PICKLE_BYTES} bytes (16 MiB), the most a pickle may take: current value is ${
          at + n - start
        } bytes needed`,
      );
    }
    if (at + n > bytes.length) {
      throw new PickleEndError(
        `Cannot unpickle ${what} as it ends before its STOP opcode: current value is ${bytes.length} bytes, ${
          at + n
        } needed`,
      );
    }
    const here = at;
    at += n;
    return here;
  };
  const fail = (message: string): never => {
    throw new SyntaxError(`Cannot unpickle ${what} as ${message}`);
  };
  const u8 = () => view.getUint8(need(1));
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = () => {
    const n = view.getBigUint64(need(8), true);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail(`a length is too large: current value is ${n}`);
    return Number(n);
  };
  const take = (n: number) => bytes.subarray(need(n), at);
  const utf8 = (n: number) => new TextDecoder("utf-8", { fatal: true }).decode(take(n));
  const latin1 = (n: number) => {
    const raw = take(n);
    let text = "";
    for (let i = 0; i < raw.length; i += 8192) {
      text += String.fromCharCode.apply(null, raw.subarray(i, i + 8192) as unknown as number[]);
    }
    return text;
  };
  let objects = 0;
  /** Counts one more object made, refusing past the budget; returns `value`. */
  const made = <T>(value: T): T => {
    if (++objects > MAX_PICKLE_OBJECTS) {
      throw new RangeError(
        `Cannot unpickle ${what} as it makes more than ${MAX_PICKLE_OBJECTS} objects (dicts, lists, tuples, bytes, globals and call results): current value is byte ${
          at - 1
        }`,
      );
    }
    return value;
  };
  const line = (): string => {
    let end = at;
    while (end < bytes.length && bytes[end] !== 0x0a) end++;
    const text = latin1(end - at);
    need(1);
    return text;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail(`it pops an empty stack: current value is byte ${at - 1}`);
    const top = stack.pop();
    if (top === MARK) fail(`it pops a MARK as a value: current value is byte ${at - 1}`);
    return top;
  };
  const top = (): unknown => {
    if (stack.length === 0 || stack.at(-1) === MARK) {
      fail(`it uses a value where there is none: current value is byte ${at - 1}`);
    }
    return stack.at(-1);
  };
  const popMark = (): unknown[] => {
    const mark = stack.lastIndexOf(MARK);
    if (mark < 0) fail(`it has no MARK to pop to: current value is byte ${at - 1}`);
    return stack.splice(mark).slice(1);
  };
  const memoGet = (index: number): unknown => {
    if (!memo.has(index)) fail(`it reads memo ${index}, never stored: current value is byte ${at}`);
    return memo.get(index);
  };
  const long = (raw: Uint8Array): number | bigint => {
    // Little-endian two's complement, through hex: linear where shifting byte by byte is not.
    const hex = new Array<string>(raw.length);
    for (let i = 0; i < raw.length; i++) hex[raw.length - 1 - i] = HEX[raw[i]];
    let n = raw.length === 0 ? 0n : BigInt(`0x${hex.join("")}`);
    if (raw.length > 0 && raw[raw.length - 1] & 0x80) n -= 1n << BigInt(8 * raw.length);
    return narrow(n);
  };
  const setItems = (dict: unknown, items: unknown[]): void => {
    if (!(dict instanceof Map)) {
      fail(`SETITEM targets a value that is not a dict: current value is byte ${at}`);
    }
    for (let i = 0; i + 1 < items.length; i += 2) {
      (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
    }
  };
  const append = (list: unknown, items: unknown[]): void => {
    if (!Array.isArray(list)) {
      fail(`APPEND targets a value that is not a list: current value is byte ${at}`);
    }
    for (const item of items) (list as unknown[]).push(item);
  };

  while (true) {
    const offset = at;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const protocol = u8();
        if (protocol > 5) fail(`its protocol is unsupported: current value is ${protocol}`);
        break;
      }
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) {
          fail(
            `it stops with ${stack.length} values on the stack: current value is byte ${offset}`,
          );
        }
        if (nestingDepth(stack[0], MAX_PICKLE_DEPTH) > MAX_PICKLE_DEPTH) {
          throw new RangeError(
            `Cannot unpickle ${what} as it nests dicts, lists and tuples deeper than ${MAX_PICKLE_DEPTH} levels: current value is at least ${
              MAX_PICKLE_DEPTH + 1
            } levels`,
          );
        }
        return { value: stack[0], end: at };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(long(take(u32())));
        break;
      case 0x49: { // INT (protocol 0; "I01" and "I00" are True and False)
        const text = line();
        const digits = text.replace(/^-/, "").length;
        if (text === "01" || text === "00") stack.push(text === "01");
        else if (/^-?\d+$/.test(text) && digits > MAX_INT_DIGITS) {
          fail(
            `an INT has more than ${MAX_INT_DIGITS} digits, Python's limit: current value is ${digits} digits`,
          );
        } else if (/^-?\d+$/.test(text)) stack.push(narrow(BigInt(text)));
        else fail(`INT holds ${pyRepr(text, 40)}: current value is byte ${offset}`);
        break;
      }
      case 0x47: // BINFLOAT
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(u64()));
        break;
      case 0x54: // BINSTRING (a Python 2 str)
        stack.push(latin1(view.getInt32(need(4), true)));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(made(take(u32()).slice()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(made(take(u8()).slice()));
        break;
      case 0x8e: // BINBYTES8
        stack.push(made(take(u64()).slice()));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(made([]));
        break;
      case 0x85: // TUPLE1
        stack.push(made([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push(made([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(made([pop(), b, c]));
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: // LIST
        stack.push(made(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push(made([]));
        break;
      case 0x61: { // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(made(new PyDict()));
        break;
      case 0x64: { // DICT
        const dict = made(new PyDict());
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x67: // GET
        stack.push(memoGet(Number(line())));
        break;
      case 0x63: { // GLOBAL
        const module = line();
        stack.push(made(options.findGlobal(module, line())));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          fail(`STACK_GLOBAL names a global with non-strings: current value is byte ${offset}`);
        }
        stack.push(made(options.findGlobal(module as string, name as string)));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PyCallable) || !Array.isArray(args)) {
          fail(
            `REDUCE calls a value that is not an allowed global: current value is byte ${offset}`,
          );
        }
        stack.push(made((callable as PyCallable).call(args as unknown[])));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const target = top();
        if (target instanceof PyInstance) {
          target.state = state;
          break;
        }
        if (!(target instanceof PyDict) || !(state instanceof Map)) {
          fail(`BUILD sets state on a value other than a dict: current value is byte ${offset}`);
        }
        for (const [k, v] of state as Map<unknown, unknown>) {
          (target as PyDict).attributes.set(k, v);
        }
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) {
          fail(`it holds a persistent id: current value is byte ${offset}`);
        }
        stack.push(made(options.persistentLoad!(pid)));
        break;
      }
      default:
        fail(
          `opcode 0x${op.toString(16).padStart(2, "0")} (${
            NAMES[op] ?? "unknown"
          }) is outside the torch.save subset: current value is byte ${offset}`,
        );
    }
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A Python int as a number when it is a safe integer, else as a bigint. */
function narrow(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n;
}
