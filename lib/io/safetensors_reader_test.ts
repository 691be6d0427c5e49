import { deepEqual, equal, rejects } from "node:assert/strict";
import { BytesSource, FileSource } from "./byte_source.ts";
import { readSafetensors } from "./safetensors_reader.ts";
import { assertMatches, expectedFixtures, fixture } from "./_test_utils.ts";

function file(header: unknown, data = new Uint8Array()): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

Deno.test("readSafetensors() reads the file the safetensors package wrote, bit for bit", async () => {
  const expected = (await expectedFixtures())["official.safetensors"];
  using checkpoint = await readSafetensors(await FileSource.open(fixture("official.safetensors")));
  equal(checkpoint.format, "safetensors");
  deepEqual(checkpoint.metadata, expected.metadata);
  // The package sorts the header by dtype and name; compare by key.
  deepEqual(checkpoint.keys().toSorted(), Object.keys(expected.tensors).toSorted());
  const ordered = {
    ...expected,
    tensors: Object.fromEntries(checkpoint.keys().map((k) => [k, expected.tensors[k]])),
  };
  await assertMatches(checkpoint, ordered);
});

Deno.test("readSafetensors() names the file and key of a malformed entry", async () => {
  const f32 = (offsets: number[]) => ({ w: { dtype: "F32", shape: [2], data_offsets: offsets } });
  const cases: [Uint8Array, RegExp | Error][] = [
    [
      file({ w: { dtype: "C64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
      new TypeError(
        "Cannot read tensor 'w' from 'x.safetensors' as its dtype is unsupported: current value is C64",
      ),
    ],
    [
      file(f32([0, 4]), new Uint8Array(8)),
      /tensor 'w' from 'x.safetensors' as its byte range does not fit: current value is \[0, 4\) for 8 bytes in 8/,
    ],
    [
      file(f32([0, 8]), new Uint8Array(4)),
      /byte range does not fit: current value is \[0, 8\) for 8 bytes in 4/,
    ],
    [file({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } }), /header entry is malformed/],
    [file({ __metadata__: { a: 1 } }), /__metadata__ must map strings to strings/],
    [file([1, 2]), /header is not an object: current value is object/],
    [new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x22, 0x61, 0x22]), /header is not JSON/],
    [
      new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0, 0x7b]),
      /header length is impossible: current value is 255 bytes in a file of 9/,
    ],
    [
      new Uint8Array(5),
      /Cannot read the safetensors header length from 'x.safetensors' as the file is truncated: current value is 5 bytes, 8 needed/,
    ],
  ];
  for (const [bytes, error] of cases) {
    await rejects(readSafetensors(new BytesSource(bytes, "x.safetensors")), error);
  }
});

Deno.test("readSafetensors() reads tensors by name without reading the others", async () => {
  const data = new Uint8Array(16);
  new Float32Array(data.buffer).set([1, 2, 3, 4]);
  const bytes = file({
    a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "F32", shape: [2], data_offsets: [8, 16] },
  }, data);
  const reads: number[] = [];
  const source = new BytesSource(bytes, "x.safetensors");
  const spy = Object.assign(Object.create(source), {
    read: (offset: number, length: number, what: string) => {
      reads.push(length);
      return source.read(offset, length, what);
    },
  });
  using checkpoint = await readSafetensors(spy);
  deepEqual((await checkpoint.read("b")).data, new Float32Array([3, 4]));
  deepEqual(reads.slice(2), [8]);
});
