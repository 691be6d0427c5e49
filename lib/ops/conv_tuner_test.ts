import assert from "node:assert/strict";
import { gpu } from "../../tests/check.ts";
import { runtime } from "../gpu/kernel.ts";
import { Tensor } from "../tensor/tensor.ts";
import { conv2d } from "./conv2d.ts";
import { withConvKernel } from "./conv_gemm.ts";
import {
  CONV_VARIANTS,
  convTuner,
  type ConvVariant,
  parseTuneMode,
  resetConvTuner,
  tuneConvs,
  tuneKey,
} from "./conv_tuner.ts";

/** Runs `fn` with the tuner on a file of its own in `mode`, warnings collected, then restores. */
async function withTuner(
  mode: "on" | "off" | "retune",
  fn: (file: string, warnings: string[]) => Promise<void>,
): Promise<void> {
  await gpu();
  const dir = await Deno.makeTempDir({ prefix: "pix2pixhd-tune-" });
  const file = `${dir}/cache/conv_tuning.json`;
  const before = { ...convTuner };
  const warnings: string[] = [];
  convTuner.mode = mode;
  convTuner.file = file;
  convTuner.warn = (m) => void warnings.push(m);
  resetConvTuner();
  try {
    await fn(file, warnings);
  } finally {
    Object.assign(convTuner, before);
    resetConvTuner();
    await Deno.remove(dir, { recursive: true });
  }
}

const X = [1, 20, 9, 13];
const W = [24, 20, 3, 3];
const BUCKET = "forward 20->24 3x3 s1 p1 px128";

function inputs(): [Tensor, Tensor] {
  const size = (s: number[]) => s.reduce((a, b) => a * b);
  return [
    Tensor.from(Float32Array.from({ length: size(X) }, (_, i) => Math.sin(i * 0.37)), X),
    Tensor.from(Float32Array.from({ length: size(W) }, (_, i) => Math.cos(i * 0.11)), W),
  ];
}

/** The forward output of the test layer, with the tuner's choice or `forced`. */
async function output(forced?: ConvVariant): Promise<Float32Array> {
  const [x, w] = inputs();
  const run = async () => {
    const y = conv2d(x, w, null, { padding: 1 });
    const out = await y.floats();
    y.dispose();
    return out;
  };
  try {
    return forced ? await withConvKernel(forced, run) : await run();
  } finally {
    x.dispose();
    w.dispose();
  }
}

/** What `fn` gives, and the conv kernels it dispatched (with the tile of the tiled ones). */
async function dispatched<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const rt = runtime();
  const names: string[] = [];
  const dispatch = rt.dispatch;
  rt.dispatch = (kernel, ...rest) => {
    const tile = kernel.code.match(/^const TM = (\d)u;\nconst TN = (\d)u;/);
    if (kernel.name.startsWith("conv2d.") && kernel.entry !== "pack") {
      names.push(tile ? `${kernel.name} TM ${tile[1]} TN ${tile[2]}` : kernel.name);
    }
    return dispatch.call(rt, kernel, ...rest);
  };
  try {
    return [await fn(), names];
  } finally {
    rt.dispatch = dispatch;
  }
}

function readCache(file: string) {
  return JSON.parse(Deno.readTextFileSync(file)).adapters[tuneKey()];
}

Deno.test("the conv tuner times a new layer shape, keeps the fastest variant and reloads it", () =>
  withTuner("on", async (file, warnings) => {
    const heuristic = await output();
    assert.deepEqual([...convTuner.pending.keys()], [BUCKET]);
    const lines: string[] = [];
    const report = await tuneConvs((l) => void lines.push(l));
    assert.equal(report?.tuned, 1);
    assert.equal(report?.left, 0);
    assert.equal(report?.file, file);
    assert.match(
      lines[0],
      /conv tuning on .*: 1 layer shape\(s\) timed in [\d.]+ s; choices kept in /,
    );
    const entry = readCache(file)[BUCKET];
    assert.deepEqual(Object.keys(entry.ms), [...CONV_VARIANTS]);
    const fastest = CONV_VARIANTS.reduce((b, v) => (entry.ms[v] < entry.ms[b] ? v : b));
    assert.equal(entry.variant, fastest);
    // Nothing is queued twice, and nothing is left to time.
    assert.equal(await tuneConvs(), null);

    // A fresh process (the tuner reset) reads the file: the layer runs with the cached variant,
    // whichever it is, and nothing is queued.
    for (const variant of ["tiled-8x4", "register"] as const) {
      const cached = JSON.parse(Deno.readTextFileSync(file));
      cached.adapters[tuneKey()][BUCKET].variant = variant;
      Deno.writeTextFileSync(file, JSON.stringify(cached));
      resetConvTuner();
      const [y, kernels] = await dispatched(() => output());
      assert.equal(convTuner.pending.size, 0);
      assert.deepEqual(kernels, [
        variant === "register" ? "conv2d.correlate" : "conv2d.tiled_correlate TM 8 TN 4",
      ]);
      assert.deepEqual(y, await output(variant));
      assert.equal(y.length, heuristic.length);
    }
    assert.deepEqual(warnings, []);
  }));

Deno.test("retune times the shape again and replaces the adapter's entries", () =>
  withTuner("on", async (file) => {
    await Deno.mkdir(file.replace(/\/[^/]*$/, ""), { recursive: true });
    const stale = { variant: "register", ms: { register: 1 } };
    const old = { [BUCKET]: stale, "weight_grad 1->1 1x1 s1 p0 px1": stale };
    const otherAdapter = { "forward 1->1 1x1 s1 p0 px1": stale };
    Deno.writeTextFileSync(
      file,
      JSON.stringify({
        format: "pix2pixhd-conv-tuning",
        adapters: { [tuneKey()]: old, "another GPU": otherAdapter },
      }),
    );
    convTuner.mode = "retune";
    await output();
    assert.deepEqual([...convTuner.pending.keys()], [BUCKET]);
    await tuneConvs();
    const data = JSON.parse(Deno.readTextFileSync(file));
    assert.deepEqual(Object.keys(data.adapters[tuneKey()]), [BUCKET]);
    assert.deepEqual(Object.keys(data.adapters[tuneKey()][BUCKET].ms), [...CONV_VARIANTS]);
    assert.deepEqual(data.adapters["another GPU"], otherAdapter);
  }));

Deno.test("a corrupt or foreign tuning file is ignored with a warning, then replaced whole", () =>
  withTuner("on", async (file, warnings) => {
    await Deno.mkdir(file.replace(/\/[^/]*$/, ""), { recursive: true });
    for (
      const [text, why] of [
        ["{ not json", /conv_tuning\.json as it is not a tuning file: /],
        [
          '{"format": "something else", "adapters": {}}',
          /its format must be 'pix2pixhd-conv-tuning'/,
        ],
        [
          JSON.stringify({
            format: "pix2pixhd-conv-tuning",
            adapters: { [tuneKey()]: { [BUCKET]: { variant: "fastest" } } },
          }),
          /has no known variant/,
        ],
      ] as const
    ) {
      Deno.writeTextFileSync(file, text);
      warnings.length = 0;
      resetConvTuner();
      await output();
      assert.equal(warnings.length, 1, text);
      assert.match(warnings[0], why);
      assert.deepEqual([...convTuner.pending.keys()], [BUCKET]);
      convTuner.pending.clear();
    }
    await output();
    await tuneConvs();
    assert.equal(readCache(file)[BUCKET].ms.register > 0, true);
    const leftovers = [...Deno.readDirSync(file.replace(/\/[^/]*$/, ""))].map((e) => e.name);
    assert.deepEqual(leftovers, ["conv_tuning.json"]);
  }));

Deno.test("with tuning off nothing is queued or written; an exhausted budget leaves shapes", () =>
  withTuner("off", async (file) => {
    await output();
    assert.equal(convTuner.pending.size, 0);
    assert.equal(await tuneConvs(), null);
    assert.throws(() => Deno.statSync(file), Deno.errors.NotFound);

    convTuner.mode = "on";
    convTuner.budgetMs = -1;
    await output();
    const report = await tuneConvs();
    assert.equal(report?.tuned, 0);
    assert.equal(report?.left, 1);
    // Left shapes keep the heuristic choice in this process, and are timed in the next.
    await output();
    assert.equal(convTuner.pending.size, 0);
  }));

Deno.test("PIX2PIXHD_CONV_TUNE is on, off or retune, named when bad", () => {
  assert.equal(parseTuneMode(undefined), null);
  assert.equal(parseTuneMode(""), null);
  assert.equal(parseTuneMode("retune"), "retune");
  assert.throws(
    () => parseTuneMode("yes"),
    /PIX2PIXHD_CONV_TUNE must be 'on', 'off' or 'retune': current value is 'yes'/,
  );
});
