/**
 * What the adapter is and what it grants: one `webgpu.adapter` line (vendor, architecture,
 * device, description, the limits the engine asks for, every feature the adapter lists), then one
 * `webgpu.feature` line per feature of interest, each asked for in its own `requestDevice` on a
 * fresh adapter, so that a refusal or a crash of one does not hide the others. A granted feature
 * is then used: a small shader that needs it is compiled and run, and its output checked against
 * the same arithmetic on the CPU (for `wgpu-cooperative-matrix`, a 16×16 f16 × f16 product
 * accumulated in f32). Runs before the engine's own device is made.
 *
 * @module
 */

import { DEVICE_LIMITS } from "../../lib/gpu/device.ts";

/** The features the GPU bench asks about, one device each. */
export const PROBED_FEATURES = [
  "shader-f16",
  "subgroups",
  "timestamp-query",
  "wgpu-cooperative-matrix",
] as const;

async function adapter(): Promise<GPUAdapter> {
  if (typeof navigator === "undefined" || !navigator.gpu) {
    throw new Error("This runtime has no navigator.gpu (WebGPU)");
  }
  const found = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!found) throw new Error("navigator.gpu.requestAdapter() found no adapter");
  return found;
}

/** Prints the adapter line and one line per probed feature; returns the granted features. */
export async function benchFeatures(): Promise<string[]> {
  const first = await adapter();
  const info = first.info;
  const limits: Record<string, number> = {};
  for (const name of DEVICE_LIMITS) limits[name] = Number(first.limits[name]);
  console.log(JSON.stringify({
    name: "webgpu.adapter",
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    fallback: info.isFallbackAdapter,
    features: [...first.features].sort(),
    limits,
  }));
  const granted: string[] = [];
  for (const feature of PROBED_FEATURES) {
    const line: Record<string, unknown> = { name: "webgpu.feature", feature };
    try {
      const a = await adapter();
      line.listed = [...a.features as Iterable<string>].includes(feature);
      const device = await a.requestDevice({
        requiredFeatures: [feature as GPUFeatureName],
      });
      line.granted = [...device.features as Iterable<string>].includes(feature);
      if (line.granted) {
        granted.push(feature);
        const use = USES[feature];
        if (use) line.shader = await tryShader(device, use);
      }
      device.destroy();
    } catch (e) {
      line.granted = false;
      line.error = e instanceof Error ? e.message : String(e);
    }
    console.log(JSON.stringify(line));
  }
  return granted;
}

/** A shader that needs a feature, with its expected output. */
interface Use {
  code: string;
  /** Inputs (binding 0), as f32 or f16 bits; the output (binding 1) is f32. */
  input: Float32Array | Uint16Array;
  expected: Float32Array;
}

/** Float32 to IEEE half bits (the inputs used are exact in f16). */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  if (v === 0) return sign;
  return sign | (exp << 10) | ((u >>> 13) & 0x3ff);
}

function coopUse(): Use {
  const n = 16;
  const a = Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 9) / 4 - 1);
  const b = Float32Array.from({ length: n * n }, (_, i) => ((i * 5) % 11) / 8 - 0.5);
  const expected = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[r * n + k] * b[k * n + c];
      expected[r * n + c] = s;
    }
  }
  const input = new Uint16Array(2 * n * n);
  for (let i = 0; i < n * n; i++) input[i] = toHalf(a[i]), input[n * n + i] = toHalf(b[i]);
  return {
    code: `enable f16;
enable wgpu_cooperative_matrix;
@group(0) @binding(0) var<storage, read> ab: array<f16>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(32)
fn main() {
  let a = coopLoad<coop_mat16x16<f16, A>>(&ab[0], 16u);
  let b = coopLoad<coop_mat16x16<f16, B>>(&ab[256], 16u);
  var c = coop_mat16x16<f32, C>();
  c = coopMultiplyAdd(a, b, c);
  coopStore(c, &out[0], 16u);
}`,
    input,
    expected,
  };
}

function subgroupUse(): Use {
  const input = Float32Array.from({ length: 64 }, (_, i) => i);
  return {
    // wgpu takes subgroup built-ins without `enable subgroups;`, which its WGSL parser refuses.
    code: `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) i: u32, @builtin(subgroup_size) size: u32) {
  // The sum over the subgroup, less the sum the CPU would give for a subgroup of 'size' lanes.
  let first = (i / size) * size;
  let want = f32(size) * (f32(first) + f32(size - 1u) / 2.0);
  out[i] = subgroupAdd(x[i]) - want;
}`,
    input,
    expected: new Float32Array(64),
  };
}

function f16Use(): Use {
  const input = Float32Array.from({ length: 64 }, (_, i) => i / 8 - 4);
  return {
    code: `enable f16;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) i: u32) {
  let h = f16(x[i]);
  out[i] = f32(h * h + h);
}`,
    input,
    expected: input.map((v) => v * v + v),
  };
}

const USES: Partial<Record<string, () => Use>> = {
  "shader-f16": f16Use,
  "subgroups": subgroupUse,
  "wgpu-cooperative-matrix": coopUse,
};

/** Compiles and runs a feature's shader; says whether its output matched. */
async function tryShader(device: GPUDevice, make: () => Use): Promise<string> {
  const use = make();
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ code: use.code });
  const messages = (await module.getCompilationInfo()).messages
    .filter((m) => m.type === "error").map((m) => m.message);
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await device.createComputePipelineAsync({
      layout: "auto",
      compute: { module, entryPoint: "main" },
    });
  } catch (e) {
    await device.popErrorScope();
    return `does not compile: ${[...messages, e instanceof Error ? e.message : e].join("; ")}`;
  }
  const scoped = await device.popErrorScope();
  if (scoped || messages.length > 0) {
    return `does not compile: ${[...messages, scoped?.message ?? ""].join("; ")}`;
  }
  const inBytes = Math.ceil(use.input.byteLength / 4) * 4;
  const input = device.createBuffer({
    size: inBytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(
    input,
    0,
    use.input.buffer as ArrayBuffer,
    use.input.byteOffset,
    inBytes,
  );
  const size = use.expected.byteLength;
  const out = device.createBuffer({
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const read = device.createBuffer({
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(
    0,
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: input } }, {
        binding: 1,
        resource: { buffer: out },
      }],
    }),
  );
  pass.dispatchWorkgroups(1);
  pass.end();
  encoder.copyBufferToBuffer(out, 0, read, 0, size);
  device.queue.submit([encoder.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const got = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - use.expected[i]);
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  for (const b of [input, out, read]) b.destroy();
  return worst <= 1e-3 ? "runs, output matches the CPU" : `runs, output off by up to ${worst}`;
}
