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

/** How far above a request's size class a kept buffer may be handed out instead (best fit). */
const BEST_FIT = 1.5;

/** What a {@linkcode BufferPool} asks of the runtime that records work with its buffers. */
export interface PoolHooks {
  /** Whether `buffer` is bound by work recorded but not yet submitted. */
  pending(buffer: GPUBuffer): boolean;
  /** Submits the work recorded so far. */
  flush(): void;
}

/**
 * Hands out GPU buffers and takes them back for reuse. A request takes a kept buffer of its size
 * class, else the smallest kept one up to 1.5× larger (best fit), else a new buffer; a new buffer
 * that would take the pool past its high-water mark (the peak) destroys kept buffers first, the
 * longest idle first, so that buffers idle in one phase of a step (the forward pass's sizes during
 * the backward pass) are not held beside the ones the step needs then.
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
  readonly #hooks: PoolHooks | null;
  readonly #free = new Map<number, GPUBuffer[]>();
  /** Kept buffers in the order they were released (the longest idle first). */
  readonly #idle = new Set<GPUBuffer>();
  #inUse = 0;
  #allocated = 0;
  #peak = 0;
  /**
   * Whether to destroy idle buffers rather than grow past the peak (needs the hooks). Off, kept
   * buffers are only reused.
   */
  lean = true;

  /** An empty pool of `device`'s buffers; `hooks` lets it destroy buffers safely mid-step. */
  constructor(device: GPUDevice, hooks: PoolHooks | null = null) {
    this.#device = device;
    this.#hooks = hooks;
  }

  /** A buffer of at least `bytes` bytes, usable as storage, copy source and copy destination. */
  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const reused = this.#take(size);
    if (reused) {
      this.#inUse += reused.size;
      return reused;
    }
    if (this.#hooks && this.lean) this.#evict(size);
    this.#inUse += size;
    this.#allocated += size;
    this.#peak = Math.max(this.#peak, this.#allocated);
    return this.#device.createBuffer({ size, usage: USAGE });
  }

  /** A kept buffer of class `size`, else the smallest kept one up to {@linkcode BEST_FIT}× it. */
  #take(size: number): GPUBuffer | undefined {
    let list = this.#free.get(size);
    if (!list?.length) {
      let best = Infinity;
      for (const [s, l] of this.#free) {
        if (s > size && s <= size * BEST_FIT && s < best && l.length > 0) [best, list] = [s, l];
      }
    }
    const buffer = list?.pop();
    if (buffer) this.#idle.delete(buffer);
    return buffer;
  }

  /**
   * Destroys kept buffers, the longest idle first, while a new buffer of `size` bytes would take
   * the pool past its peak. A buffer still bound by unsubmitted work is destroyed only after the
   * work is submitted.
   */
  #evict(size: number): void {
    let flushed = false;
    for (const buffer of this.#idle) {
      if (this.#allocated + size <= this.#peak) return;
      if (!flushed && this.#hooks!.pending(buffer)) {
        this.#hooks!.flush();
        flushed = true;
      }
      this.#idle.delete(buffer);
      const list = this.#free.get(buffer.size)!;
      list.splice(list.indexOf(buffer), 1);
      this.#allocated -= buffer.size;
      buffer.destroy();
    }
  }

  /** Takes a buffer back; it may be handed out again at once (the queue keeps GPU work ordered). */
  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    this.#inUse -= size;
    const list = this.#free.get(size);
    if (list) list.push(buffer);
    else this.#free.set(size, [buffer]);
    this.#idle.add(buffer);
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
    this.#idle.clear();
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
