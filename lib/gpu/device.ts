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
  };
}
