import { equal, ok, throws } from "node:assert/strict";
import { addClassColours, classColourError, meanClassColourError, psnr, ssim } from "./metrics.ts";

const W = 16;
const H = 12;

function constant(r: number, g: number, b: number): Uint8Array {
  return Uint8Array.from({ length: 3 * W * H }, (_, i) => [r, g, b][i % 3]);
}

Deno.test("PSNR is 10·log10(255²/MSE), and infinite for identical photos", () => {
  const a = constant(10, 20, 30);
  equal(psnr(a, a, W, H), Infinity);
  // Every byte off by 5: MSE 25.
  const b = constant(15, 25, 35);
  ok(Math.abs(psnr(a, b, W, H) - 10 * Math.log10(255 * 255 / 25)) < 1e-12);
});

Deno.test("SSIM of constant photos is (2ab + C1) / (a² + b² + C1) of their lumas, 1 when equal", () => {
  const a = constant(100, 100, 100);
  const b = constant(60, 60, 60);
  const c1 = (0.01 * 255) ** 2;
  const want = (2 * 100 * 60 + c1) / (100 * 100 + 60 * 60 + c1);
  ok(Math.abs(ssim(a, b, W, H) - want) < 1e-9, `${ssim(a, b, W, H)} for ${want}`);
  ok(Math.abs(ssim(a, a, W, H) - 1) < 1e-12);
  // Noise lowers it, and it is symmetric.
  let s = 7;
  const noisy = a.map((v) => v + ((s = (s * 1103515245 + 12345) % 2147483648) % 41) - 20);
  const got = ssim(a, noisy, W, H);
  ok(got < 0.9 && got > 0, `${got}`);
  ok(Math.abs(got - ssim(noisy, a, W, H)) < 1e-12);
});

Deno.test("the per-class colour error compares each class's mean colours", () => {
  const labels = Uint8Array.from({ length: W * H }, (_, i) => (i % W < W / 2 ? 7 : 26));
  const fake = new Uint8Array(3 * W * H);
  const real = new Uint8Array(3 * W * H);
  for (let i = 0; i < W * H; i++) {
    const left = labels[i] === 7;
    fake.set(left ? [100, 100, 100] : [0, 0, 0], 3 * i);
    real.set(left ? [103, 104, 100] : [0, 0, 0], 3 * i);
  }
  const classes = addClassColours(new Map(), labels, fake, real, W, H);
  equal(classes.get(7)!.pixels, W * H / 2);
  equal(classColourError(classes.get(7)!), 5);
  equal(classColourError(classes.get(26)!), 0);
  equal(meanClassColourError(classes), 2.5);
});

Deno.test("photos of the wrong size are refused, naming the sizes", () => {
  throws(
    () => psnr(new Uint8Array(3), constant(0, 0, 0), W, H),
    /16×12 RGB image has 576 bytes: current value is 3 and 576/,
  );
  throws(
    () => ssim(new Uint8Array(30), new Uint8Array(30), 5, 2),
    /window needs a photo at least that large: current value is 5×2/,
  );
  throws(
    () => addClassColours(new Map(), new Uint8Array(3), constant(0, 0, 0), constant(0, 0, 0), W, H),
    /label map has 192 ids: current value is 3/,
  );
});
