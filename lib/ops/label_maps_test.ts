import assert from "node:assert/strict";
import { gpu, rng } from "../../tests/check.ts";
import { boundaryMap, labelMap, oneHot } from "./label_maps.ts";

/** pix2pixHD's get_edges, written as its four shifted comparisons. */
function edgesRef(t: Int32Array, n: number, h: number, w: number): Float64Array {
  const e = new Float64Array(t.length);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (b * h + y) * w + x;
        if (x > 0 && t[i] !== t[i - 1]) e[i] = e[i - 1] = 1;
        if (y > 0 && t[i] !== t[i - w]) e[i] = e[i - w] = 1;
      }
    }
  }
  return e;
}

Deno.test("oneHot sets exactly the label's channel", async () => {
  await gpu();
  const [n, c, h, w] = [2, 5, 3, 4];
  const u = rng(3);
  const ids = Int32Array.from({ length: n * h * w }, () => Math.floor(u() * c));
  const labels = labelMap(ids, [n, 1, h, w], c);
  const y = await oneHot(labels, c).data();
  const want = new Float32Array(n * c * h * w);
  ids.forEach((v, i) => {
    const b = Math.floor(i / (h * w));
    want[(b * c + v) * h * w + (i % (h * w))] = 1;
  });
  assert.deepEqual(y, want);
  labels.dispose();
});

Deno.test("boundaryMap matches pix2pixHD's four shifted comparisons", async () => {
  await gpu();
  const [n, h, w] = [2, 7, 9];
  const u = rng(4);
  // Blocky ids so that edges are sparse, with 16-bit-style ids such as 26001.
  const ids = Int32Array.from({ length: n * h * w }, (_, i) => {
    const x = i % w, y = Math.floor(i / w) % h;
    return (Math.floor(x / 3) + 3 * Math.floor(y / 2)) % 4 === 0 ? 26001 : 7 + (u() < 0.1 ? 1 : 0);
  });
  const t = labelMap(ids, [n, 1, h, w]);
  assert.deepEqual(await boundaryMap(t).data(), Float32Array.from(edgesRef(ids, n, h, w)));
  t.dispose();
});

Deno.test("labelMap names the first out-of-range label; the ops refuse float maps", async () => {
  await gpu();
  assert.throws(() => labelMap([0, 3, 35, 1], [1, 1, 2, 2], 35), {
    name: "RangeError",
    message: /label 35 at \(n 0, y 1, x 0\).*0\.\.34/,
  });
  assert.throws(() => labelMap([0, 1], [1, 2]), TypeError);
  const t = labelMap([0, 1, 2, 3], [1, 1, 2, 2]);
  assert.throws(() => oneHot(t, 0), RangeError);
  const { Tensor } = await import("../tensor/tensor.ts");
  const f = Tensor.from([0, 1, 2, 3], [1, 1, 2, 2]);
  assert.throws(() => boundaryMap(f), { name: "TypeError", message: /int32 map/ });
  t.dispose(), f.dispose();
});
