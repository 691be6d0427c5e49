import assert from "node:assert/strict";
import { gpu, rng } from "../../tests/check.ts";
import { normalizedBytes, rgbToFloat } from "./rgb_to_float.ts";

Deno.test("normalizedBytes is torchvision's Normalize(0.5, 0.5)(ToTensor()) in float32", () => {
  const table = normalizedBytes();
  assert.equal(table[0], -1);
  assert.equal(table[255], 1);
  for (let b = 0; b < 256; b++) {
    assert.equal(table[b], Math.fround(Math.fround(Math.fround(b / 255) - 0.5) / 0.5));
  }
});

Deno.test("rgbToFloat turns interleaved bytes (N, H, W, 3) into planes (N, 3, H, W) exactly", async () => {
  await gpu();
  // 2 x 3 x 5 pixels: 90 bytes, not a multiple of 4, with every byte value in the mix.
  const [n, h, w] = [2, 3, 5];
  const u = rng(3);
  const bytes = Uint8Array.from({ length: n * h * w * 3 }, (_, i) => i < 2 ? 255 * i : u() * 256);
  const table = normalizedBytes();
  const expected = new Float32Array(n * 3 * h * w);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < h * w; p++) {
        expected[(b * 3 + c) * h * w + p] = table[bytes[(b * h * w + p) * 3 + c]];
      }
    }
  }
  const y = rgbToFloat(bytes, [n, h, w]);
  assert.deepEqual(y.shape, [n, 3, h, w]);
  assert.deepEqual(await y.data(), expected);
  y.dispose();
});

Deno.test("rgbToFloat refuses a byte count or shape that do not match", async () => {
  await gpu();
  assert.throws(() => rgbToFloat(new Uint8Array(11), [1, 2, 2]), {
    name: "RangeError",
    message: "Cannot convert RGB bytes of shape [1, 2, 2, 3] as they must be 12 bytes: current " +
      "value is 11",
  });
  assert.throws(() => rgbToFloat(new Uint8Array(0), [0, 2, 2]), {
    name: "RangeError",
    message: /positive integer/,
  });
});
