import { deepEqual, equal, rejects, throws } from "node:assert/strict";
import { allocate, bytesOf, HOST_DTYPES } from "./dtype.ts";
import { loadCheckpoint, openCheckpoint } from "./open_checkpoint.ts";
import { formatOfPath, saveCheckpoint } from "./save_checkpoint.ts";
import type { StateDict, TensorData } from "./tensor_data.ts";
import { bitsOf } from "./_test_utils.ts";

/** One tensor of every dtype filled with random bits (NaN payloads, subnormals and all). */
function randomState(seed: number): StateDict {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  const out: StateDict = new Map();
  HOST_DTYPES.forEach((dtype, i) => {
    const shape = [2, i + 1, 3];
    const data = allocate(dtype, 6 * (i + 1));
    const bytes = bytesOf(data);
    for (let b = 0; b < bytes.length; b++) bytes[b] = next() >>> 24;
    if (dtype === "bool") { for (let b = 0; b < bytes.length; b++) bytes[b] &= 1; }
    out.set(`layer${i}.${dtype}`, { dtype, shape, data } as TensorData);
  });
  out.set("scalar", { dtype: "float32", shape: [], data: new Float32Array([NaN]) });
  out.set("empty", { dtype: "float16", shape: [3, 0], data: new Uint16Array() });
  return out;
}

function assertBitExact(got: StateDict, want: StateDict): void {
  deepEqual([...got.keys()], [...want.keys()]);
  for (const [key, tensor] of want) {
    const other = got.get(key)!;
    equal(other.dtype, tensor.dtype, key);
    deepEqual(other.shape, tensor.shape, key);
    deepEqual(bitsOf(other), bitsOf(tensor), key);
  }
}

Deno.test("saveCheckpoint() round-trips every dtype bit for bit through .pth and .safetensors", async () => {
  const dir = await Deno.makeTempDir();
  const state = randomState(7);
  for (const name of ["net.pth", "net.safetensors"]) {
    await saveCheckpoint(`${dir}/${name}`, state);
    assertBitExact(await loadCheckpoint(`${dir}/${name}`), state);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saveCheckpoint() converts lazily, .pth to .safetensors to .pth, bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const state = randomState(11);
  await saveCheckpoint(`${dir}/a.pth`, state);
  {
    using pth = await openCheckpoint(`${dir}/a.pth`);
    await saveCheckpoint(`${dir}/b.safetensors`, pth.tensors);
  }
  {
    using safetensors = await openCheckpoint(`${dir}/b.safetensors`);
    await saveCheckpoint(`${dir}/c.pth`, safetensors.tensors);
  }
  assertBitExact(await loadCheckpoint(`${dir}/c.pth`), state);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("formatOfPath() picks the format from the extension", () => {
  equal(formatOfPath("a/b.PTH"), "torch-zip");
  equal(formatOfPath("b.pt"), "torch-zip");
  equal(formatOfPath("pytorch_model.bin"), "torch-zip");
  equal(formatOfPath("x.safetensors"), "safetensors");
  throws(
    () => formatOfPath("x.onnx"),
    new RangeError(
      "Cannot choose a format for 'x.onnx' as its extension is not .pth, .pt, .bin or .safetensors: current value is '.onnx'",
    ),
  );
});

Deno.test("saveCheckpoint() refuses options that the chosen format would ignore", async () => {
  const state = new Map([["w", { dtype: "uint8", shape: [1], data: new Uint8Array(1) } as const]]);
  await rejects(
    saveCheckpoint("x.pth", state, { metadata: {} }),
    /in torch format with safetensors metadata/,
  );
  await rejects(
    saveCheckpoint("x.safetensors", state, { archiveName: "a" }),
    /with an archive name/,
  );
  await rejects(
    saveCheckpoint("x.pth", state, { format: "onnx" as "safetensors" }),
    /the format is unknown: current value is 'onnx'/,
  );
});
