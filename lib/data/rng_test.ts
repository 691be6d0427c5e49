import { deepEqual, notDeepEqual, throws } from "node:assert/strict";
import { mixSeed, Rng } from "./rng.ts";

/** Matches an error of the class whose message contains the text. */
function like(Class: new (...args: never[]) => Error, text: string) {
  return (error: unknown): boolean => {
    if (error instanceof Class && error.message.includes(text)) return true;
    throw new Error(`expected ${Class.name} with ${JSON.stringify(text)}, got ${error}`);
  };
}

Deno.test("Rng repeats a sequence from a seed and differs between seeds", () => {
  const draw = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 8 }, () => rng.next());
  };
  deepEqual(draw(5), draw(5));
  notDeepEqual(draw(5), draw(6));
});

Deno.test("Rng.int covers [lo, hi] inclusively and rejects bad ranges", () => {
  const rng = new Rng(1);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(rng.int(3, 7));
  deepEqual([...seen].sort(), [3, 4, 5, 6, 7]);
  deepEqual(rng.int(4, 4), 4);
  throws(() => rng.int(5, 4), like(RangeError, "current value is [5, 4]"));
  throws(() => rng.int(0, 1.5), RangeError);
});

Deno.test("Rng.random is in [0, 1) with a mean near 1/2, normal has the asked moments", () => {
  const rng = new Rng(9);
  let sum = 0;
  let sumNormal = 0;
  let sumSquares = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    if (u < 0 || u >= 1) throw new RangeError(`out of range: ${u}`);
    sum += u;
    const z = rng.normal(2, 3);
    sumNormal += z;
    sumSquares += (z - 2) ** 2;
  }
  deepEqual(Math.abs(sum / n - 0.5) < 0.01, true);
  deepEqual(Math.abs(sumNormal / n - 2) < 0.1, true);
  deepEqual(Math.abs(Math.sqrt(sumSquares / n) - 3) < 0.1, true);
});

Deno.test("Rng.shuffle permutes in place, repeatably", () => {
  const a = new Rng(3).shuffle(Array.from({ length: 50 }, (_, i) => i));
  const b = new Rng(3).shuffle(Array.from({ length: 50 }, (_, i) => i));
  deepEqual(a, b);
  deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  notDeepEqual(a, Array.from({ length: 50 }, (_, i) => i));
});

Deno.test("mixSeed depends on every part and on their order", () => {
  deepEqual(mixSeed(1, 2, 3), mixSeed(1, 2, 3));
  const seeds = new Set([mixSeed(1, 2, 3), mixSeed(3, 2, 1), mixSeed(1, 2), mixSeed(1, 2, 4)]);
  deepEqual(seeds.size, 4);
});
