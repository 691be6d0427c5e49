import assert from "node:assert/strict";
import { BufferPool, sizeClass } from "./pool.ts";

/** A device whose buffers are plain records of their size and whether they were destroyed. */
function fakeDevice() {
  const made: { size: number; destroyed: boolean; destroy(): void }[] = [];
  const device = {
    createBuffer({ size }: { size: number }) {
      const b = {
        size,
        destroyed: false,
        destroy() {
          b.destroyed = true;
        },
      };
      made.push(b);
      return b;
    },
  } as unknown as GPUDevice;
  return { device, made };
}

Deno.test("the pool hands out the smallest kept buffer up to 1.5× the size class", () => {
  const { device, made } = fakeDevice();
  const pool = new BufferPool(device);
  const big = pool.acquire(1200); // class 1280
  const bigger = pool.acquire(2000); // class 2048
  pool.release(bigger);
  pool.release(big);
  assert.equal(sizeClass(1000), 1024);
  // No kept 1024: the 1280 fits (≤ 1536), the 2048 would not be chosen over it.
  assert.equal(pool.acquire(1000), big);
  assert.equal(pool.stats().inUse, 1280);
  // 768: neither the 2048 nor anything else within 1152, so a new buffer.
  const small = pool.acquire(700);
  assert.equal(small.size, 768);
  assert.equal(made.length, 3);
  pool.release(small);
  pool.release(big);
  assert.deepEqual(pool.stats(), { inUse: 0, allocated: 1280 + 2048 + 768, peak: 4096 });
});

Deno.test("the pool destroys the longest-idle kept buffers rather than grow, after submitting", () => {
  const { device, made } = fakeDevice();
  const pending = new Set<GPUBuffer>();
  let flushes = 0;
  const pool = new BufferPool(device, {
    pending: (b) => pending.has(b),
    flush: () => {
      flushes++;
      pending.clear();
    },
  });
  const a = pool.acquire(4096);
  const b = pool.acquire(4096);
  const c = pool.acquire(8192);
  assert.equal(pool.stats().peak, 16384);
  pool.release(a);
  pool.release(c);
  pool.release(b);
  pending.add(c);
  // 12 KiB more would take the pool past its 16 KiB peak: kept buffers go, the longest idle
  // first (a, then c, which recorded work binds, so only after a submission), until it fits.
  assert.equal(sizeClass(12288), 12288);
  const d = pool.acquire(12288);
  assert.deepEqual(made.map((m) => m.destroyed), [true, false, true, false]);
  assert.equal(flushes, 1);
  assert.deepEqual(pool.stats(), { inUse: 12288, allocated: 16384, peak: 16384 });
  // The kept b is still handed out for its class.
  assert.equal(pool.acquire(4000), b);
  pool.release(d);
  pool.release(b);
  pool.trim();
  assert.equal(pool.stats().allocated, 0);
});
