/**
 * What the GPU costs besides arithmetic: `gpu.sync` is one empty submission waited for
 * (`onSubmittedWorkDone`), the floor under any step that reads back or synchronizes;
 * `gpu.dispatch` is one dispatch of a one-workgroup kernel, from 1000 recorded in one compute
 * pass (a new bind group each, as the engine does) and submitted together, the floor under a step
 * of many small dispatches. Medians of the timed runs, on the engine's device.
 *
 * @module
 */

import { initGpu } from "../../lib/gpu/kernel.ts";
import { median } from "./util.ts";

const KERNEL = `@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  x[id.x] = x[id.x] * 0.5 + 1.0;
}`;

/** Prints the `gpu.sync` and `gpu.dispatch` lines. */
export async function benchLatency(): Promise<void> {
  const rt = await initGpu();
  const device = rt.device;
  const adapter = rt.gpu.adapter;
  const syncs: number[] = [];
  for (let i = 0; i < 55; i++) {
    const t0 = performance.now();
    device.queue.submit([device.createCommandEncoder().finish()]);
    await device.queue.onSubmittedWorkDone();
    if (i >= 5) syncs.push(performance.now() - t0);
  }
  console.log(JSON.stringify({
    name: "gpu.sync",
    shape: "an empty submission, waited for",
    ms: Number(median(syncs).toFixed(4)),
    adapter,
  }));

  const buffer = device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE });
  const module = device.createShaderModule({ code: KERNEL });
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const n = 1000;
  const runs: number[] = [];
  for (let r = 0; r < 8; r++) {
    const t0 = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    for (let i = 0; i < n; i++) {
      pass.setBindGroup(
        0,
        device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [{ binding: 0, resource: { buffer } }],
        }),
      );
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    if (r >= 2) runs.push((performance.now() - t0) / n);
  }
  buffer.destroy();
  console.log(JSON.stringify({
    name: "gpu.dispatch",
    shape: "one 64-thread workgroup, 1000 per submission, a bind group each",
    ms: Number(median(runs).toFixed(5)),
    adapter,
  }));
}
