import { deepEqual, equal, throws } from "node:assert/strict";
import { collate } from "./batch.ts";
import type { Sample } from "./sample.ts";

function sample(v: number, width = 2): Sample {
  return {
    width,
    height: 1,
    label: new Uint8Array(width).fill(v),
    labelChannels: 1,
    inst: new Int32Array(width).fill(v * 1000),
    image: new Uint8Array(width * 3).fill(v + 1),
    params: { cropX: 0, cropY: 0, flip: false },
    entry: { key: `${v}`, label: `train_label/${v}.png` },
  };
}

Deno.test("collate stacks every map along the batch axis", () => {
  const batch = collate([sample(1), sample(2)], [5, 9]);
  deepEqual([batch.size, batch.width, batch.height], [2, 2, 1]);
  deepEqual(batch.label, new Uint8Array([1, 1, 2, 2]));
  deepEqual(batch.inst, new Int32Array([1000, 1000, 2000, 2000]));
  deepEqual(batch.image, new Uint8Array([2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3]));
  deepEqual(batch.indices, [5, 9]);
  equal(batch.feat, undefined);
});

Deno.test("a batch of one shares the sample's arrays", () => {
  const s = sample(4);
  equal(collate([s], [0]).label, s.label);
});

Deno.test("collate names the files when sizes differ", () => {
  throws(() => collate([sample(1), sample(2, 3)], [0, 1]), {
    name: "RangeError",
    message: /train_label\/2\.png with train_label\/1\.png/,
  });
  throws(() => collate([], []), RangeError);
});
