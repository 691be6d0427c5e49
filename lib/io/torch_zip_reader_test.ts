import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { BytesSource, FileSource } from "./byte_source.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { crc32 } from "./crc32.ts";
import { PickleWriter } from "./pickle_writer.ts";
import { readTorchZip } from "./torch_zip_reader.ts";
import { ZipReader } from "./zip_reader.ts";
import { ZipWriter } from "./zip_writer.ts";
import {
  appendedLists,
  assertMatches,
  countInflated,
  deflatedZeros,
  dictOf,
  expectedFixtures,
  fixture,
  inChild,
  ioModule,
  nestedLists,
  rawZip,
  type RawZipEntry,
  tensorOf,
} from "./_test_utils.ts";

const open = async (name: string) => readTorchZip(await FileSource.open(fixture(name)));

Deno.test("readTorchZip() reads every dtype bit for bit, as PyTorch does", async () => {
  const expected = await expectedFixtures();
  for (const name of ["dtypes_zip.pth", "dtypes_protocol4.pth", "dtypes_deflated.pth"]) {
    using checkpoint = await open(name);
    equal(checkpoint.format, "torch-zip");
    await assertMatches(checkpoint, expected[name]);
  }
});

Deno.test("readTorchZip() reads views, shared storages, nested dicts and plain values", async () => {
  using checkpoint = await open("views_zip.pth");
  await assertMatches(checkpoint, (await expectedFixtures())["views_zip.pth"]);
});

Deno.test("readTorchZip() refuses globals outside the torch.save subset, naming them", async () => {
  await rejects(
    open("evil_system.pth"),
    new TypeError(
      `Cannot unpickle '${
        fixture("evil_system.pth")
      }' entry 'evil_system/data.pkl' as it names a global outside the torch.save subset (loading never runs code): current value is posix.system`,
    ),
  );
  await rejects(open("module.pth"), /current value is torch\.nn\.modules\.linear\.Linear$/);
});

Deno.test("readTorchZip() names the key of a tensor of an unsupported dtype", async () => {
  await rejects(
    open("complex.pth"),
    new TypeError(
      `Cannot read tensor 'c' from '${
        fixture("complex.pth")
      }' as its dtype is unsupported: current value is torch.ComplexFloatStorage`,
    ),
  );
});

Deno.test("readTorchZip() names the tensor whose storage entry is corrupt", async () => {
  const bytes = await Deno.readFile(fixture("dtypes_zip.pth"));
  const zip = await ZipReader.open(new BytesSource(bytes, "probe"));
  const header = zip.entry("dtypes_zip/data/12").headerOffset;
  const view = new DataView(bytes.buffer, header);
  const flipped = bytes.slice();
  flipped[header + 30 + view.getUint16(26, true) + view.getUint16(28, true) + 5] ^= 0xff;
  using checkpoint = await readTorchZip(new BytesSource(flipped, "flipped.pth"));
  await rejects(
    checkpoint.read("randn"),
    /^SyntaxError: Cannot read storage '12' of tensor 'randn' from 'flipped.pth' as the zip entry 'dtypes_zip\/data\/12' is corrupt: current value is CRC-32 0x[0-9a-f]+, 0x[0-9a-f]+ expected$/,
  );
  deepEqual((await checkpoint.read("u8")).data, new Uint8Array([0, 255, 128]));
});

async function zipOf(files: [string, Uint8Array][]): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const writer = new ZipWriter((bytes) => chunks.push(bytes.slice()));
  for (const [name, data] of files) await writer.add(name, data);
  await writer.finish();
  return new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer());
}

/** The pickle of {"w": a float32 tensor of `count` elements in storage "0"}. */
function onePickle(count: number): Uint8Array {
  return new PickleWriter().global("collections", "OrderedDict").emptyTuple().reduce().mark()
    .str("w").global("torch._utils", "_rebuild_tensor_v2").mark()
    .mark().str("storage").global("torch", "FloatStorage").str("0").str("cpu").int(count).tuple()
    .persistentId().int(0).intTuple([count]).intTuple([1]).bool(false)
    .global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce().setItems().stop();
}

Deno.test("readTorchZip() refuses a storage entry of the wrong size or a missing one", async () => {
  const wrong = await zipOf([["a/data.pkl", onePickle(4)], ["a/data/0", new Uint8Array(8)]]);
  await rejects(
    readTorchZip(new BytesSource(wrong, "wrong.pth")),
    new SyntaxError(
      "Cannot read tensor 'w' from 'wrong.pth' as its storage entry 'a/data/0' is the wrong size: current value is 8 bytes, 16 expected",
    ),
  );
  const missing = await zipOf([["a/data.pkl", onePickle(4)]]);
  await rejects(readTorchZip(new BytesSource(missing, "missing.pth")), /'a\/data\/0' is missing/);
  const good = await zipOf([["a/data.pkl", onePickle(2)], [
    "a/data/0",
    new Uint8Array([0, 0, 128, 63, 0, 0, 0, 64]),
  ]]);
  using checkpoint = await readTorchZip(new BytesSource(good, "good.pth"));
  deepEqual((await checkpoint.read("w")).data, new Float32Array([1, 2]));
});

Deno.test("readTorchZip() refuses a zip without data.pkl", async () => {
  const other = await zipOf([["a/model.onnx", new Uint8Array(4)]]);
  await rejects(
    readTorchZip(new BytesSource(other, "other.zip")),
    /needs one '<name>\/data.pkl': current value is 0/,
  );
});

Deno.test("readTorchZip() names the file and entry of an unsupported opcode", async () => {
  // PROTO 2, then EXT1 (a copyreg extension code), which torch.save never writes.
  const ext = await zipOf([["a/data.pkl", new Uint8Array([0x80, 2, 0x82, 1, 0x2e])]]);
  await rejects(
    readTorchZip(new BytesSource(ext, "ext.pth")),
    new SyntaxError(
      "Cannot unpickle 'ext.pth' entry 'a/data.pkl' as opcode 0x82 (EXT1) is outside the torch.save subset: current value is byte 2",
    ),
  );
});

const floats = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);

Deno.test("readTorchZip() loads a pickle of 64 levels of shared (prev, prev) tuples at once", async () => {
  // In a child process: before each object was walked once, this hung (2^64 steps).
  const result = await inChild(
    `import { BytesSource } from "${ioModule("byte_source.ts")}";
    import { readTorchZip } from "${ioModule("torch_zip_reader.ts")}";
    import { PickleWriter } from "${ioModule("pickle_writer.ts")}";
    import { dictOf, sharedTuples, storedZip, tensorOf } from "${ioModule("_test_utils.ts")}";
    const pickle = dictOf([["w", tensorOf("0", 4)], ["x", sharedTuples(64, 100)]])(new PickleWriter()).stop();
    const zip = await storedZip([["a/data.pkl", pickle], ["a/data/0", new Uint8Array(16)]]);
    using checkpoint = await readTorchZip(new BytesSource(zip, "dag.pth"));
    console.log(pickle.length, [...checkpoint.tensors.keys()], (checkpoint.values.get("x") as unknown[]).length);`,
    20_000,
  );
  equal(result.timedOut, false, "timed out");
  equal(result.stderr, "");
  ok(/^\d{3} \[ "w" \] 2\n$/.test(result.stdout), result.stdout);
});

Deno.test("readTorchZip() names the file and entry of a pickle nested 200,000 deep", async () => {
  for (const deep of [nestedLists(200_000), appendedLists(200_000, 100)]) {
    const pickle = dictOf([["w", tensorOf("0", 4)], ["x", deep]])(new PickleWriter()).stop();
    const zip = await zipOf([["a/data.pkl", pickle], ["a/data/0", floats]]);
    await rejects(
      readTorchZip(new BytesSource(zip, "deep.pth")),
      new RangeError(
        "Cannot unpickle 'deep.pth' entry 'a/data.pkl' as it nests dicts, lists and tuples deeper than 1000 levels: current value is at least 1001 levels",
      ),
    );
  }
});

Deno.test("readTorchZip() refuses a data.pkl declared larger than 16 MiB before reading it", async () => {
  const pickle = dictOf([["w", tensorOf("0", 4)]])(new PickleWriter()).stop();
  const zip = rawZip([
    { name: "a/data.pkl", method: 0, body: pickle, size: 16 * 2 ** 20 + 1 },
    { name: "a/data/0", method: 0, body: floats, size: floats.length },
  ]);
  await rejects(
    readTorchZip(new BytesSource(zip, "big.pth")),
    new RangeError(
      "Cannot read 'big.pth' as its zip entry 'a/data.pkl' is larger than 16777216 bytes (16 MiB), the most a pickle may take: current value is 16777217 bytes",
    ),
  );
});

Deno.test("readTorchZip() refuses deflate bombs in data.pkl, byteorder and storages", async () => {
  const pickle = dictOf([["w", tensorOf("0", 4)]])(new PickleWriter()).stop();
  const bomb = await deflatedZeros(200e6);
  const open = (...entries: RawZipEntry[]) =>
    countInflated(() => readTorchZip(new BytesSource(rawZip(entries), "bomb.pth")));
  const stored = (name: string, body: Uint8Array): RawZipEntry => ({
    name,
    method: 0,
    body,
    size: body.length,
    crc32: crc32(body),
  });
  const refused = (
    run: { produced: number; outcome: PromiseSettledResult<unknown> },
    message: RegExp,
  ): void => {
    equal(run.outcome.status, "rejected");
    const reason = String((run.outcome as PromiseRejectedResult).reason);
    ok(message.test(reason), reason);
    ok(run.produced <= 17 << 20, `${run.produced} bytes inflated`);
  };
  refused(
    await open(
      { name: "a/data.pkl", method: 8, body: bomb, size: pickle.length },
      stored("a/data/0", floats),
    ),
    /^SyntaxError: Cannot inflate zip entry 'a\/data.pkl' of 'bomb.pth' as it yields more than its declared \d+ bytes/,
  );
  refused(
    await open(
      { name: "a/byteorder", method: 8, body: bomb, size: 6 },
      stored("a/data.pkl", pickle),
      stored("a/data/0", floats),
    ),
    /^SyntaxError: Cannot inflate zip entry 'a\/byteorder' of 'bomb.pth' as it yields more than its declared 6 bytes/,
  );
  refused(
    await open(
      { name: "a/byteorder", method: 8, body: bomb, size: 200e6 },
      stored("a/data.pkl", pickle),
      stored("a/data/0", floats),
    ),
    /^TypeError: Cannot read 'bomb.pth' as its byteorder entry is not 'little': current value is 200000000 bytes$/,
  );
  const storage = await open(stored("a/data.pkl", pickle), {
    name: "a/data/0",
    method: 8,
    body: bomb,
    size: 16,
  });
  equal(storage.outcome.status, "fulfilled");
  using checkpoint = (storage.outcome as PromiseFulfilledResult<Checkpoint>).value;
  refused(
    await countInflated(() => checkpoint.read("w")),
    /^SyntaxError: Cannot inflate zip entry 'a\/data\/0' of 'bomb.pth' \(storage '0' of tensor 'w'\) as it yields more than its declared 16 bytes/,
  );
});
