/**
 * Kernels as plain data, compiled once into cached pipelines, dispatched into a shared command
 * encoder that is submitted in batches. Nothing is read back unless asked for.
 *
 * Binding convention of every kernel: `@binding(0)` is a uniform struct of 32-bit parameters,
 * `@binding(1)`, `@binding(2)`, ... are the storage buffers in the order given to {@linkcode
 * Runtime.dispatch}.
 *
 * @module
 */

import { envVar, getGpu, type Gpu } from "./device.ts";
import { BufferPool } from "./pool.ts";

/** A compute kernel: WGSL source and the entry point to run. */
export interface Kernel {
  /** The op's name, used in labels and error messages. */
  readonly name: string;
  /** The WGSL source. */
  readonly code: string;
  /** The entry point in `code`. */
  readonly entry: string;
}

/** A WGSL validation error or a device error, naming the kernel it came from. */
export class GpuKernelError extends Error {
  /** An error of kernel `kernel` with the device's `message`. */
  constructor(kernel: string, message: string) {
    super(`Cannot run kernel '${kernel}' as the GPU rejected it: ${message}`);
    this.name = "GpuKernelError";
  }
}

/** The bits of a float32, for passing float parameters in a kernel's u32 parameter block. */
export function f32bits(x: number): number {
  F32[0] = x;
  return U32[0];
}
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

const PARAM_SLOT = 256; // bytes per dispatch; also the uniform offset alignment
const PARAM_SLOTS = 512; // dispatches per submitted batch

/** Runs kernels on the process's device. */
export class Runtime {
  /** The device and what it can do. */
  readonly gpu: Gpu;
  /** The WebGPU device. */
  readonly device: GPUDevice;
  /** The buffers tensors borrow and give back. */
  readonly pool: BufferPool;
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #errors: Promise<GpuKernelError | null>[] = [];
  readonly #params = new Uint32Array((PARAM_SLOT * PARAM_SLOTS) / 4);
  readonly #paramBuffer: GPUBuffer;
  #slot = 0;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #lastKernel = "";
  /** The buffers bound by the work recorded since the last submission. */
  readonly #recorded = new Set<GPUBuffer>();
  /** While {@linkcode Runtime.gpuTime} measures: its query set and the passes begun. */
  #timing: { set: GPUQuerySet; passes: number } | null = null;
  /** Dispatches recorded since the runtime was made. */
  dispatches = 0;

  /** A runtime on `gpu`'s device. */
  constructor(gpu: Gpu) {
    this.gpu = gpu;
    this.device = gpu.device;
    this.pool = new BufferPool(gpu.device, {
      pending: (buffer) => this.#recorded.has(buffer),
      flush: () => this.flush(),
    });
    this.pool.lean = parsePoolMode(envVar("PIX2PIXHD_POOL")) !== "keep";
    this.#paramBuffer = gpu.device.createBuffer({
      size: PARAM_SLOT * PARAM_SLOTS,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    gpu.device.addEventListener("uncapturederror", (event) => {
      const message = (event as GPUUncapturedErrorEvent).error.message;
      this.#errors.push(Promise.resolve(new GpuKernelError(this.#lastKernel, message)));
    });
  }

  /** The cached pipeline of a kernel, compiled on first use. */
  pipeline(kernel: Kernel): GPUComputePipeline {
    const key = `${kernel.name}\0${kernel.entry}\0${kernel.code}`;
    let pipeline = this.#pipelines.get(key);
    if (pipeline) return pipeline;
    this.device.pushErrorScope("validation");
    const label = `${kernel.name}.${kernel.entry}`;
    const module = this.device.createShaderModule({ label, code: kernel.code });
    pipeline = this.device.createComputePipeline({
      label,
      layout: "auto",
      compute: { module, entryPoint: kernel.entry },
    });
    this.#errors.push(
      this.device.popErrorScope().then((e) => e && new GpuKernelError(label, e.message)),
    );
    this.#pipelines.set(key, pipeline);
    return pipeline;
  }

  /**
   * Records one dispatch. `params` are the kernel's 32-bit parameters (use {@linkcode f32bits}
   * for floats); `workgroups` is the grid, at most `maxComputeWorkgroupsPerDimension` per axis.
   */
  dispatch(
    kernel: Kernel,
    buffers: readonly GPUBuffer[],
    params: readonly number[],
    workgroups: readonly [number, number?, number?],
  ): void {
    const limit = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    for (const n of workgroups) {
      if (n !== undefined && (n < 0 || n > limit || !Number.isInteger(n))) {
        throw new RangeError(
          `Cannot dispatch kernel '${kernel.name}' as a grid size must be an integer in 0..${limit}: current value is ${n}`,
        );
      }
    }
    if (params.length > PARAM_SLOT / 4) {
      throw new RangeError(
        `Cannot dispatch kernel '${kernel.name}' as it takes at most ${
          PARAM_SLOT / 4
        } parameters: current value is ${params.length}`,
      );
    }
    if (workgroups.some((n) => n === 0)) return;
    const pipeline = this.pipeline(kernel);
    if (this.#slot === PARAM_SLOTS) this.flush();
    const offset = this.#slot * PARAM_SLOT;
    this.#params.set(params, offset / 4);
    this.#slot++;
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: this.#paramBuffer, offset, size: PARAM_SLOT } },
    ];
    buffers.forEach((buffer, i) => {
      entries.push({ binding: i + 1, resource: { buffer } });
      this.#recorded.add(buffer);
    });
    const bindGroup = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    this.#encoder ??= this.device.createCommandEncoder();
    this.#pass ??= this.#beginPass(this.#encoder);
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, bindGroup);
    this.#pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
    this.#lastKernel = kernel.name;
    this.dispatches++;
  }

  /** The 2D grid for `count` workgroups, for kernels that linearize `wid.y * nwg.x + wid.x`. */
  grid(count: number): [number, number] {
    const limit = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    if (count <= limit) return [count, 1];
    const y = Math.ceil(count / limit);
    return [Math.ceil(count / y), y];
  }

  /** Records a copy between buffers, after every dispatch recorded so far. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.#endPass();
    this.#encoder ??= this.device.createCommandEncoder();
    this.#encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.#recorded.add(src).add(dst);
  }

  /** Submits everything recorded so far. Does not wait for the GPU. */
  flush(): void {
    this.#endPass();
    if (!this.#encoder) return;
    if (this.#slot > 0) {
      this.device.queue.writeBuffer(this.#paramBuffer, 0, this.#params, 0, this.#slot * 64);
    }
    this.device.queue.submit([this.#encoder.finish()]);
    this.#encoder = null;
    this.#slot = 0;
    this.#recorded.clear();
  }

  /** Writes bytes into a buffer, after every dispatch recorded so far. */
  write(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.flush();
    this.device.queue.writeBuffer(
      buffer,
      offset,
      data.buffer as ArrayBuffer,
      data.byteOffset,
      data.byteLength,
    );
  }

  /** Reads `bytes` bytes of a buffer back to the CPU (waits for all recorded work). */
  read(buffer: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    return this.#readBack([{ buffer, offset, bytes: Math.ceil(bytes / 4) * 4 }], bytes);
  }

  /**
   * Reads several buffer ranges back to the CPU in one transfer (waits for all recorded work):
   * the ranges' bytes one after another, each a whole number of 4-byte words.
   */
  readParts(
    parts: readonly { buffer: GPUBuffer; offset: number; bytes: number }[],
  ): Promise<ArrayBuffer> {
    let size = 0;
    for (const p of parts) {
      if (p.bytes % 4 || p.offset % 4) {
        throw new RangeError(
          `Cannot read a range back as its offset and size must be multiples of 4: current value is ${p.offset}+${p.bytes}`,
        );
      }
      size += p.bytes;
    }
    return this.#readBack(parts, size);
  }

  /** Copies the ranges into one staging buffer, maps it and returns its first `keep` bytes. */
  async #readBack(
    parts: readonly { buffer: GPUBuffer; offset: number; bytes: number }[],
    keep: number,
  ): Promise<ArrayBuffer> {
    const staging = this.device.createBuffer({
      size: parts.reduce((sum, p) => sum + p.bytes, 0),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      let at = 0;
      for (const p of parts) {
        this.copy(p.buffer, p.offset, staging, at, p.bytes);
        at += p.bytes;
      }
      this.flush();
      await staging.mapAsync(GPUMapMode.READ);
      await this.check();
      return staging.getMappedRange().slice(0, keep);
    } finally {
      staging.destroy();
    }
  }

  /** Throws the first GPU error seen since the last check, naming its kernel. */
  async check(): Promise<void> {
    const pending = this.#errors.splice(0);
    const errors = (await Promise.all(pending)).filter((e) => e !== null);
    if (errors.length > 0) throw errors[0];
  }

  /** Waits until the GPU has finished all submitted work. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.check();
  }

  /**
   * Runs `fn` and returns the GPU time in milliseconds of the dispatches it records, from
   * timestamp queries around their compute pass: null where the device has no timestamp queries,
   * or where `fn` recorded nothing or more than one pass (a copy or a write in between).
   */
  async gpuTime(fn: () => void): Promise<number | null> {
    if (!this.gpu.hasTimestamps) {
      fn();
      return null;
    }
    this.flush();
    const set = this.device.createQuerySet({ type: "timestamp", count: 2 });
    const timing = { set, passes: 0 };
    this.#timing = timing;
    try {
      fn();
    } finally {
      this.#endPass();
      this.#timing = null;
    }
    const resolved = this.device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    try {
      if (timing.passes !== 1) return null;
      this.#encoder ??= this.device.createCommandEncoder();
      this.#encoder.resolveQuerySet(set, 0, 2, resolved, 0);
      const [t0, t1] = new BigUint64Array(await this.read(resolved, 16));
      return Number(t1 - t0) / 1e6;
    } finally {
      set.destroy();
      resolved.destroy();
    }
  }

  #beginPass(encoder: GPUCommandEncoder): GPUComputePassEncoder {
    const timing = this.#timing;
    if (!timing || timing.passes++ > 0) return encoder.beginComputePass();
    return encoder.beginComputePass({
      timestampWrites: {
        querySet: timing.set,
        beginningOfPassWriteIndex: 0,
        endOfPassWriteIndex: 1,
      },
    });
  }

  #endPass(): void {
    this.#pass?.end();
    this.#pass = null;
  }
}

/**
 * PIX2PIXHD_POOL: `lean` (the default: idle buffers are destroyed rather than the pool growing
 * past its peak) or `keep` (kept buffers are only reused); null when unset or empty; throws if
 * bad.
 */
export function parsePoolMode(v: string | undefined): "lean" | "keep" | null {
  if (v === undefined || v === "") return null;
  if (v !== "lean" && v !== "keep") {
    throw new RangeError(`PIX2PIXHD_POOL must be 'lean' or 'keep': current value is '${v}'`);
  }
  return v;
}

let current: Runtime | undefined;
let starting: Promise<Runtime> | undefined;

/** Creates the runtime on the process's device (once) and returns it. */
export function initGpu(): Promise<Runtime> {
  starting ??= getGpu().then((gpu) => (current = new Runtime(gpu)));
  return starting;
}

/** The runtime; `await initGpu()` must have been called. */
export function runtime(): Runtime {
  if (!current) {
    throw new Error("Cannot use the GPU before it is ready: call 'await initGpu()' first");
  }
  return current;
}
