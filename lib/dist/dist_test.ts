import { deepEqual, equal, notEqual, rejects, throws } from "node:assert/strict";
import { gpu } from "../../tests/check.ts";
import { Tensor } from "../tensor/tensor.ts";
import { averageGradients, buckets, checkSameWeights, type Reducer } from "./gradients.ts";
import { launchedRanks } from "./mpi.ts";

Deno.test("launchedRanks: the launcher's world size, 1 without one, bad values refused", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  equal(launchedRanks(env({})), 1);
  equal(launchedRanks(env({ OMPI_COMM_WORLD_SIZE: "4" })), 4);
  equal(launchedRanks(env({ PMI_SIZE: "3" })), 3);
  // srun's task count counts only inside a task (SLURM_PROCID set), not in a batch script.
  equal(launchedRanks(env({ SLURM_NTASKS: "8" })), 1);
  equal(launchedRanks(env({ SLURM_NTASKS: "8", SLURM_PROCID: "2" })), 8);
  throws(
    () => launchedRanks(env({ OMPI_COMM_WORLD_SIZE: "two" })),
    /OMPI_COMM_WORLD_SIZE must be a positive integer: current value is "two"/,
  );
});

/** Two ranks in one process: the "other" rank's values are added in, as MPI_SUM would. */
function pairedWith(other: Float32Array[]): Reducer & { calls: number[] } {
  let call = 0;
  const calls: number[] = [];
  return {
    size: 2,
    calls,
    allreduceSum(data: Float32Array) {
      const theirs = other[call++];
      calls.push(data.length);
      for (let i = 0; i < data.length; i++) data[i] += theirs[i];
      return Promise.resolve();
    },
  };
}

Deno.test("averageGradients: each gradient becomes the ranks' mean, across bucket edges", async () => {
  await gpu();
  const shapes = [[5], [3, 4], [7]];
  const params = shapes.map((shape) => {
    const p = Tensor.from(new Float32Array(shape.reduce((a, b) => a * b)), shape);
    p.requiresGrad = true;
    return p;
  });
  const mine = shapes.map((_, k) => Float32Array.from({ length: params[k].size }, (_, i) => k + i));
  const theirs = shapes.map((_, k) =>
    Float32Array.from({ length: params[k].size }, (_, i) => 100 * k - i * 3)
  );
  params.forEach((p, k) => (p.grad = Tensor.from(mine[k], p.shape).keep()));
  // Buckets of 8 floats: 5+3 | 8 | 1+7.
  deepEqual(buckets(params.map((p) => p.grad!), 8).map((b) => b.map((p) => [p.offset, p.length])), [
    [[0, 5], [0, 3]],
    [[3, 8]],
    [[11, 1], [0, 7]],
  ]);
  const flat = (xs: Float32Array[]) => Float32Array.from(xs.flatMap((x) => [...x]));
  const other = [
    flat(theirs).subarray(0, 8),
    flat(theirs).subarray(8, 16),
    flat(theirs).subarray(16),
  ];
  const reducer = pairedWith(other);
  const stats = await averageGradients(params, reducer, 8);
  deepEqual(reducer.calls, [8, 8, 8]);
  equal(stats.bytes, 24 * 4);
  equal(stats.buckets, 3);
  for (const [k, p] of params.entries()) {
    deepEqual(
      [...(await p.grad!.data())],
      [...mine[k]].map((v, i) => (v + theirs[k][i]) / 2),
      `parameter ${k}`,
    );
  }
  for (const p of params) p.grad!.dispose(), p.dispose();
  throws(() => buckets([], 0), /bucket size must be a positive integer: current value is 0/);
});

Deno.test("checkSameWeights: passes when every rank has the same digest, throws otherwise", async () => {
  await gpu();
  const p = Tensor.from([1, 2, 3, 4.5], [4]);
  const same: Reducer = {
    size: 3,
    allreduceSum: (d) => (d.forEach((v, i) => (d[i] = 3 * v)), Promise.resolve()),
  };
  const digest = await checkSameWeights([p], same);
  equal(digest, await checkSameWeights([p], same), "the digest is a function of the bytes");
  const q = Tensor.from([1, 2, 3, 4.5000005], [4]);
  const other = await checkSameWeights([q], same);
  notEqual(other, digest);
  // Another rank holding q's bytes: the sums are not three times this rank's digest.
  const mixed: Reducer = {
    size: 2,
    allreduceSum: (d) => {
      d[0] += other >>> 16, d[1] += other & 0xffff;
      return Promise.resolve();
    },
  };
  await rejects(checkSameWeights([p], mixed), /this rank's weights differ from the other ranks'/);
  p.dispose(), q.dispose();
});
