import { deepEqual, equal, rejects } from "node:assert/strict";
import { FileSource } from "./byte_source.ts";
import { dtypeSize } from "./dtype.ts";
import { readSafetensors } from "./safetensors_reader.ts";
import { saveSafetensors } from "./safetensors_writer.ts";
import type { TensorData } from "./tensor_data.ts";

const TENSORS: [string, TensorData][] = [
  ["a.u8", { dtype: "uint8", shape: [3], data: new Uint8Array([1, 2, 3]) }],
  ["b.f64", { dtype: "float64", shape: [2], data: new Float64Array([Math.PI, -0]) }],
  ["c.bf16", { dtype: "bfloat16", shape: [1], data: new Uint16Array([0x3f80]) }],
  ["d.f32", { dtype: "float32", shape: [2, 1], data: new Float32Array([1, 2]) }],
  ["e.empty", { dtype: "int64", shape: [0], data: new BigInt64Array() }],
];

Deno.test("saveSafetensors() keeps the key order in the header and aligns the packed data", async () => {
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  await saveSafetensors(path, TENSORS, { metadata: { format: "pt" } });
  const bytes = await Deno.readFile(path);
  const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  equal((8 + length) % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  deepEqual(Object.keys(header), ["__metadata__", ...TENSORS.map(([k]) => k)]);
  const ranges = TENSORS.map(([k, t]) => [header[k].data_offsets, dtypeSize(t.dtype)]);
  for (const [[begin], size] of ranges) equal(begin % size, 0);
  const total = ranges.reduce((sum, [[begin, end]]) => sum + end - begin, 0);
  equal(bytes.length, 8 + length + total);
  using checkpoint = await readSafetensors(await FileSource.open(path));
  for (const [key, tensor] of TENSORS) deepEqual(await checkpoint.read(key), tensor);
  await Deno.remove(path);
});

Deno.test("saveSafetensors() refuses duplicate or reserved keys and non-string metadata", async () => {
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  const t = TENSORS[0][1];
  await rejects(
    saveSafetensors(path, [["x", t], ["x", t]]),
    /a key appears twice or is reserved: current value is 'x'/,
  );
  await rejects(saveSafetensors(path, [["__metadata__", t]]), RangeError);
  await rejects(
    saveSafetensors(path, [["x", t]], { metadata: { n: 1 as unknown as string } }),
    /metadata values must be strings: current value is number for 'n'/,
  );
  equal((await Deno.stat(path)).size, 0);
  await Deno.remove(path);
});

Deno.test("saveSafetensors() leaves no file behind when a lazy tensor fails", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/x.safetensors`;
  const failing = {
    dtype: "float32" as const,
    shape: [1],
    read: () => Promise.reject(new RangeError("disk gone")),
  };
  await rejects(saveSafetensors(path, [["a", TENSORS[0][1]], ["b", failing]]), /disk gone/);
  deepEqual([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir, { recursive: true });
});
