import { deepEqual, equal, rejects } from "node:assert/strict";
import { BytesSource } from "./byte_source.ts";
import { ZipReader } from "./zip_reader.ts";
import { ZipWriter } from "./zip_writer.ts";
import { fixture } from "./_test_utils.ts";

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
