/**
 * A pool of storage buffers grouped in size classes, so that the buffers of one training step are
 * reused by the next instead of being created again or left to the garbage collector.
 *
 * @module
 */

const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Rounds a byte count up to its size class: 8 classes per power of two, 256-byte aligned. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const step = Math.max(256, 2 ** Math.floor(Math.log2(bytes)) / 8);
  return Math.ceil(bytes / step) * step;
}

/** Memory counters of a pool, in bytes. */
export interface PoolStats {
  /** Bytes held in buffers in use. */
  inUse: number;
  /** Bytes held in buffers in use or kept for reuse. */
  allocated: number;
  /** The most bytes ever allocated at once. */
  peak: number;
}

/**
 * Hands out GPU buffers and takes them back for reuse.
 *
 * @example
 * ```ts ignore
 * const pool = new BufferPool(device);
 * const b = pool.acquire(1024);
 * pool.release(b);
 * ```
 */
export class BufferPool {
  readonly #device: GPUDevice;
  readonly #free = new Map<number, GPUBuffer[]>();
  #inUse = 0;
  #allocated = 0;
  #peak = 0;

  /** An empty pool of `device`'s buffers. */
  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** A buffer of at least `bytes` bytes, usable as storage, copy source and copy destination. */
  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const reused = this.#free.get(size)?.pop();
    this.#inUse += size;
    if (reused) return reused;
    this.#allocated += size;
    this.#peak = Math.max(this.#peak, this.#allocated);
    return this.#device.createBuffer({ size, usage: USAGE });
  }

  /** Takes a buffer back; it may be handed out again at once (the queue keeps GPU work ordered). */
  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    this.#inUse -= size;
    const list = this.#free.get(size);
    if (list) list.push(buffer);
    else this.#free.set(size, [buffer]);
  }

  /** Destroys every buffer kept for reuse. */
  trim(): void {
    for (const list of this.#free.values()) {
      for (const buffer of list) {
        this.#allocated -= buffer.size;
        buffer.destroy();
      }
    }
    this.#free.clear();
  }

  /** Starts a new peak measurement from the current allocation. */
  resetPeak(): void {
    this.#peak = this.#allocated;
  }

  /** The current counters. */
  stats(): PoolStats {
    return { inUse: this.#inUse, allocated: this.#allocated, peak: this.#peak };
  }
}
