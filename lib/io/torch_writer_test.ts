import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { BytesSource } from "./byte_source.ts";
import { PyDict, unpickle } from "./pickle.ts";
import type { TensorSource } from "./tensor_data.ts";
import { type TensorRef, torchGlobals } from "./torch_pickle.ts";
import { saveTorch } from "./torch_writer.ts";
import { ZipReader } from "./zip_reader.ts";

const W = { dtype: "float32", shape: [2, 3], data: new Float32Array(6).fill(0.5) } as const;
const B = { dtype: "int64", shape: [], data: new BigInt64Array([9n]) } as const;

Deno.test("saveTorch() writes the entries and pickle of torch.save's zip format", async () => {
  const dir = await Deno.makeTempDir();
  await saveTorch(`${dir}/latest_net_G.pth`, [["model.1.weight", W], ["steps", B]]);
  const bytes = await Deno.readFile(`${dir}/latest_net_G.pth`);
  const zip = await ZipReader.open(new BytesSource(bytes, "G"));
  deepEqual([...zip.entries.keys()], [
    "latest_net_G/data.pkl",
    "latest_net_G/byteorder",
    "latest_net_G/data/0",
    "latest_net_G/data/1",
    "latest_net_G/version",
  ]);
  equal(new TextDecoder().decode(await zip.read("latest_net_G/version")), "3\n");
  const storages: unknown[] = [];
  const { value } = unpickle(await zip.read("latest_net_G/data.pkl"), {
    what: "x",
    findGlobal: torchGlobals("x"),
    persistentLoad: (pid) => {
      storages.push((pid as unknown[]).map((v) => (v as { name?: string }).name ?? v));
      return { key: (pid as string[])[2] };
    },
  });
  ok(value instanceof PyDict);
  const weight = value.get("model.1.weight") as TensorRef;
  deepEqual([weight.offset, weight.shape, weight.stride], [0, [2, 3], [3, 1]]);
  deepEqual(storages, [
    ["storage", "torch.FloatStorage", "0", "cpu", 6],
    ["storage", "torch.LongStorage", "1", "cpu", 1],
  ]);
  await saveTorch(`${dir}/other.pth`, [], { archiveName: "archive" });
  const other = await ZipReader.open(new BytesSource(await Deno.readFile(`${dir}/other.pth`), "o"));
  ok(other.entries.has("archive/data.pkl"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saveTorch() refuses malformed tensors, naming the key", async () => {
  const path = await Deno.makeTempFile({ suffix: ".pth" });
  const bad: [string, TensorSource, RegExp][] = [
    [
      "a",
      { dtype: "float32", shape: [4], data: new Float32Array(3) } as TensorSource,
      /tensor 'a' as its data does not match its shape \[4\]: current value is 3 elements/,
    ],
    [
      "b",
      { dtype: "float32", shape: [1], data: new Float64Array(1) } as unknown as TensorSource,
      /tensor 'b' as float32 data must be a Float32Array: current value is Float64Array/,
    ],
    [
      "c",
      { dtype: "float32", shape: [-1], data: new Float32Array() } as TensorSource,
      /tensor 'c' as its shape must hold non-negative integers/,
    ],
    [
      "d",
      { dtype: "complex64", shape: [1], data: new Float32Array(2) } as unknown as TensorSource,
      /tensor 'd' as its dtype is unsupported: current value is complex64/,
    ],
  ];
  for (const [key, tensor, message] of bad) {
    await rejects(saveTorch(path, [[key, tensor]]), message);
  }
  await rejects(saveTorch(path, [["w", W], ["w", W]]), /a key appears twice: current value is 'w'/);
  await rejects(
    saveTorch(path, [], { archiveName: "a/b" }),
    /archive name must be a non-empty name without '\/'/,
  );
  await Deno.remove(path);
});
