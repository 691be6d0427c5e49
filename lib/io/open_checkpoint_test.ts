import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { BytesSource } from "./byte_source.ts";
import { loadCheckpoint, openCheckpoint, openCheckpointSource } from "./open_checkpoint.ts";
import { fixture } from "./_test_utils.ts";

Deno.test("openCheckpoint() tells the three formats apart by their first bytes", async () => {
  const formats = [
    ["dtypes_zip.pth", "torch-zip"],
    ["dtypes_legacy.pth", "torch-legacy"],
    ["official.safetensors", "safetensors"],
  ];
  for (const [name, format] of formats) {
    using checkpoint = await openCheckpoint(fixture(name));
    equal(checkpoint.format, format);
    equal(checkpoint.path, fixture(name));
    deepEqual((await checkpoint.read("u8")).data, new Uint8Array([0, 255, 128]));
  }
  const url = new URL(`file://${fixture("dtypes_zip.pth")}`);
  equal((await loadCheckpoint(url)).get("i8")?.data[0], -128);
});

Deno.test("openCheckpoint() names a file whose magic bytes match no format", async () => {
  await rejects(
    openCheckpointSource(
      new BytesSource(new TextEncoder().encode("GIF89a, not a checkpoint"), "cat.gif"),
    ),
    new SyntaxError(
      "Cannot read 'cat.gif' as its first bytes match no known format (torch zip, legacy torch.save, safetensors): current value is 47 49 46 38 39 61 2c 20",
    ),
  );
  await rejects(
    openCheckpointSource(new BytesSource(new Uint8Array(), "empty.pth")),
    /current value is an empty file$/,
  );
  await rejects(openCheckpoint("/nonexistent/x.pth"), Deno.errors.NotFound);
});

Deno.test("openCheckpoint() reads only the index, then each tensor on demand", async () => {
  const bytes = await Deno.readFile(fixture("dtypes_legacy.pth"));
  const source = new BytesSource(bytes, "legacy.pth");
  let read = 0;
  let closed = false;
  const spy = Object.assign(Object.create(source), {
    read: (offset: number, length: number, what: string) => {
      read += length;
      return source.read(offset, length, what);
    },
    close: () => (closed = true),
  });
  const checkpoint = await openCheckpointSource(spy);
  const index = read;
  equal(checkpoint.tensors.get("randn")?.dtype, "float32");
  deepEqual(checkpoint.tensors.get("randn")?.shape, [3, 4, 5]);
  await checkpoint.read("f32");
  equal(read - index, 24);
  await rejects(
    checkpoint.read("nope"),
    /Cannot read tensor 'nope' from 'legacy.pth' as it holds no such key/,
  );
  checkpoint.close();
  ok(closed);
});

Deno.test("openCheckpointSource() closes the source when opening fails", async () => {
  let closed = false;
  const source = new BytesSource(new Uint8Array(20), "zeros.pth");
  source.close = () => (closed = true);
  await rejects(openCheckpointSource(source), SyntaxError);
  ok(closed);
});
