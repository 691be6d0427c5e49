import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { BytesSource } from "./byte_source.ts";
import { crc32 } from "./crc32.ts";
import { ZipReader } from "./zip_reader.ts";
import { ZipWriter } from "./zip_writer.ts";
import { countInflated, deflatedZeros, fixture, rawZip } from "./_test_utils.ts";

async function zipOf(name: string, data: Uint8Array): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const writer = new ZipWriter((bytes) => chunks.push(bytes.slice()));
  await writer.add(name, data);
  await writer.finish();
  return new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer());
}

Deno.test("ZipReader reads the zip that torch.save wrote (data descriptors, zip64 end record)", async () => {
  const bytes = await Deno.readFile(fixture("dtypes_zip.pth"));
  const reader = await ZipReader.open(new BytesSource(bytes, "dtypes_zip.pth"));
  equal(new TextDecoder().decode(await reader.read("dtypes_zip/version")), "3\n");
  equal(reader.entry("dtypes_zip/data.pkl").method, 0);
});

Deno.test("ZipReader inflates deflated entries", async () => {
  const bytes = await Deno.readFile(fixture("dtypes_deflated.pth"));
  const reader = await ZipReader.open(new BytesSource(bytes, "dtypes_deflated.pth"));
  const stored = await ZipReader.open(
    new BytesSource(await Deno.readFile(fixture("dtypes_zip.pth")), "z"),
  );
  equal(reader.entry("dtypes_zip/data.pkl").method, 8);
  deepEqual(await reader.read("dtypes_zip/data.pkl"), await stored.read("dtypes_zip/data.pkl"));
});

Deno.test("ZipReader names the archive and entry of a corrupt entry", async () => {
  const data = new TextEncoder().encode("some tensor bytes");
  const zip = await zipOf("a/data/0", data);
  const flipped = zip.slice();
  flipped[64 + 3] ^= 1;
  const reader = await ZipReader.open(new BytesSource(flipped, "bad.pth"));
  await rejects(
    reader.read("a/data/0", "storage '0' of tensor 'w'"),
    new SyntaxError(
      "Cannot read storage '0' of tensor 'w' from 'bad.pth' as the zip entry 'a/data/0' is corrupt: current value is CRC-32 0xd3b17b0d, 0x4ebe9a7b expected",
    ),
  );
  const header = zip.slice();
  header[0] = 0;
  await rejects(
    (await ZipReader.open(new BytesSource(header, "bad.pth"))).read("a/data/0"),
    /zip entry 'a\/data\/0' is corrupt: current value is a local header for 'a\/data\/0' with signature 0x4034b00/,
  );
});

Deno.test("ZipReader refuses bytes without an end record and unknown entries", async () => {
  await rejects(
    ZipReader.open(new BytesSource(new Uint8Array(100), "x.zip")),
    /Cannot read 'x.zip' as a zip archive as it has no end-of-central-directory record/,
  );
  const reader = await ZipReader.open(new BytesSource(await zipOf("a", new Uint8Array()), "x.zip"));
  await rejects(reader.read("b"), RangeError);
});

Deno.test("ZipReader reports a truncated archive", async () => {
  const zip = await zipOf("a/data/0", new Uint8Array(500));
  const cut = zip.subarray(0, zip.length - 30);
  await rejects(
    ZipReader.open(new BytesSource(cut, "cut.pth")),
    new SyntaxError(
      `Cannot read 'cut.pth' as a zip archive as it has no end-of-central-directory record (the file is truncated or not a zip): current value is ${cut.length} bytes`,
    ),
  );
});

Deno.test("ZipReader stops inflating as soon as an entry passes its declared size", async () => {
  // 200 MB of zeros deflate to about 200 KB; the entry declares 1000 bytes.
  const bomb = rawZip([{
    name: "a/data/0",
    method: 8,
    body: await deflatedZeros(200e6),
    size: 1000,
  }]);
  const reader = await ZipReader.open(new BytesSource(bomb, "bomb.pth"));
  const { produced, outcome } = await countInflated(() =>
    reader.read("a/data/0", "storage '0' of tensor 'w'")
  );
  equal(outcome.status, "rejected");
  equal(
    String((outcome as PromiseRejectedResult).reason).replace(/\d+ bytes$/, "N bytes"),
    "SyntaxError: Cannot inflate zip entry 'a/data/0' of 'bomb.pth' (storage '0' of tensor 'w') as it yields more than its declared 1000 bytes: current value is at least N bytes",
  );
  // It stopped after the first chunk of compressed input, far short of the 200 MB.
  ok(produced <= 17 << 20, `${produced} bytes inflated`);
});

Deno.test("ZipReader still reads a deflated entry of exactly its declared size", async () => {
  const data = new TextEncoder().encode("tensor bytes ".repeat(10_000));
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  const body = new Uint8Array(await new Response(stream).arrayBuffer());
  const zip = (size: number) =>
    new BytesSource(
      rawZip([{ name: "a/b", method: 8, body, size, crc32: crc32(data) }]),
      "ok.zip",
    );
  deepEqual(await (await ZipReader.open(zip(data.length))).read("a/b"), data);
  await rejects(
    (await ZipReader.open(zip(data.length + 1))).read("a/b"),
    /zip entry 'a\/b' is corrupt: current value is 130000 bytes, 130001 expected$/,
  );
  await rejects(
    (await ZipReader.open(zip(data.length - 1))).read("a/b"),
    /yields more than its declared 129999 bytes: current value is at least 130000 bytes$/,
  );
});
