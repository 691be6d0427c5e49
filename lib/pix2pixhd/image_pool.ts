/**
 * pix2pixHD's `ImagePool`: a history of generated discriminator inputs, so that the
 * discriminator also sees older fakes. Seeded, so a run repeats.
 *
 * @module
 */

import { Rng } from "../data/rng.ts";
import { runtime } from "../gpu/kernel.ts";
import { Tensor } from "../tensor/tensor.ts";

/** Options of {@linkcode ImagePool}. */
export interface ImagePoolOptions {
  /** Seed of the pool's random choices (default 0). */
  seed?: number;
}

/**
 * Holds up to `poolSize` past images (each (1, C, H, W), detached). `query` returns, per batch
 * element: while the pool fills, the element itself (also stored); then with probability 1/2 a
 * stored image chosen uniformly (the element takes its place), else the element. With
 * `poolSize` 0 it returns a detached view of its input.
 *
 * @example
 * ```ts ignore
 * const pool = new ImagePool(50, { seed: 1 });
 * const dInput = pool.query(concat([label, fake.detach()]));
 * ```
 */
export class ImagePool {
  /** The most images held. */
  readonly poolSize: number;
  readonly #images: Tensor[] = [];
  #rng: Rng;

  /** A pool of `poolSize` images (`--pool_size`, 0 to turn it off). */
  constructor(poolSize: number, options: ImagePoolOptions = {}) {
    if (!Number.isInteger(poolSize) || poolSize < 0) {
      throw new RangeError(
        `Cannot make an image pool as its size must be a non-negative integer: current value is ${poolSize}`,
      );
    }
    this.poolSize = poolSize;
    this.#rng = new Rng(options.seed ?? 0);
  }

  /** Images held now. */
  get length(): number {
    return this.#images.length;
  }

  /** The images held, (1, C, H, W) each, in slot order (owned by the pool). */
  get images(): readonly Tensor[] {
    return this.#images;
  }

  /** The state of the pool's random choices, for {@linkcode ImagePool.restore}. */
  get rngState(): number {
    return this.#rng.state;
  }

  /**
   * Replaces the pool's contents and random state with saved ones, so that a resumed run makes
   * the same choices; the pool takes ownership of `images`.
   */
  restore(images: Tensor[], rngState: number): void {
    if (images.length > this.poolSize) {
      throw new RangeError(
        `Cannot restore the image pool as it holds at most ${this.poolSize} images: current value is ${images.length}`,
      );
    }
    this.dispose();
    for (const image of images) this.#images.push(image.keep());
    this.#rng = new Rng(rngState);
  }

  /** (N, C, H, W) -> (N, C, H, W), detached from the tape. */
  query(images: Tensor): Tensor {
    if (images.shape.length !== 4 || images.dtype !== "float32") {
      throw new TypeError(
        `Cannot query the image pool as images must be float32 (N, C, H, W): current value is ${images.dtype} [${images.shape}]`,
      );
    }
    if (this.poolSize === 0) return images.detach();
    const [n, c, h, w] = images.shape;
    const bytes = c * h * w * 4;
    const rt = runtime();
    const held = this.#images[0];
    if (held && held.shape.some((d, k) => k > 0 && d !== images.shape[k])) {
      throw new TypeError(
        `Cannot query the image pool as images must keep one shape: current value is [${images.shape}] for [${held.shape}]`,
      );
    }
    const out = Tensor.empty(images.shape); // (N, C, H, W)
    for (let i = 0; i < n; i++) {
      const image = Tensor.empty([1, c, h, w]).keep();
      rt.copy(images.buffer, i * bytes, image.buffer, 0, bytes);
      let returned = image;
      if (this.#images.length < this.poolSize) this.#images.push(image);
      else if (this.#rng.random() > 0.5) {
        const k = this.#rng.int(0, this.poolSize - 1);
        returned = this.#images[k];
        this.#images[k] = image;
      }
      rt.copy(returned.buffer, 0, out.buffer, i * bytes, bytes);
      if (!this.#images.includes(returned)) returned.dispose();
    }
    return out;
  }

  /** Frees the stored images. */
  dispose(): void {
    for (const t of this.#images) t.dispose();
    this.#images.length = 0;
  }
}
