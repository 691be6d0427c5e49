/**
 * Averaging gradients across data-parallel ranks: the gradients are read back to the CPU in
 * buckets, each bucket summed over the ranks as soon as it is read (while the next one is read
 * back), divided by the number of ranks and written back, so every rank's optimizer steps with the
 * same gradients and the ranks' weights stay identical.
 *
 * @module
 */
import { runtime } from "../gpu/kernel.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** What sums floats over the ranks in place: {@linkcode Mpi}, or a stand-in in tests. */
export interface Reducer {
  /** The number of ranks. */
  readonly size: number;
  /** Sums `data` over every rank, in place. */
  allreduceSum(data: Float32Array): Promise<void>;
}

/** What one averaging moved and how long it took. */
export interface SyncStats {
  /** Bytes each rank sent into the reductions. */
  bytes: number;
  /** Buckets reduced. */
  buckets: number;
  /** Seconds from the first read-back to the last write. */
  seconds: number;
  /** Seconds spent in the reductions themselves (they overlap the read-backs). */
  reduceSeconds: number;
}

/** Floats per bucket by default (16 MiB). */
export const BUCKET_FLOATS = 4 << 20;

/** A range of one tensor's floats in a bucket. */
export interface Part {
  tensor: Tensor;
  /** First float of the gradient in this part. */
  offset: number;
  length: number;
}

/** Cuts tensors, in order, into buckets of at most `bucketFloats` (a big one spans several). */
export function buckets(tensors: readonly Tensor[], bucketFloats = BUCKET_FLOATS): Part[][] {
  if (!(Number.isInteger(bucketFloats) && bucketFloats > 0)) {
    throw new RangeError(
      `Cannot cut gradients into buckets as the bucket size must be a positive integer: current value is ${bucketFloats}`,
    );
  }
  const out: Part[][] = [];
  let bucket: Part[] = [];
  let room = bucketFloats;
  for (const tensor of tensors) {
    let offset = 0;
    while (offset < tensor.size) {
      const length = Math.min(room, tensor.size - offset);
      bucket.push({ tensor, offset, length });
      offset += length;
      room -= length;
      if (room === 0) {
        out.push(bucket);
        bucket = [];
        room = bucketFloats;
      }
    }
  }
  if (bucket.length) out.push(bucket);
  return out;
}

/** A bucket's floats, read back to the CPU in one transfer. */
function readBucket(bucket: readonly Part[]): Promise<ArrayBuffer> {
  return runtime().readParts(
    bucket.map((p) => ({ buffer: p.tensor.buffer, offset: p.offset * 4, bytes: p.length * 4 })),
  );
}

/**
 * Replaces each parameter's gradient by its mean over the ranks. Every rank must call it with the
 * same parameters, in the same order, each with or without a gradient alike.
 */
export async function averageGradients(
  params: readonly Tensor[],
  reducer: Reducer,
  bucketFloats = BUCKET_FLOATS,
): Promise<SyncStats> {
  const t0 = performance.now();
  const grads = params.flatMap((p) => (p.grad ? [p.grad] : []));
  const rt = runtime();
  const scale = 1 / reducer.size;
  let reduceSeconds = 0, bytes = 0;
  let chain = Promise.resolve();
  const all = buckets(grads, bucketFloats);
  for (const bucket of all) {
    const host = new Float32Array(await readBucket(bucket));
    bytes += host.byteLength;
    chain = chain.then(async () => {
      const r0 = performance.now();
      await reducer.allreduceSum(host);
      reduceSeconds += (performance.now() - r0) / 1000;
      for (let i = 0; i < host.length; i++) host[i] *= scale;
      let at = 0;
      for (const p of bucket) {
        rt.write(p.tensor.buffer, host.subarray(at, at + p.length), p.offset * 4);
        at += p.length;
      }
    });
  }
  await chain;
  return {
    bytes,
    buckets: all.length,
    seconds: (performance.now() - t0) / 1000,
    reduceSeconds,
  };
}

/** FNV-1a over bytes, 32-bit. */
function fnv1a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
  return hash;
}

/**
 * Checks that every rank holds the same parameters, bit for bit: each rank digests its own and
 * the ranks compare digests through one reduction. Returns the digest; throws on a rank whose
 * parameters differ from the others'.
 */
export async function checkSameWeights(
  params: readonly Tensor[],
  reducer: Reducer,
  bucketFloats = BUCKET_FLOATS,
): Promise<number> {
  let hash = 0x811c9dc5;
  for (const bucket of buckets(params, bucketFloats)) {
    hash = fnv1a(new Uint8Array(await readBucket(bucket)), hash);
  }
  // The digest's halves are whole numbers below 2^16, exact in float32 when summed: a rank sees
  // the sum equal size times its own digest only if every rank has the same.
  const halves = Float32Array.from([hash >>> 16, hash & 0xffff]);
  const sums = halves.slice();
  await reducer.allreduceSum(sums);
  if (sums[0] !== halves[0] * reducer.size || sums[1] !== halves[1] * reducer.size) {
    throw new Error(
      `Cannot go on as this rank's weights differ from the other ranks': current value is digest ${
        hash.toString(16).padStart(8, "0")
      }`,
    );
  }
  return hash;
}
