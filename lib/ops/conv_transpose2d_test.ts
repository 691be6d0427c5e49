import assert from "node:assert/strict";
import { checkOp, gpu } from "../../tests/check.ts";
import { Tensor, tidy } from "../tensor/tensor.ts";
import { convTranspose2d } from "./conv_transpose2d.ts";
import { withConvKernel, withSplitK } from "./conv_gemm.ts";

interface Case {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  k: number;
  stride: number;
  padding: number;
  outputPadding: number;
  bias: boolean;
}

/** conv_transpose2d in float64 on the CPU: x (N, Cin, H, W), w (Cin, Cout, k, k), b (Cout). */
function reference(c: Case, x: Float64Array, w: Float64Array, b?: Float64Array): Float64Array {
  const ho = (c.h - 1) * c.stride - 2 * c.padding + c.k + c.outputPadding;
  const wo = (c.w - 1) * c.stride - 2 * c.padding + c.k + c.outputPadding;
  const y = new Float64Array(c.n * c.cout * ho * wo);
  for (let n = 0; n < c.n; n++) {
    for (let co = 0; co < c.cout; co++) {
      y.fill(b ? b[co] : 0, (n * c.cout + co) * ho * wo, (n * c.cout + co + 1) * ho * wo);
      for (let ci = 0; ci < c.cin; ci++) {
        for (let iy = 0; iy < c.h; iy++) {
          for (let ix = 0; ix < c.w; ix++) {
            const v = x[((n * c.cin + ci) * c.h + iy) * c.w + ix];
            for (let ky = 0; ky < c.k; ky++) {
              const oy = iy * c.stride - c.padding + ky;
              if (oy < 0 || oy >= ho) continue;
              for (let kx = 0; kx < c.k; kx++) {
                const ox = ix * c.stride - c.padding + kx;
                if (ox < 0 || ox >= wo) continue;
                y[((n * c.cout + co) * ho + oy) * wo + ox] += v *
                  w[((ci * c.cout + co) * c.k + ky) * c.k + kx];
              }
            }
          }
        }
      }
    }
  }
  return y;
}

function check(c: Case): Promise<void> {
  const inputs = [
    { shape: [c.n, c.cin, c.h, c.w] },
    { shape: [c.cin, c.cout, c.k, c.k] },
    ...(c.bias ? [{ shape: [c.cout] }] : []),
  ];
  const options = { stride: c.stride, padding: c.padding, outputPadding: c.outputPadding };
  return checkOp({
    inputs,
    gpu: ([x, w, b]) => convTranspose2d(x, w, b ?? null, options),
    ref: ([x, w, b]) => reference(c, x, w, b),
    atol: 1e-4,
    h: 1e-3,
  });
}

const base = { n: 1, bias: true, stride: 2, padding: 1, outputPadding: 1 };
const cases: [string, Case][] = [
  ["3×3 stride 2 padding 1 output padding 1 (pix2pixHD's upsampling), N=2", {
    ...base,
    n: 2,
    cin: 4,
    cout: 3,
    h: 4,
    w: 5,
    k: 3,
  }],
  ["4×4 stride 2 padding 1 without output padding or bias", {
    ...base,
    cin: 3,
    cout: 2,
    h: 3,
    w: 4,
    k: 4,
    outputPadding: 0,
    bias: false,
  }],
  ["3×3 stride 1 padding 1", {
    ...base,
    cin: 3,
    cout: 5,
    h: 5,
    w: 6,
    k: 3,
    stride: 1,
    outputPadding: 0,
  }],
  ["full register tiles and ragged edges", { ...base, cin: 6, cout: 9, h: 3, w: 11, k: 3 }],
]; // deno-fmt-ignore

for (const [name, c] of cases) {
  Deno.test(`convTranspose2d ${name} matches the reference and its gradients`, () => check(c));
  // Split-K (chosen on GPUs only) in the passes that use it: stride 1, and the backward's conv2d.
  Deno.test(
    `convTranspose2d ${name}, split-K 3, matches the reference and its gradients`,
    () => withSplitK(3, () => check(c)),
  );
  // The register kernels with a packed copy of the weight (chosen at larger sizes).
  Deno.test(
    `convTranspose2d ${name}, packed register kernels, matches the reference and its gradients`,
    () => withConvKernel("register", () => check(c)),
  );
  // The workgroup-tiled kernels (chosen on GPUs only), with and without split-K.
  for (const splitK of [1, 3]) {
    Deno.test(
      `convTranspose2d ${name}, tiled kernels, split-K ${splitK}, matches the reference and its gradients`,
      () => withConvKernel("tiled", () => withSplitK(splitK, () => check(c))),
    );
  }
}

Deno.test("convTranspose2d refuses bad shapes, strides and paddings", async () => {
  await gpu();
  tidy(() => {
    const t = (shape: number[]) =>
      Tensor.from(new Float32Array(shape.reduce((a, b) => a * b)), shape);
    const x = t([1, 4, 3, 3]);
    const w = t([4, 2, 3, 3]);
    const b = t([2]);
    const fails = (f: () => unknown, name: string, message: RegExp) =>
      assert.throws(f, { name, message });
    fails(() => convTranspose2d(t([4, 3, 3]), w, b), "TypeError", /must be 4D \(N, C, H, W\)/);
    fails(
      () => convTranspose2d(x, t([2, 4, 3, 3]), b),
      "TypeError",
      /channels must match dimension 0 of the weight \[2,4,3,3\]: current value is 4/,
    );
    fails(
      () => convTranspose2d(x, t([4, 2, 3]), b),
      "TypeError",
      /must be 4D \(Cin, Cout, kh, kw\): current shape is \[4,2,3\]/,
    );
    fails(
      () => convTranspose2d(x, w, t([4])),
      "TypeError",
      /bias must have shape \[2\]: current shape is \[4\]/,
    );
    fails(
      () => convTranspose2d(x, w, b, { stride: 4 }),
      "RangeError",
      /stride must be 1 or 2: current value is 4/,
    );
    fails(
      () => convTranspose2d(x, w, b, { outputPadding: 2 }),
      "RangeError",
      /outputPadding must be a non-negative integer smaller than the stride 2: current value is 2/,
    );
    fails(
      () => convTranspose2d(x, w, b, { padding: -1 }),
      "RangeError",
      /padding must be a non-negative integer: current value is -1/,
    );
    fails(
      () => convTranspose2d(t([1, 4, 1, 1]), w, b, { stride: 1, padding: 2, outputPadding: 0 }),
      "RangeError",
      /output would be empty: current value is -1×-1/,
    );
  }); // deno-fmt-ignore
});
