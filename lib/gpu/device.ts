/**
 * The one WebGPU device of the process: the high-performance adapter, asked for its own limits
 * (WebGPU's defaults would otherwise cap storage bindings at 128 MiB and 8 buffers per stage).
 *
 * @module
 */

/** What the engine knows about the device it runs on. */
export interface Gpu {
  /** The WebGPU device every kernel runs on. */
  readonly device: GPUDevice;
  /** A one-line description of the adapter, for logs and benchmark lines. */
  readonly adapter: string;
  /** True for a software adapter such as Mesa's lavapipe. */
  readonly isFallback: boolean;
  /** The limits the device was created with. */
  readonly limits: GPUSupportedLimits;
  /** Whether WGSL `enable f16;` may be used. */
  readonly hasF16: boolean;
  /** Whether timestamp queries may be used. */
  readonly hasTimestamps: boolean;
  /** The graphics API under WebGPU, as far as it can be told (see {@linkcode backendOf}). */
  readonly backend: string;
}

/** What {@linkcode backendOf} looks at. */
export interface BackendClues {
  /** The adapter's description. */
  description: string;
  /** Whether the adapter offers `shader-f16`. */
  f16: boolean;
  /** `Deno.build.os`, or undefined outside Deno. */
  os?: string;
  /** DENO_WEBGPU_BACKEND, where set. */
  env?: string;
}

/**
 * The graphics API under WebGPU. WebGPU does not say, so: the one DENO_WEBGPU_BACKEND asks for;
 * else Metal on macOS, D3D12 on Windows, and on Linux Vulkan, except that Mesa's llvmpipe
 * without `shader-f16` is its OpenGL driver (Deno's fallback when no Vulkan driver is
 * installed; its Vulkan driver, lavapipe, has the same name and offers `shader-f16`).
 */
export function backendOf(c: BackendClues): string {
  const llvmpipe = c.description.includes("llvmpipe");
  const named = c.env?.toLowerCase();
  const api = named === "gl" || named === "opengl" || named === "gles"
    ? "OpenGL"
    : named === "vulkan"
    ? "Vulkan"
    : named === "metal"
    ? "Metal"
    : named === "dx12" || named === "d3d12"
    ? "D3D12"
    : named
    ? c.env!
    : c.os === "darwin"
    ? "Metal"
    : c.os === "windows"
    ? "D3D12"
    : llvmpipe && !c.f16
    ? "OpenGL"
    : c.os === "linux" || llvmpipe
    ? "Vulkan"
    : "unknown";
  if (llvmpipe && api === "OpenGL") return "OpenGL (llvmpipe)";
  if (llvmpipe && api === "Vulkan") return "Vulkan (lavapipe)";
  return api;
}

/**
 * The line the command-line programs print about the device: the adapter and its backend, and
 * on Mesa's OpenGL fallback the one-line fix for a faster adapter.
 */
export function adapterLine(gpu: Pick<Gpu, "adapter" | "backend">): string {
  const line = `adapter: ${gpu.adapter}, ${gpu.backend}`;
  return gpu.backend === "OpenGL (llvmpipe)"
    ? `${line}\nnote: this is Mesa's OpenGL software driver, slower and without shader-f16; on Debian or Ubuntu, 'apt-get install mesa-vulkan-drivers' gives its Vulkan one (lavapipe)`
    : line;
}

/** The limits the device is asked for at the adapter's own values. */
export const DEVICE_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
] as const;

const NO_ADAPTER = "Cannot find a WebGPU adapter: install a GPU driver with Vulkan, Metal or " +
  "D3D12 support, or on Debian/Ubuntu run 'apt-get install mesa-vulkan-drivers' for the CPU " +
  "fallback (lavapipe)";

let pending: Promise<Gpu> | undefined;

/**
 * Returns the process's device, creating it on the first call.
 *
 * @example Print the adapter
 * ```ts
 * import { getGpu } from "./device.ts";
 * const gpu = await getGpu();
 * console.log(gpu.adapter);
 * ```
 */
export function getGpu(): Promise<Gpu> {
  pending ??= createGpu();
  return pending;
}

async function createGpu(): Promise<Gpu> {
  if (typeof navigator === "undefined" || !navigator.gpu) throw new Error(NO_ADAPTER);
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error(NO_ADAPTER);
  const requiredLimits: Record<string, number> = {};
  for (const name of DEVICE_LIMITS) {
    requiredLimits[name] = Math.min(Number(adapter.limits[name]), Number.MAX_SAFE_INTEGER);
  }
  const requiredFeatures: GPUFeatureName[] = [];
  for (const name of ["shader-f16", "timestamp-query"] as const) {
    if (adapter.features.has(name)) requiredFeatures.push(name);
  }
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = adapter.info;
  const description = info.description || `${info.vendor} ${info.device}`.trim();
  return {
    device,
    adapter: info.isFallbackAdapter ? `${description} (fallback)` : description,
    isFallback: info.isFallbackAdapter,
    limits: device.limits,
    hasF16: device.features.has("shader-f16"),
    hasTimestamps: device.features.has("timestamp-query"),
    backend: backendOf({
      description,
      f16: adapter.features.has("shader-f16"),
      os: globalThis.Deno?.build.os,
      env: envVar("DENO_WEBGPU_BACKEND"),
    }),
  };
}

/**
 * An environment variable, or undefined where it is unset or empty, or cannot be read (in a
 * browser, or in Deno without --allow-env).
 */
export function envVar(name: string): string | undefined {
  try {
    return globalThis.Deno?.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
