/**
 * Helpers for the tests of lib/io: where the fixtures and the golden files are, hex dumps, and a
 * Python with PyTorch when one is installed.
 *
 * @module
 */
import { deepEqual, equal } from "node:assert/strict";
import type { Checkpoint } from "./checkpoint.ts";
import { bytesOf } from "./dtype.ts";
import type { PickleWriter } from "./pickle_writer.ts";
import type { TensorData } from "./tensor_data.ts";
import { ZipWriter } from "./zip_writer.ts";

/** Path of a file in fixtures/io. */
export function fixture(name: string): string {
  return decodeURIComponent(new URL(`../../fixtures/io/${name}`, import.meta.url).pathname);
}

/**
 * The golden directory: `$PIX2PIXHD_SHARED/golden`, else `shared/golden` beside the repository;
 * undefined (with a message) when it is absent.
 */
export function goldenDir(): string | undefined {
  const shared = Deno.env.get("PIX2PIXHD_SHARED") ??
    decodeURIComponent(new URL("../../../shared/", import.meta.url).pathname);
  const dir = `${shared.replace(/\/$/, "")}/golden`;
  try {
    Deno.statSync(`${dir}/tiny/manifest.json`);
    return dir;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.warn(
      `golden files not found at ${dir}: their tests are skipped (set PIX2PIXHD_SHARED)`,
    );
    return undefined;
  }
}

/** The bytes of a tensor's data as hex, as fixtures/io/expected.json writes them. */
export function hexOf(tensor: TensorData): string {
  return [...bytesOf(tensor.data)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A tensor's data as a plain array of bytes, for bit-exact comparisons. */
export function bitsOf(tensor: TensorData): Uint8Array {
  return bytesOf(tensor.data).slice();
}

let python: Promise<string | undefined> | undefined;

/**
 * A Python that imports torch (`$PIX2PIXHD_PYTHON`, `python3` or `/usr/bin/python3`), or
 * undefined with a message saying the PyTorch checks are skipped.
 */
export function torchPython(): Promise<string | undefined> {
  python ??= (async () => {
    const candidates = [Deno.env.get("PIX2PIXHD_PYTHON"), "python3", "/usr/bin/python3"];
    for (const candidate of candidates) {
      if (!candidate) continue;
      const ok = await new Deno.Command(candidate, {
        // find_spec looks for torch without the seconds that importing it takes.
        args: [
          "-c",
          "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)",
        ],
        stdout: "null",
        stderr: "null",
      }).output().then((r) => r.success, () => false);
      if (ok) return candidate;
    }
    console.warn(
      "python3 -c 'import torch' fails: the checks that PyTorch reads our files are skipped",
    );
    return undefined;
  })();
  return python;
}

/** Runs a Python script with `python`, returning its stdout; throws with its stderr on failure. */
export async function runPython(python: string, script: string, args: string[]): Promise<string> {
  const result = await new Deno.Command(python, { args: ["-c", script, ...args] }).output();
  const text = new TextDecoder();
  if (!result.success) throw new Error(`python failed:\n${text.decode(result.stderr)}`);
  return text.decode(result.stdout);
}

/** What fixtures/io/expected.json records for one fixture file. */
export interface ExpectedFile {
  tensors: Record<string, { dtype: string; shape: number[]; hex: string }>;
  values: Record<string, unknown>;
  metadata?: Record<string, string>;
}

/** fixtures/io/expected.json: what PyTorch itself read from each fixture file. */
export async function expectedFixtures(): Promise<Record<string, ExpectedFile>> {
  return JSON.parse(await Deno.readTextFile(fixture("expected.json")));
}

/** Checks every key, dtype, shape, byte and non-tensor value against what PyTorch read. */
export async function assertMatches(checkpoint: Checkpoint, expected: ExpectedFile): Promise<void> {
  deepEqual(checkpoint.keys(), Object.keys(expected.tensors));
  for (const [key, want] of Object.entries(expected.tensors)) {
    const lazy = checkpoint.tensors.get(key)!;
    equal(lazy.dtype, want.dtype, key);
    deepEqual(lazy.shape, want.shape, key);
    const tensor = await checkpoint.read(key);
    equal(tensor.dtype, want.dtype, key);
    deepEqual(tensor.shape, want.shape, key);
    equal(hexOf(tensor), want.hex, key);
  }
  deepEqual(Object.fromEntries(checkpoint.values), expected.values);
}

/** What {@linkcode inChild} saw of the child process. */
export interface ChildResult {
  /** Exit status (143 or so when it was killed). */
  code: number;
  stdout: string;
  stderr: string;
  /** Whether it ran past the time limit and was killed. */
  timedOut: boolean;
}

/**
 * Runs TypeScript `code` in a child Deno (`deno eval`), killed after `timeoutMs`: a test of an
 * input that could hang or overflow a loader runs it there, so that the test suite never hangs.
 */
export async function inChild(code: string, timeoutMs: number): Promise<ChildResult> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", code],
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).output();
    const text = new TextDecoder();
    return {
      code: output.code,
      stdout: text.decode(output.stdout),
      stderr: text.decode(output.stderr),
      timedOut: abort.signal.aborted,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The URL of a module of lib/io, for the code of {@linkcode inChild} to import. */
export function ioModule(name: string): string {
  return new URL(`./${name}`, import.meta.url).href;
}

/** One entry of {@linkcode rawZip}: its data as stored (method 0) or deflated (method 8). */
export interface RawZipEntry {
  name: string;
  method: 0 | 8;
  /** The bytes in the archive: the data itself, or its raw deflate stream. */
  body: Uint8Array;
  /** The size the entry declares for its extracted data, true or not. */
  size: number;
  /** The CRC-32 the entry declares; default 0. */
  crc32?: number;
}

/** A zip archive of `entries` exactly as given, declared sizes included. */
export function rawZip(entries: RawZipEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = encoder.encode(entry.name);
    const header = new Uint8Array(30 + name.length);
    const view = new DataView(header.buffer);
    view.setUint32(0, 0x04034b50, true);
    view.setUint16(4, 20, true);
    view.setUint16(8, entry.method, true);
    view.setUint32(14, entry.crc32 ?? 0, true);
    view.setUint32(18, entry.body.length, true);
    view.setUint32(22, entry.size, true);
    view.setUint16(26, name.length, true);
    header.set(name, 30);
    const record = new Uint8Array(46 + name.length);
    const cv = new DataView(record.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, entry.method, true);
    cv.setUint32(16, entry.crc32 ?? 0, true);
    cv.setUint32(20, entry.body.length, true);
    cv.setUint32(24, entry.size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    record.set(name, 46);
    parts.push(header, entry.body);
    central.push(record);
    offset += header.length + entry.body.length;
  }
  const directorySize = central.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, directorySize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + directorySize + 22);
  let at = 0;
  for (const part of [...parts, ...central, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The raw deflate stream of `size` zero bytes (a deflate bomb: about 1000 to 1). */
export async function deflatedZeros(size: number): Promise<Uint8Array> {
  const stream = new CompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  const out = new Response(stream.readable).arrayBuffer();
  const chunk = new Uint8Array(1 << 20);
  for (let left = size; left > 0; left -= chunk.length) {
    await writer.write(chunk.subarray(0, Math.min(left, chunk.length)));
  }
  await writer.close();
  return new Uint8Array(await out);
}

/**
 * Runs `run` with every `DecompressionStream` counting the bytes it hands out, and returns that
 * count with how `run` ended: the honest measure of how much of a stream an inflater took.
 */
export async function countInflated<T>(
  run: () => Promise<T>,
): Promise<{ produced: number; outcome: PromiseSettledResult<T> }> {
  const Real = globalThis.DecompressionStream;
  let produced = 0;
  class Counting extends Real {
    #readable: ReadableStream<Uint8Array<ArrayBuffer>>;
    constructor(format: CompressionFormat) {
      super(format);
      const inner = super.readable.getReader();
      this.#readable = new ReadableStream<Uint8Array<ArrayBuffer>>({
        async pull(controller) {
          const { done, value } = await inner.read();
          if (done) return controller.close();
          produced += value.byteLength;
          controller.enqueue(value);
        },
        cancel: (reason) => inner.cancel(reason),
      }, { highWaterMark: 0 });
    }
    override get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
      return this.#readable;
    }
  }
  globalThis.DecompressionStream = Counting;
  try {
    const [outcome] = await Promise.allSettled([run()]);
    return { produced, outcome };
  } finally {
    globalThis.DecompressionStream = Real;
  }
}

/** A pickle fragment: writes one value onto the pickle's stack. */
export type Fragment = (w: PickleWriter) => PickleWriter;

/**
 * A float32 tensor of `count` elements in storage `storage`, as torch.save pickles it. `memo`,
 * when given, stores it there (LONG_BINPUT) for a later `w.get(memo)`.
 */
export function tensorOf(storage: string, count: number, memo?: number): Fragment {
  return (w) => {
    w.global("torch._utils", "_rebuild_tensor_v2").mark()
      .mark().str("storage").global("torch", "FloatStorage").str(storage).str("cpu").int(count)
      .tuple().persistentId().int(0).intTuple([count]).intTuple([1]).bool(false)
      .global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce();
    return memo === undefined ? w : w.put(memo);
  };
}

/** A dict of `items`, in order. */
export function dictOf(items: [string, Fragment][], memo?: number): Fragment {
  return (w) => {
    w.emptyDict();
    if (memo !== undefined) w.put(memo);
    for (const [key, value] of items) value(w.str(key)).setItem();
    return w;
  };
}

/** The memo entry `index`, stored earlier: a second reference to one object. */
export const memoOf = (index: number): Fragment => (w) => w.get(index);

/**
 * `levels` tuples, each `(prev, prev)` through the memo (entries `memo` to `memo + levels`): a few
 * bytes a level, 2^levels paths from the top.
 */
export function sharedTuples(levels: number, memo: number): Fragment {
  return (w) => {
    w.emptyTuple().put(memo);
    for (let i = 1; i <= levels; i++) w.get(memo + i - 1).tuple2().put(memo + i);
    return w;
  };
}

/** `depth` lists, each the only item of the one around it, by MARK ... LIST. */
export function nestedLists(depth: number): Fragment {
  return (w) => {
    for (let i = 1; i < depth; i++) w.mark();
    w.emptyList();
    for (let i = 1; i < depth; i++) w.list();
    return w;
  };
}

/**
 * `depth` lists made empty first (memo entries `memo` on) and only then appended each into the
 * next: the nesting appears after every list is made.
 */
export function appendedLists(depth: number, memo: number): Fragment {
  return (w) => {
    for (let i = 0; i < depth; i++) w.emptyList().put(memo + i).pop();
    for (let i = 1; i < depth; i++) w.get(memo + i).get(memo + i - 1).append().pop();
    return w.get(memo + depth - 1);
  };
}

/** A list that holds itself (Python: `l = []; l.append(l)`), plus `items`. */
export function selfList(memo: number, ...items: Fragment[]): Fragment {
  return (w) => {
    w.emptyList().put(memo).get(memo).append();
    for (const item of items) item(w).append();
    return w;
  };
}

/** A dict that holds itself under 'self' (Python: `d = {}; d["self"] = d`). */
export function selfDict(memo: number): Fragment {
  return (w) => w.emptyDict().put(memo).str("self").get(memo).setItem();
}

/** A zip of stored entries, as torch.save writes them. */
export async function storedZip(files: [string, Uint8Array][]): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const writer = new ZipWriter((bytes) => chunks.push(bytes.slice()));
  for (const [name, data] of files) await writer.add(name, data);
  await writer.finish();
  return new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer());
}
