import assert from "node:assert/strict";
import { join } from "node:path";
import { gpu, rng } from "../../tests/check.ts";
import { readNpy } from "../../tests/npy.ts";
import { type Batch, collate } from "../data/batch.ts";
import { listDataset } from "../data/layout.ts";
import { loadSample } from "../data/sample.ts";
import { goldenDir } from "../io/_test_utils.ts";
import { normalizedBytes } from "../ops/rgb_to_float.ts";
import { Tensor } from "../tensor/tensor.ts";
import { batchInputs, discriminatorInput, generatorInput, labelChannels } from "./input.ts";

const golden = goldenDir();

function batchOf(n: number, h: number, w: number, classes: number, seed: number): Batch {
  const u = rng(seed);
  const label = Uint8Array.from({ length: n * h * w }, () => Math.floor(u() * classes));
  const inst = Int32Array.from(label, (v, i) => v * 1000 + (i % 3 === 0 ? 1 : 0));
  const image = Uint8Array.from({ length: n * h * w * 3 }, () => Math.floor(u() * 256));
  return {
    size: n,
    width: w,
    height: h,
    label,
    labelChannels: 1,
    inst,
    image,
    indices: [],
    entries: [],
  };
}

/** One-hot of the labels, then pix2pixHD's get_edges of the instance map, (N, C + 1, H, W). */
function reference(batch: Batch, classes: number): Float32Array {
  const { size: n, height: h, width: w, label, inst } = batch;
  const out = new Float32Array(n * (classes + 1) * h * w);
  const at = (b: number, c: number, y: number, x: number) =>
    ((b * (classes + 1) + c) * h + y) * w + x;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = (b * h + y) * w + x;
        out[at(b, label[p], y, x)] = 1;
        const id = inst![p];
        const differs = (x > 0 && inst![p - 1] !== id) || (x < w - 1 && inst![p + 1] !== id) ||
          (y > 0 && inst![p - w] !== id) || (y < h - 1 && inst![p + w] !== id);
        out[at(b, classes, y, x)] = differs ? 1 : 0;
      }
    }
  }
  return out;
}

Deno.test("batchInputs: one-hot labels, the boundary map and the photo in [-1, 1], on the GPU", async () => {
  await gpu();
  const batch = batchOf(2, 5, 7, 6, 1);
  const inputs = batchInputs(batch, { labelNc: 6 });
  assert.deepEqual(inputs.label.shape, [2, 7, 5, 7]);
  assert.deepEqual(await inputs.label.data(), reference(batch, 6));
  assert.deepEqual(await inputs.labelIds!.data(), Int32Array.from(batch.label));
  assert.deepEqual(await inputs.inst!.data(), batch.inst);
  const table = normalizedBytes();
  const image = await inputs.image!.data();
  assert.equal(image[(1 * 3 + 2) * 35 + 9], table[batch.image![(35 + 9) * 3 + 2]]);
  const d = discriminatorInput(inputs.label, inputs.image!);
  assert.deepEqual(d.shape, [2, 10, 5, 7]);
  assert.equal(generatorInput(inputs.label), inputs.label);
  const features = Tensor.from(new Float32Array(2 * 3 * 35), [2, 3, 5, 7]);
  assert.deepEqual(generatorInput(inputs.label, features).shape, [2, 10, 5, 7]);
  for (const t of [inputs.label, inputs.labelIds!, inputs.inst!, inputs.image!, d, features]) {
    t.dispose();
  }
});

Deno.test("batchInputs with --no_instance leaves the boundary map out; label_nc 0 takes RGB labels", async () => {
  await gpu();
  const batch = batchOf(1, 3, 4, 5, 2);
  assert.equal(labelChannels({ labelNc: 5, noInstance: true }), 5);
  const plain = batchInputs({ ...batch, inst: undefined }, { labelNc: 5, noInstance: true });
  assert.deepEqual(plain.label.shape, [1, 5, 3, 4]);
  assert.equal(plain.inst, undefined);
  const full = reference(batch, 5);
  assert.deepEqual(await plain.label.data(), full.subarray(0, 5 * 12));

  assert.equal(labelChannels({ labelNc: 0 }), 4);
  const rgb = { ...batch, label: batch.image!, labelChannels: 3, image: undefined };
  const inputs = batchInputs(rgb, { labelNc: 0 });
  assert.deepEqual(inputs.label.shape, [1, 4, 3, 4]);
  assert.equal(inputs.labelIds, undefined);
  const table = normalizedBytes();
  const got = await inputs.label.data();
  assert.equal(got[2 * 12 + 5], table[batch.image![5 * 3 + 2]]);
  assert.deepEqual(got.subarray(36), full.subarray(5 * 12));
  for (const t of [plain.label, inputs.label, inputs.inst!]) t.dispose();
});

Deno.test("batchInputs refuses labels out of range and missing maps", async () => {
  await gpu();
  const batch = batchOf(1, 2, 2, 9, 3);
  assert.throws(() => batchInputs(batch, { labelNc: 4 }), {
    name: "RangeError",
    message: /labels must lie in 0..3/,
  });
  assert.throws(() => batchInputs({ ...batch, inst: undefined }, { labelNc: 9 }), {
    name: "TypeError",
    message: /must have instance maps unless noInstance/,
  });
  assert.throws(() => batchInputs(batch, { labelNc: 0 }), {
    name: "TypeError",
    message: "Cannot assemble the input as label_nc 0 needs 3 label channel(s): current value is 1",
  });
  assert.throws(() => batchInputs(batch, { labelNc: -1 }), { name: "RangeError" });
});

Deno.test({
  name: "golden: the generator inputs test.py built, and train pair 0's photo, exactly",
  ignore: golden === undefined,
  fn: async () => {
    await gpu();
    const tiny = `${golden}/tiny`;
    const transform = { resizeOrCrop: "none" as const, multiple: 32, flip: false };
    const test = await listDataset(join(tiny, "data"), { phase: "test", image: false });
    assert.equal(test.length, 2);
    for (const entry of test) {
      const sample = await loadSample(entry, { labelNc: 35, transform, seed: 0 });
      const { label, labelIds, inst } = batchInputs(collate([sample], [0]), { labelNc: 35 });
      const name = entry.label.split("/").pop()!.replace(".png", "");
      const expected = await readNpy(join(tiny, "test", `${name}_G_input.npy`));
      assert.deepEqual(label.shape, expected.shape);
      assert.deepEqual(await label.data(), expected.data);
      for (const t of [label, labelIds!, inst!]) t.dispose();
    }
    const train = await listDataset(join(tiny, "data"));
    const sample = await loadSample(train[0], { labelNc: 35, transform, seed: 0 });
    const inputs = batchInputs(collate([sample], [0]), { labelNc: 35 });
    const image = await readNpy(join(tiny, "encoder", "E_input_image.npy"));
    assert.deepEqual(await inputs.image!.data(), image.data);
    for (const t of [inputs.label, inputs.labelIds!, inputs.inst!, inputs.image!]) t.dispose();
  },
});
