import assert from "node:assert/strict";
import { checkOp, gpu } from "../../tests/check.ts";
import { backward } from "../tensor/autograd.ts";
import { add, leakyRelu, relu } from "./elementwise.ts";
import { Tensor } from "../tensor/tensor.ts";
import { conv2d } from "./conv2d.ts";
import {
  convInputGrad,
  convTuning,
  parseConvKernel,
  parseSplitK,
  withConvKernel,
  withSplitK,
} from "./conv_gemm.ts";
import { CONV_VARIANTS } from "./conv_tuner.ts";

interface Case {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  stride: number;
  padding: number;
  bias: boolean;
  /** Reflection padding (paddingMode 'reflect') instead of zeros. */
  reflect?: boolean;
}

/** The output size of case `c`. */
function outSize(c: Case): [number, number] {
  return [
    Math.floor((c.h + 2 * c.padding - c.kh) / c.stride) + 1,
    Math.floor((c.w + 2 * c.padding - c.kw) / c.stride) + 1,
  ];
}

/** A padded position i of a side of n: itself, or mirrored into the side with reflection. */
function place(i: number, n: number, reflect = false): number {
  if (!reflect) return i;
  return i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;
}

/** Calls `visit` with the output, input and weight index of every product conv2d sums. */
function eachProduct(c: Case, visit: (yi: number, xi: number, wi: number) => void): void {
  const [ho, wo] = outSize(c);
  for (let n = 0; n < c.n; n++) {
    for (let co = 0; co < c.cout; co++) {
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          const yi = ((n * c.cout + co) * ho + oy) * wo + ox;
          for (let ci = 0; ci < c.cin; ci++) {
            for (let ky = 0; ky < c.kh; ky++) {
              const iy = place(oy * c.stride - c.padding + ky, c.h, c.reflect);
              if (iy < 0 || iy >= c.h) continue;
              for (let kx = 0; kx < c.kw; kx++) {
                const ix = place(ox * c.stride - c.padding + kx, c.w, c.reflect);
                if (ix < 0 || ix >= c.w) continue;
                visit(
                  yi,
                  ((n * c.cin + ci) * c.h + iy) * c.w + ix,
                  ((co * c.cin + ci) * c.kh + ky) * c.kw + kx,
                );
              }
            }
          }
        }
      }
    }
  }
}

/** conv2d in float64 on the CPU: x (N, Cin, H, W), w (Cout, Cin, kh, kw), b (Cout). */
function reference(c: Case, x: Float64Array, w: Float64Array, b?: Float64Array): Float64Array {
  const [ho, wo] = outSize(c);
  const y = new Float64Array(c.n * c.cout * ho * wo);
  if (b) y.forEach((_, i) => (y[i] = b[Math.floor(i / (ho * wo)) % c.cout]));
  eachProduct(c, (yi, xi, wi) => (y[yi] += x[xi] * w[wi]));
  return y;
}

function check(c: Case, inputGrad = true): Promise<void> {
  const inputs = [
    { shape: [c.n, c.cin, c.h, c.w], grad: inputGrad },
    { shape: [c.cout, c.cin, c.kh, c.kw] },
    ...(c.bias ? [{ shape: [c.cout] }] : []),
  ];
  const options = {
    stride: c.stride,
    padding: c.padding,
    paddingMode: c.reflect ? "reflect" as const : "zeros" as const,
  };
  return checkOp({
    inputs,
    gpu: ([x, w, b]) => conv2d(x, w, b ?? null, options),
    ref: ([x, w, b]) => reference(c, x, w, b),
    atol: 1e-4,
    h: 1e-3,
  });
}

const base = { n: 1, bias: true, padding: 0, stride: 1 };
const odd3x3: Case = { ...base, n: 2, cin: 3, cout: 5, h: 7, w: 9, kh: 3, kw: 3, padding: 1 };
const cases: [string, Case][] = [
  ["3×3 stride 1 padding 1, N=2, odd sizes", odd3x3],
  ["1×1 without bias", { ...base, cin: 6, cout: 3, h: 5, w: 4, kh: 1, kw: 1, bias: false }],
  ["3×3 reflection padding 1 (the residual blocks), N=2, odd sizes", { ...odd3x3, reflect: true }],
  ["7×7 reflection padding 3 (the generator's ends)", {
    ...base,
    cin: 3,
    cout: 4,
    h: 5,
    w: 10,
    kh: 7,
    kw: 7,
    padding: 3,
    reflect: true,
  }],
  ["4×4 stride 2 reflection padding 2, without bias", {
    ...base,
    cin: 2,
    cout: 3,
    h: 7,
    w: 8,
    kh: 4,
    kw: 4,
    stride: 2,
    padding: 2,
    reflect: true,
    bias: false,
  }],
  ["4×4 stride 2 padding 2 (pix2pixHD's discriminator), N=2", {
    ...base,
    n: 2,
    cin: 3,
    cout: 4,
    h: 9,
    w: 11,
    kh: 4,
    kw: 4,
    stride: 2,
    padding: 2,
  }],
  ["7×7 padding 0 (the generator's ends, after reflection padding)", {
    ...base,
    cin: 3,
    cout: 4,
    h: 9,
    w: 10,
    kh: 7,
    kw: 7,
  }],
  ["3×3 stride 2 padding 1 (the generator's downsampling)", {
    ...base,
    cin: 4,
    cout: 6,
    h: 8,
    w: 11,
    kh: 3,
    kw: 3,
    stride: 2,
    padding: 1,
  }],
  ["3×3 padding 3, without bias", {
    ...base,
    cin: 2,
    cout: 3,
    h: 4,
    w: 5,
    kh: 3,
    kw: 3,
    padding: 3,
    bias: false,
  }],
  ["1×1 stride 2 padding 1 (phases without taps)", {
    ...base,
    cin: 2,
    cout: 3,
    h: 5,
    w: 6,
    kh: 1,
    kw: 1,
    stride: 2,
    padding: 1,
  }],
  ["2×9 kernel, wider than one tap group", {
    ...base,
    cin: 2,
    cout: 3,
    h: 4,
    w: 12,
    kh: 2,
    kw: 9,
    padding: 1,
  }],
  ["3×3 on three rows (one output row: the weight gradient needs no split)", {
    ...base,
    cin: 2,
    cout: 3,
    h: 3,
    w: 8,
    kh: 3,
    kw: 3,
  }],
  ["full register tiles and ragged edges, stride 1", {
    ...base,
    n: 2,
    cin: 5,
    cout: 9,
    h: 5,
    w: 21,
    kh: 3,
    kw: 3,
    padding: 1,
  }],
  ["full register tiles and ragged edges, stride 2", {
    ...base,
    cin: 5,
    cout: 10,
    h: 6,
    w: 37,
    kh: 3,
    kw: 3,
    stride: 2,
    padding: 1,
  }],
]; // deno-fmt-ignore

for (const [name, c] of cases) {
  Deno.test(`conv2d ${name} matches the reference and its gradients`, () => check(c));
}

// Split-K (the input channels summed in parts, then reduced) is chosen on GPUs only; forced here
// on every case, with splits that do not divide the channels evenly.
for (const splitK of [2, 3]) {
  for (const [name, c] of cases) {
    Deno.test(
      `conv2d ${name}, split-K ${splitK}, matches the reference and its gradients`,
      () => withSplitK(splitK, () => check(c)),
    );
  }
}

// The register kernels read these small layers' weights where they lie (register-direct); the
// packed copy they read at larger sizes is forced here on every case, with split-K.
for (const splitK of [1, 3]) {
  for (const [name, c] of cases) {
    Deno.test(
      `conv2d ${name}, packed register kernels, split-K ${splitK}, matches the reference and its gradients`,
      () => withConvKernel("register", () => withSplitK(splitK, () => check(c))),
    );
  }
}

// The workgroup-tiled kernels are chosen on GPUs only; forced here on every case, on their own and
// with split-K.
for (const splitK of [1, 3]) {
  for (const [name, c] of cases) {
    Deno.test(
      `conv2d ${name}, tiled kernels, split-K ${splitK}, matches the reference and its gradients`,
      () => withConvKernel("tiled", () => withSplitK(splitK, () => check(c))),
    );
  }
}

/**
 * The output and the input, weight and bias gradients of conv2d in float64 for the gradient dy.
 */
function referenceGrads(
  c: Case,
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  dy: Float64Array,
) {
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(c.cout);
  eachProduct(c, (yi, xi, wi) => {
    dx[xi] += w[wi] * dy[yi];
    dw[wi] += x[xi] * dy[yi];
  });
  const plane = dy.length / (c.n * c.cout);
  dy.forEach((v, i) => (db[Math.floor(i / plane) % c.cout] += v));
  return { y: reference(c, x, w, b), dx, dw, db };
}

function near(actual: ArrayLike<number>, expected: Float64Array, what: string): void {
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= 1e-5 * scale, `${what}[${i}] is ${actual[i]}, expected ${expected[i]}`);
  }
}

// Layers large enough for full 128-wide blocks of the tiled kernels with ragged edges in both
// dimensions and in the staged K slices, against the float64 loops (the central differences of
// `check` would take minutes here).
const large: Case = { ...base, n: 2, cin: 19, cout: 70, h: 9, w: 11, kh: 3, kw: 3, padding: 1 };
const largeCases: [string, Case][] = [
  ["3×3 with 70 channels on 2×9×11", large],
  ["4×4 stride 2 with 70 channels on 2×9×11", { ...large, kh: 4, kw: 4, stride: 2, padding: 2 }],
  ["3×3 from 70 to 19 channels on 2×9×11", { ...large, cin: 70, cout: 19 }],
  ["3×3 reflection padding 1 with 70 channels on 2×9×11", { ...large, reflect: true }],
]; // deno-fmt-ignore
for (const [name, c] of largeCases) {
  for (const kernel of CONV_VARIANTS) {
    for (const splitK of [1, 4]) {
      Deno.test(`conv2d ${name}, ${kernel} kernels, split-K ${splitK}, matches float64`, async () => {
        await gpu();
        const [ho, wo] = outSize(c);
        const rand = (n: number, k: number) =>
          Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + k) * Math.cos(i * 0.17));
        const xs = rand(c.n * c.cin * c.h * c.w, 1);
        const ws = rand(c.cout * c.cin * c.kh * c.kw, 2);
        const dys = rand(c.n * c.cout * ho * wo, 3);
        const bs = rand(c.cout, 4);
        const x = Tensor.from(Float32Array.from(xs), [c.n, c.cin, c.h, c.w]);
        const w = Tensor.from(Float32Array.from(ws), [c.cout, c.cin, c.kh, c.kw]);
        const b = Tensor.from(Float32Array.from(bs), [c.cout]);
        const dy = Tensor.from(Float32Array.from(dys), [c.n, c.cout, ho, wo]);
        for (const t of [x, w, b]) t.requiresGrad = true;
        await withConvKernel(kernel, () =>
          withSplitK(splitK, async () => {
            const paddingMode = c.reflect ? "reflect" : "zeros";
            const y = conv2d(x, w, b, { stride: c.stride, padding: c.padding, paddingMode });
            backward(y, dy);
            const want = referenceGrads(c, xs, ws, bs, dys);
            near(await y.data(), want.y, "y");
            near(await x.grad!.data(), want.dx, "dx");
            near(await w.grad!.data(), want.dw, "dw");
            near(await b.grad!.data(), want.db, "db");
            y.dispose();
          }));
        for (const t of [x, w, b, dy]) t.dispose();
      });
    }
  }
}

// The activation in the convolution's pass (or, with split-K, in the reduction of the splits)
// against the activation op after it: the same values and gradients bit for bit.
for (const kernel of ["register", "register-direct", "tiled"] as const) {
  for (const splitK of [1, 3]) {
    for (const activation of ["relu", 0.2, 0] as const) {
      Deno.test(`conv2d with ${activation === "relu" ? "ReLU" : `LeakyReLU(${activation})`} fused, ${kernel} kernels, split-K ${splitK}: the activation op's results bit for bit, one dispatch fewer`, async () => {
        const rt = await gpu();
        const rand = (n: number, k: number) =>
          Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + k) * Math.cos(i * 0.17));
        const dy = Tensor.from(rand(2 * 9 * 7 * 11, 4), [2, 9, 7, 11]);
        const run = async (fused: boolean) => {
          const x = Tensor.from(rand(2 * 6 * 7 * 11, 1), [2, 6, 7, 11]);
          const w = Tensor.from(rand(9 * 6 * 9, 2), [9, 6, 3, 3]);
          const b = Tensor.from(rand(9, 3), [9]);
          for (const t of [x, w, b]) t.requiresGrad = true;
          const before = rt.dispatches;
          const y = await withConvKernel(kernel, () =>
            withSplitK(splitK, () => {
              const options = { padding: 1 };
              const out = fused
                ? conv2d(x, w, b, { ...options, activation })
                : activation === "relu"
                ? relu(conv2d(x, w, b, options))
                : leakyRelu(conv2d(x, w, b, options), activation);
              backward(out, dy);
              return Promise.resolve(out);
            }));
          const dispatches = rt.dispatches - before;
          const out = await Promise.all([y, x.grad!, w.grad!, b.grad!].map((t) => t.data()));
          for (const t of [x, w, b, y]) t.dispose();
          return { out, dispatches };
        };
        const fused = await run(true);
        const plain = await run(false);
        assert.deepEqual(fused.out, plain.out);
        assert.ok(fused.out[0].some((v) => v === 0 || v < 0));
        assert.equal(fused.dispatches, plain.dispatches - 1);
        dy.dispose();
      });
    }
  }
}

// A layer applied twice: each gradient of the second pass is added into the first's in the pass
// that computes it (no separate accumulation): twice one pass's gradients, bit for bit, in twice
// its dispatches.
for (const kernel of ["register", "register-direct", "tiled"] as const) {
  for (const splitK of [1, 3]) {
    for (
      const [name, k, options] of [
        ["3×3 reflection padding 1", 3, { padding: 1, paddingMode: "reflect" as const }],
        ["4×4 stride 2 padding 2", 4, { stride: 2, padding: 2 }],
      ] as const
    ) {
      Deno.test(`conv2d ${name}, ${kernel} kernels, split-K ${splitK}, adds its gradients into the ones its inputs have`, async () => {
        const rt = await gpu();
        const rand = (n: number, k: number) =>
          Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + k) * Math.cos(i * 0.17));
        const x = Tensor.from(rand(2 * 6 * 7 * 11, 1), [2, 6, 7, 11]);
        const w = Tensor.from(rand(9 * 6 * k * k, 2), [9, 6, k, k]);
        const b = Tensor.from(rand(9, 3), [9]);
        for (const t of [x, w, b]) t.requiresGrad = true;
        const grads = async (twice: boolean) => {
          const { y, dispatches } = await withConvKernel(kernel, () =>
            withSplitK(splitK, () => {
              const one = conv2d(x, w, b, options);
              const y = twice ? add(one, conv2d(x, w, b, options)) : one;
              const dy = Tensor.from(rand(one.size, 4), one.shape);
              const before = rt.dispatches;
              backward(y, dy);
              dy.dispose();
              return Promise.resolve({ y, dispatches: rt.dispatches - before });
            }));
          const out = await Promise.all([x, w, b].map((t) => t.grad!.data()));
          for (const t of [x, w, b]) t.grad!.dispose(), t.grad = null;
          y.dispose();
          return { out, dispatches };
        };
        const once = await grads(false);
        const twice = await grads(true);
        assert.deepEqual(twice.out, once.out.map((g) => (g as Float32Array).map((v) => 2 * v)));
        assert.equal(twice.dispatches, 2 * once.dispatches);
        for (const t of [x, w, b]) t.dispose();
      });
    }
  }
}

// The bias gradient taken by the weight gradient's threads and reduced with it: no dispatch of its
// own, the channel sums of dy, added into the gradient so far when the layer runs twice (also with
// a frozen weight, which takes them apart); on 2×9×11 (many splits) and 1×1×11 (one row).
for (const kernel of ["register", "tiled"] as const) {
  for (const splitK of [1, 3]) {
    for (const [n, h] of [[2, 9], [1, 1]]) {
      Deno.test(`conv2d bias gradient, ${kernel} kernels, split-K ${splitK}, ${n}×${h}×11: in the weight gradient's passes, the sums of dy`, async () => {
        const rt = await gpu();
        const rand = (len: number, k: number) =>
          Float32Array.from(
            { length: len },
            (_, i) => Math.sin(i * 0.731 + k) * Math.cos(i * 0.17),
          );
        const dyData = rand(n * 70 * h * 11, 4);
        const want = new Float64Array(70);
        dyData.forEach((v, i) => (want[Math.floor(i / (h * 11)) % 70] += v));
        const run = (bias: boolean, { frozen = false, twice = false } = {}) =>
          withConvKernel(kernel, () =>
            withSplitK(splitK, async () => {
              const x = Tensor.from(rand(n * 19 * h * 11, 1), [n, 19, h, 11]);
              const w = Tensor.from(rand(70 * 19 * 9, 2), [70, 19, 3, 3]);
              const b = Tensor.from(rand(70, 3), [70]);
              w.requiresGrad = !frozen;
              b.requiresGrad = true;
              const layer = () => conv2d(x, w, bias ? b : null, { padding: 1 });
              const y = twice ? add(layer(), layer()) : layer();
              const dy = Tensor.from(dyData, y.shape);
              const before = rt.dispatches;
              backward(y, dy);
              const dispatches = rt.dispatches - before;
              const db = bias ? await b.grad!.data() : null;
              for (const t of [x, w, b, y, dy]) t.dispose();
              return { dispatches, db };
            }));
        const plain = await run(false);
        const withBias = await run(true);
        assert.equal(withBias.dispatches, plain.dispatches);
        near(withBias.db!, want, "db");
        near((await run(true, { twice: true })).db!, want.map((v) => 2 * v), "db twice");
        near((await run(true, { frozen: true })).db!, want, "db with a frozen weight");
      });
    }
  }
}

Deno.test("a stride-2 input gradient is one dispatch on the tiled kernels, one packing and four correlations on the register ones", async () => {
  const rt = await gpu();
  const rand = (n: number, k: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + k) * Math.cos(i * 0.17));
  const dy = Tensor.from(rand(2 * 5 * 5 * 6, 1), [2, 5, 5, 6]);
  const w = Tensor.from(rand(5 * 3 * 16, 2), [5, 3, 4, 4]);
  const dispatches = async (kernel: "tiled" | "register" | "register-direct") => {
    const before = rt.dispatches;
    const dx = await withConvKernel(
      kernel,
      () => Promise.resolve(convInputGrad(dy, w, null, { stride: 2, padding: 2 }, [9, 11])),
    );
    const n = rt.dispatches - before;
    const data = await dx.data();
    dx.dispose();
    return { n, data };
  };
  const tiled = await dispatches("tiled");
  const register = await dispatches("register");
  const direct = await dispatches("register-direct");
  assert.equal(tiled.n, 1);
  assert.equal(register.n, 1 + 4); // the four phases' weights packed in one pass
  assert.equal(direct.n, 4);
  const scale = Math.max(...register.data);
  tiled.data.forEach((v, i) => assert.ok(Math.abs(v - register.data[i]) <= 1e-6 * scale));
  assert.deepEqual(direct.data, register.data);
  dy.dispose(), w.dispose();
});

Deno.test("split-K gives the same output whatever the split, and 1 never splits", async () => {
  await gpu();
  const x = Tensor.from(Float32Array.from({ length: 2 * 7 * 6 * 5 }, (_, i) => Math.sin(i)), [
    2,
    7,
    6,
    5,
  ]);
  const w = Tensor.from(Float32Array.from({ length: 4 * 7 * 9 }, (_, i) => Math.cos(i)), [
    4,
    7,
    3,
    3,
  ]);
  const outs: ArrayLike<number>[] = [];
  for (const splitK of [1, 2, 7, 100]) {
    convTuning.splitK = splitK;
    const y = conv2d(x, w, null, { padding: 1 });
    outs.push(await y.data());
    y.dispose();
  }
  convTuning.splitK = null;
  for (const o of outs.slice(1)) {
    for (let i = 0; i < o.length; i++) assert.ok(Math.abs(o[i] - outs[0][i]) <= 1e-4, `${i}`);
  }
  x.dispose();
  w.dispose();
});

Deno.test("PIX2PIXHD_CONV_SPLITK is a whole number of splits, named when bad", () => {
  assert.equal(parseSplitK(undefined), null);
  assert.equal(parseSplitK(""), null);
  assert.equal(parseSplitK("4"), 4);
  assert.throws(
    () => parseSplitK("0"),
    /PIX2PIXHD_CONV_SPLITK must be a whole number ≥ 1 \(1: never split\): current value is '0'/,
  );
  assert.throws(() => parseSplitK("two"), /current value is 'two'/);
});

Deno.test("PIX2PIXHD_CONV_KERNEL names a kernel, named when bad", () => {
  assert.equal(parseConvKernel(undefined), null);
  assert.equal(parseConvKernel(""), null);
  assert.equal(parseConvKernel("tiled"), "tiled");
  assert.equal(parseConvKernel("register"), "register");
  assert.equal(parseConvKernel("tiled-8x4"), "tiled-8x4");
  assert.throws(
    () => parseConvKernel("tiled-2x2"),
    /PIX2PIXHD_CONV_KERNEL must be one of tiled, register, register-direct, tiled-4x4, tiled-4x8, tiled-8x4, tiled-8x8: current value is 'tiled-2x2'/,
  );
});

Deno.test("conv2d with an input that needs no gradient gives the weight and bias gradients", () =>
  check({ ...base, cin: 3, cout: 4, h: 6, w: 7, kh: 3, kw: 3, padding: 1 }, false));

Deno.test("conv2d refuses bad shapes, strides and paddings", async () => {
  await gpu();
  const t = (shape: number[]) =>
    Tensor.from(new Float32Array(shape.reduce((a, b) => a * b)), shape);
  const x = t([1, 3, 5, 5]);
  const w = t([4, 3, 3, 3]);
  const b = t([4]);
  const all = [x, w, b];
  const fails = (f: () => unknown, name: string, message: RegExp) =>
    assert.throws(f, { name, message });
  fails(
    () => conv2d(t([3, 5, 5]), w, b),
    "TypeError",
    /must be 4D \(N, C, H, W\): current shape is \[3,5,5\]/,
  );
  fails(
    () => conv2d(x, t([4, 3, 3]), b),
    "TypeError",
    /weight of convolve as it must be 4D .*current shape is \[4,3,3\]/,
  );
  fails(
    () => conv2d(x, t([4, 2, 3, 3]), b),
    "TypeError",
    /channels must match dimension 1 of the weight \[4,2,3,3\]: current value is 3/,
  );
  fails(
    () => conv2d(x, w, t([5])),
    "TypeError",
    /bias must have shape \[4\]: current shape is \[5\]/,
  );
  fails(
    () => conv2d(x, w, b, { stride: 3 }),
    "RangeError",
    /stride must be 1 or 2: current value is 3/,
  );
  fails(
    () => conv2d(x, w, b, { padding: 1, paddingMode: "circular" as "reflect" }),
    "RangeError",
    /paddingMode must be 'zeros' or 'reflect': current value is 'circular'/,
  );
  fails(
    () => conv2d(x, w, b, { activation: -0.1 }),
    "RangeError",
    /activation as it must be 'relu' or a LeakyReLU's negative slope, a finite number ≥ 0: current value is -0.1/,
  );
  fails(
    () => conv2d(x, w, b, { padding: 5, paddingMode: "reflect" }),
    "RangeError",
    /reflection padding as the padding must be smaller than the input's sides: current value is 5 for an input of 5×5/,
  );
  fails(
    () => conv2d(x, w, b, { padding: -1 }),
    "RangeError",
    /padding must be a non-negative integer: current value is -1/,
  );
  fails(() => conv2d(x, w, b, { padding: 0.5 }), "RangeError", /current value is 0.5/);
  fails(
    () => conv2d(x, t([4, 3, 7, 7]), b),
    "RangeError",
    /at least as large as the kernel: current value is 5×5 for a 7×7 kernel/,
  );
  fails(
    () => conv2d(Tensor.from(new Int32Array(75), [1, 3, 5, 5]), w, b),
    "TypeError",
    /float32: current dtype is int32/,
  );
  for (const v of all) v.dispose();
}); // deno-fmt-ignore
