import assert from "node:assert/strict";
import { gpu } from "../../tests/check.ts";
import { Rng } from "../data/rng.ts";
import { runtime } from "../gpu/kernel.ts";
import { Tensor } from "../tensor/tensor.ts";
import { ImagePool } from "./image_pool.ts";

/** A batch of n images (1 channel, 2x2), image i filled with values[i]. */
function images(values: number[]): Tensor {
  return Tensor.from(values.flatMap((v) => [v, v, v, v]), [values.length, 1, 2, 2]);
}

async function firsts(t: Tensor): Promise<number[]> {
  const data = await t.data();
  return Array.from({ length: t.shape[0] }, (_, i) => data[i * 4]);
}

/** The original's ImagePool.query on numbers, with the same random draws. */
function replay(size: number, seed: number, batches: number[][]): number[][] {
  const rng = new Rng(seed);
  const pool: number[] = [];
  return batches.map((batch) =>
    batch.map((v) => {
      if (pool.length < size) return pool.push(v), v;
      if (rng.random() > 0.5) {
        const k = rng.int(0, size - 1);
        const old = pool[k];
        pool[k] = v;
        return old;
      }
      return v;
    })
  );
}

Deno.test("ImagePool of size 0 returns its input, detached", async () => {
  await gpu();
  const x = images([1, 2]);
  x.requiresGrad = true;
  const y = new ImagePool(0).query(x);
  assert.equal(y.requiresGrad, false);
  assert.deepEqual(await firsts(y), [1, 2]);
  for (const t of [x, y]) t.dispose();
});

Deno.test("ImagePool fills up, then swaps with probability 1/2, as the original", async () => {
  await gpu();
  const batches = [[1], [2, 3], [4], [5, 6, 7], [8], [9], [10, 11], [12], [13], [14]];
  const pool = new ImagePool(3, { seed: 7 });
  const before = runtime().pool.stats().inUse;
  const got: number[][] = [];
  for (const batch of batches) {
    const x = images(batch);
    const y = pool.query(x);
    got.push(await firsts(y));
    x.dispose(), y.dispose();
  }
  assert.deepEqual(got, replay(3, 7, batches));
  assert.notDeepEqual(got, batches); // some old images came back
  assert.equal(pool.length, 3);
  pool.dispose();
  assert.equal(runtime().pool.stats().inUse, before);
});

Deno.test("ImagePool refuses a bad size and images of another shape", async () => {
  await gpu();
  assert.throws(() => new ImagePool(-1), { name: "RangeError", message: /non-negative integer/ });
  assert.throws(() => new ImagePool(1.5), RangeError);
  const pool = new ImagePool(2);
  const x = images([1]);
  pool.query(x).dispose();
  const other = Tensor.from(new Float32Array(8), [1, 2, 2, 2]);
  assert.throws(() => pool.query(other), { name: "TypeError", message: /keep one shape/ });
  const flat = Tensor.from([1, 2], [2]);
  assert.throws(() => pool.query(flat), { name: "TypeError", message: /\(N, C, H, W\)/ });
  for (const t of [x, other, flat]) t.dispose();
  pool.dispose();
});
