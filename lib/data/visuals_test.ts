import { deepEqual, equal } from "node:assert/strict";
import { decodeJpeg } from "./jpeg.ts";
import { decodePng } from "./png.ts";
import { colorizeLabels, encodeImage, imageBytes, labelColormap } from "./visuals.ts";

Deno.test("labelColormap: Cityscapes' colours for 35 classes, interleaved bits otherwise", () => {
  const city = labelColormap(35);
  deepEqual([...city.subarray(7 * 3, 8 * 3)], [128, 64, 128]); // road
  deepEqual([...city.subarray(23 * 3, 24 * 3)], [70, 130, 180]); // sky
  deepEqual([...city.subarray(34 * 3, 35 * 3)], [0, 0, 142]); // license plate
  // Colour i: bit k of i goes to bit 7 - floor(k / 3) of channel k % 3.
  const voc = labelColormap(256);
  for (let i = 0; i < 256; i++) {
    const want = [0, 0, 0];
    for (let k = 0; k < 8; k++) if (i & (1 << k)) want[k % 3] |= 1 << (7 - Math.floor(k / 3));
    deepEqual([...voc.subarray(3 * i, 3 * i + 3)], want, `colour ${i}`);
  }
  deepEqual([...colorizeLabels(new Uint8Array([26, 40]), 35)], [0, 0, 142, 0, 0, 0]);
});

Deno.test("imageBytes: tensor2im's (x + 1) / 2 * 255, clipped and truncated, planar to RGB", () => {
  const xs = [-2, -1, -0.5, 0, 0.001, 0.999, 1, 3, NaN];
  const planar = new Float32Array(3 * xs.length);
  planar.set(xs, 0);
  const out = imageBytes(planar, xs.length, 1);
  xs.forEach((x, i) => {
    const v = (Math.fround(x) + 1) / 2 * 255;
    const want = Number.isNaN(v) ? 0 : Math.trunc(Math.min(255, Math.max(0, v)));
    equal(out[3 * i], want, `x = ${x}`);
    equal(out[3 * i + 1], 127);
  });
});

Deno.test("encodeImage: PNG is lossless, JPEG decodes to the same size", () => {
  const rgb = Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => (i * 37) % 256);
  const png = decodePng(encodeImage(rgb, 4, 2, "png"));
  deepEqual([png.width, png.height, png.channels, [...png.data]], [4, 2, 3, [...rgb]]);
  const jpg = decodeJpeg(encodeImage(rgb, 4, 2, "jpg"));
  deepEqual([jpg.width, jpg.height], [4, 2]);
});
