import assert from "node:assert/strict";
import { gpu } from "../../tests/check.ts";
import { adapterLine, backendOf } from "./device.ts";
import { GpuKernelError, parsePoolMode } from "./kernel.ts";
import { sizeClass } from "./pool.ts";

Deno.test("the device asks for the adapter's own limits", async () => {
  const rt = await gpu();
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  assert.ok(adapter);
  assert.equal(
    rt.gpu.limits.maxStorageBufferBindingSize,
    adapter.limits.maxStorageBufferBindingSize,
  );
  assert.equal(
    rt.gpu.limits.maxStorageBuffersPerShaderStage,
    adapter.limits.maxStorageBuffersPerShaderStage,
  );
  assert.ok(rt.gpu.adapter.length > 0);
});

Deno.test("a WGSL error is thrown naming the kernel", async () => {
  const rt = await gpu();
  const bad = {
    name: "broken_op",
    code: "@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }",
    entry: "main",
  };
  const b = rt.pool.acquire(16);
  rt.dispatch(bad, [], [0], [1]);
  await assert.rejects(rt.sync(), (e: unknown) => {
    assert.ok(e instanceof GpuKernelError);
    assert.match(e.message, /broken_op/);
    return true;
  });
  rt.pool.release(b);
});

Deno.test("dispatch refuses grids beyond the device's limit", async () => {
  const rt = await gpu();
  const k = { name: "noop", code: "@compute @workgroup_size(1) fn main() {}", entry: "main" };
  assert.throws(() => rt.dispatch(k, [], [0], [70000]), {
    name: "RangeError",
    message: /noop.*70000/,
  });
  assert.deepEqual(rt.grid(70000), [35000, 2]);
});

Deno.test("the pool reuses released buffers by size class and counts bytes", async () => {
  const rt = await gpu();
  assert.equal(sizeClass(1), 256);
  assert.equal(sizeClass(1000), 1024);
  assert.equal(sizeClass(1025), 1280);
  const before = rt.pool.stats();
  const a = rt.pool.acquire(1000);
  assert.equal(rt.pool.stats().inUse, before.inUse + 1024);
  rt.pool.release(a);
  const b = rt.pool.acquire(900);
  assert.equal(b, a);
  rt.pool.release(b);
  assert.equal(rt.pool.stats().inUse, before.inUse);
});

Deno.test("the backend is told from DENO_WEBGPU_BACKEND, the OS, and Mesa's two llvmpipe drivers", () => {
  const lavapipe = { description: "llvmpipe (LLVM 15.0.6, 256 bits)", f16: true, os: "linux" };
  assert.equal(backendOf(lavapipe), "Vulkan (lavapipe)");
  assert.equal(backendOf({ ...lavapipe, f16: false }), "OpenGL (llvmpipe)");
  assert.equal(backendOf({ ...lavapipe, env: "gl" }), "OpenGL (llvmpipe)");
  assert.equal(backendOf({ description: "NVIDIA H200", f16: true, os: "linux" }), "Vulkan");
  assert.equal(backendOf({ description: "Apple M2", f16: true, os: "darwin" }), "Metal");
  assert.equal(backendOf({ description: "x", f16: true, os: "windows", env: "dx12" }), "D3D12");
  assert.match(
    adapterLine({ adapter: "llvmpipe (fallback)", backend: "OpenGL (llvmpipe)" }),
    /^adapter: llvmpipe \(fallback\), OpenGL \(llvmpipe\)\nnote: .*'apt-get install mesa-vulkan-drivers'/,
  );
  assert.equal(
    adapterLine({ adapter: "NVIDIA H200", backend: "Vulkan" }),
    "adapter: NVIDIA H200, Vulkan",
  );
});

Deno.test("PIX2PIXHD_POOL is lean or keep, named when bad", () => {
  assert.equal(parsePoolMode(undefined), null);
  assert.equal(parsePoolMode(""), null);
  assert.equal(parsePoolMode("keep"), "keep");
  assert.throws(
    () => parsePoolMode("small"),
    /PIX2PIXHD_POOL must be 'lean' or 'keep': current value is 'small'/,
  );
});
