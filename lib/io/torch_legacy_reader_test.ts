import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { BytesSource, FileSource } from "./byte_source.ts";
import { PickleWriter } from "./pickle_writer.ts";
import { readTorchLegacy } from "./torch_legacy_reader.ts";
import {
  assertMatches,
  expectedFixtures,
  fixture,
  type Fragment,
  inChild,
  ioModule,
} from "./_test_utils.ts";

const open = async (name: string) => readTorchLegacy(await FileSource.open(fixture(name)));

/** The pickle of the legacy magic number, `torch.save`'s first pickle. */
const MAGIC = [0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

Deno.test("readTorchLegacy() reads every dtype bit for bit, as PyTorch does", async () => {
  using checkpoint = await open("dtypes_legacy.pth");
  equal(checkpoint.format, "torch-legacy");
  await assertMatches(checkpoint, (await expectedFixtures())["dtypes_legacy.pth"]);
});

Deno.test("readTorchLegacy() reads views, shared storages, nested dicts and plain values", async () => {
  using checkpoint = await open("views_legacy.pth");
  await assertMatches(checkpoint, (await expectedFixtures())["views_legacy.pth"]);
});

Deno.test("readTorchLegacy() reads storage views (view_metadata) of old PyTorch", async () => {
  using checkpoint = await open("legacy_view.pth");
  await assertMatches(checkpoint, (await expectedFixtures())["legacy_view.pth"]);
  deepEqual((await checkpoint.read("v")).data, new Float32Array([3, 4, 5, 6]));
});

Deno.test("readTorchLegacy() refuses globals outside the torch.save subset, naming them", async () => {
  await rejects(
    open("evil_eval_legacy.pth"),
    new TypeError(
      `Cannot unpickle '${
        fixture("evil_eval_legacy.pth")
      }' as it names a global outside the torch.save subset (loading never runs code): current value is __builtin__.eval`,
    ),
  );
});

Deno.test("readTorchLegacy() reports a truncated file at every stage, naming what is missing", async () => {
  const bytes = await Deno.readFile(fixture("dtypes_legacy.pth"));
  const cuts: [number, RegExp][] = [
    [
      10,
      /^SyntaxError: Cannot unpickle 'cut.pth' \(magic number\) as it ends before its STOP opcode/,
    ],
    [200, /^SyntaxError: Cannot unpickle 'cut.pth' as it ends before its STOP opcode/],
    [
      bytes.length - 300,
      /^SyntaxError: Cannot read storage '\d+' of tensor '\w+' from 'cut.pth' as the file is truncated: current value is \d+ bytes, \d+ needed$/,
    ],
    [bytes.length - 1, /of tensor '\w+' from 'cut.pth' as the file is truncated/],
  ];
  for (const [length, message] of cuts) {
    await rejects(readTorchLegacy(new BytesSource(bytes.slice(0, length), "cut.pth")), message);
  }
});

Deno.test("readTorchLegacy() refuses a wrong magic number, protocol or byte order", async () => {
  const stream = (...pickles: Uint8Array[]) => new Uint8Array(pickles.flatMap((p) => [...p]));
  const magic = new Uint8Array(MAGIC);
  await rejects(
    readTorchLegacy(new BytesSource(stream(new PickleWriter().int(7).stop()), "seven.pth")),
    new SyntaxError(
      "Cannot read 'seven.pth' as a legacy torch.save file as its magic number is wrong: current value is 0x7",
    ),
  );
  await rejects(
    readTorchLegacy(new BytesSource(stream(magic, new PickleWriter().int(1000).stop()), "old.pth")),
    /legacy protocol version is unsupported: current value is 1000/,
  );
  // {"little_endian": False} as the system info
  const info = new Uint8Array([
    0x80,
    2,
    0x7d,
    0x58,
    13,
    0,
    0,
    0,
    ...new TextEncoder().encode("little_endian"),
    0x89,
    0x73,
    0x2e,
  ]);
  await rejects(
    readTorchLegacy(
      new BytesSource(stream(magic, new PickleWriter().int(1001).stop(), info), "big.pth"),
    ),
    /not little-endian: current value is little_endian=false/,
  );
});

Deno.test("readTorchLegacy() refuses a storage record whose size disagrees with the pickle", async () => {
  const bytes = await Deno.readFile(fixture("legacy_view.pth"));
  const bad = bytes.slice();
  new DataView(bad.buffer).setBigInt64(bad.length - 48, 11n, true);
  await rejects(
    readTorchLegacy(new BytesSource(bad, "bad.pth")),
    new SyntaxError(
      "Cannot read storage 'root' of tensor 'v' from 'bad.pth' as its record is corrupt: current value is 11 elements, 10 expected",
    ),
  );
});

/** The legacy stream's first three pickles: magic number, protocol 1001, little-endian info. */
function legacyHead(protocol: Fragment = (w) => w.int(1001)): Uint8Array {
  const info = new PickleWriter().emptyDict().str("little_endian").bool(true).setItem().stop();
  return new Uint8Array([...MAGIC, ...protocol(new PickleWriter()).stop(), ...info]);
}

Deno.test("readTorchLegacy() names shared or cyclic values in its errors within bounds", async () => {
  // In a child process: before values in messages were bounded, each of these hung (2^64 steps).
  const result = await inChild(
    `import { BytesSource } from "${ioModule("byte_source.ts")}";
    import { readTorchLegacy } from "${ioModule("torch_legacy_reader.ts")}";
    import { PickleWriter } from "${ioModule("pickle_writer.ts")}";
    import { dictOf, selfList, sharedTuples } from "${ioModule("_test_utils.ts")}";
    const stop = (f) => f(new PickleWriter()).stop();
    const magic = [0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];
    const info = stop((w) => w.emptyDict().str("little_endian").bool(true).setItem());
    const dag = sharedTuples(64, 100);
    const files = [
      [...magic, ...stop(dag)],
      [...magic, ...stop((w) => w.int(1001)), ...stop((w) => dag(w.emptyDict().str("little_endian")).setItem())],
      [...magic, ...stop((w) => w.int(1001)), ...info, ...stop(dictOf([["x", dag]])), ...stop(dag)],
      [...magic, ...stop((w) => w.int(1001)), ...info, ...stop(dictOf([])), ...stop(selfList(300))],
    ];
    for (const bytes of files) {
      await readTorchLegacy(new BytesSource(new Uint8Array(bytes), "f.pth")).then(
        () => console.log("read"),
        (error) => console.log(String(error).slice(0, 160)),
      );
    }`,
    20_000,
  );
  equal(result.timedOut, false, "timed out");
  equal(result.stderr, "");
  deepEqual(result.stdout.trim().split("\n").map((line) => line.replace(/\[{20,}.*/, "[[[...")), [
    "SyntaxError: Cannot read 'f.pth' as its legacy protocol version is unsupported: current value is [[[...",
    "TypeError: Cannot read 'f.pth' as its storages are not little-endian: current value is little_endian=[[[...",
    "SyntaxError: Cannot read 'f.pth' as its storage key list does not match its storages: current value is [[[...",
    "SyntaxError: Cannot read 'f.pth' as its storage key list does not match its storages: current value is [[...]]",
  ]);
});

Deno.test("readTorchLegacy() refuses a pickle past 16 MiB, reading no more than that", async () => {
  // PROTO 2 then FRAME opcodes (9 bytes, nothing made) for 20 MiB, never a STOP.
  const frames = new Uint8Array(20 << 20);
  for (let at = 2; at + 9 <= frames.length; at += 9) frames[at] = 0x95;
  frames.set([0x80, 2]);
  const bytes = new Uint8Array([...legacyHead(), ...frames.subarray(0, 2)]);
  const file = new Uint8Array(bytes.length - 2 + frames.length);
  file.set(bytes.subarray(0, bytes.length - 2));
  file.set(frames, bytes.length - 2);
  let read = 0;
  const source = new BytesSource(file, "long.pth");
  const counting = Object.assign(Object.create(source), {
    read: (offset: number, length: number, what: string) => {
      read = Math.max(read, offset + length);
      return source.read(offset, length, what);
    },
  });
  await rejects(
    readTorchLegacy(counting),
    /^RangeError: Cannot unpickle 'long\.pth' as it is larger than 16777216 bytes \(16 MiB\), the most a pickle may take: current value is \d+ bytes needed$/,
  );
  ok(read <= (16 << 20) + 65536, `${read} bytes read`);
  await rejects(
    readTorchLegacy(
      new BytesSource(
        new Uint8Array([...legacyHead(), 0x80, 2, 0x8d, 0, 0, 0, 0, 0, 1, 0, 0]),
        "huge.pth",
      ),
    ),
    /^RangeError: Cannot unpickle 'huge\.pth' as it is larger than 16777216 bytes/,
  );
});
