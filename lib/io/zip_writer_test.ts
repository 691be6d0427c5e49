import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { BytesSource } from "./byte_source.ts";
import { ZipReader } from "./zip_reader.ts";
import { ZipWriter, type ZipWriterOptions } from "./zip_writer.ts";

async function build(
  files: [string, Uint8Array][],
  options?: ZipWriterOptions,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const writer = new ZipWriter((bytes) => chunks.push(bytes.slice()), options);
  for (const [name, data] of files) await writer.add(name, data);
  await writer.finish();
  return new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer());
}

const FILES: [string, Uint8Array][] = [
  ["a/data.pkl", new Uint8Array([1, 2, 3])],
  ["a/data/0", new Uint8Array(1000).map((_, i) => i & 0xff)],
  ["a/empty", new Uint8Array()],
  ["a/ünïcode", new TextEncoder().encode("names are UTF-8")],
];

Deno.test("ZipWriter output reads back entry by entry, data aligned to 64 bytes", async () => {
  const zip = await build(FILES);
  const reader = await ZipReader.open(new BytesSource(zip, "t.zip"));
  deepEqual([...reader.entries.keys()], FILES.map(([name]) => name));
  for (const [name, data] of FILES) {
    deepEqual(await reader.read(name), data);
    const header = reader.entry(name).headerOffset;
    const view = new DataView(zip.buffer, header);
    const dataOffset = header + 30 + view.getUint16(26, true) + view.getUint16(28, true);
    equal(dataOffset % 64, 0, name);
  }
});

Deno.test("ZipWriter writes zip64 fields past the threshold, and ZipReader reads them", async () => {
  const zip = await build(FILES, { zip64Threshold: 100 });
  const reader = await ZipReader.open(new BytesSource(zip, "t.zip"));
  for (const [name, data] of FILES) deepEqual(await reader.read(name), data);
  equal(reader.entry("a/data/0").size, 1000);
  ok(reader.entry("a/ünïcode").headerOffset > 100);
});

Deno.test("ZipWriter refuses a bad alignment and entries after finish", async () => {
  throws(() => new ZipWriter(() => {}, { align: 0 }), RangeError);
  const writer = new ZipWriter(() => {});
  await writer.finish();
  await rejects(writer.add("x", new Uint8Array()), /finished/);
});
