import assert from "node:assert/strict";
import { checkOp, gpu, rng } from "../../tests/check.ts";
import { Tensor } from "../tensor/tensor.ts";
import { instanceAvgPool, uniqueIds } from "./instance_pool.ts";
import { labelMap } from "./label_maps.ts";

/** pix2pixHD's loop: for each id, batch element and channel, the mean over that id's pixels. */
function poolRef(x: Float64Array, inst: Int32Array, n: number, c: number, hw: number) {
  const y = Float64Array.from(x);
  for (const id of uniqueIds(inst)) {
    for (let b = 0; b < n; b++) {
      const idx: number[] = [];
      for (let q = 0; q < hw; q++) if (inst[b * hw + q] === id) idx.push(q);
      if (idx.length === 0) continue;
      for (let k = 0; k < c; k++) {
        const base = (b * c + k) * hw;
        const m = idx.reduce((s, q) => s + x[base + q], 0) / idx.length;
        for (const q of idx) y[base + q] = m;
      }
    }
  }
  return y;
}

Deno.test("instanceAvgPool matches pix2pixHD's per-id means and its gradient", async () => {
  await gpu();
  const [n, c, h, w] = [2, 5, 6, 7];
  const u = rng(11);
  const choices = [7, 11, 26000, 26001, 26002, 33000];
  const ids = Int32Array.from({ length: n * h * w }, () => choices[Math.floor(u() * 6)]);
  const inst = labelMap(ids, [n, 1, h, w]);
  await checkOp({
    inputs: [{ shape: [n, c, h, w] }],
    gpu: ([x]) => instanceAvgPool(x, inst, uniqueIds(ids)),
    ref: ([x]) => poolRef(x, ids, n, c, h * w),
  });
  inst.dispose();
});

Deno.test("instanceAvgPool passes through pixels whose id is not listed", async () => {
  await gpu();
  const inst = labelMap([1, 1, 2, 2], [1, 1, 2, 2]);
  const x = Tensor.from([1, 3, 5, 6], [1, 1, 2, 2]);
  assert.deepEqual([...(await instanceAvgPool(x, inst, [1]).data())], [2, 2, 5, 6]);
  inst.dispose(), x.dispose();
});

Deno.test("instanceAvgPool refuses unsorted ids, float maps and shape mismatches", async () => {
  await gpu();
  const inst = labelMap([1, 1, 2, 2], [1, 1, 2, 2]);
  const x = Tensor.from([1, 3, 5, 6], [1, 1, 2, 2]);
  assert.throws(() => instanceAvgPool(x, inst, [2, 1]), { name: "RangeError", message: /sorted/ });
  assert.throws(() => instanceAvgPool(x, x, [1]), { name: "TypeError", message: /int32/ });
  const wide = Tensor.from(new Float32Array(8), [1, 1, 2, 4]);
  assert.throws(() => instanceAvgPool(wide, inst, [1]), {
    name: "TypeError",
    message: /\[1, 1, 2, 4\]/,
  });
  for (const t of [inst, x, wide]) t.dispose();
});
