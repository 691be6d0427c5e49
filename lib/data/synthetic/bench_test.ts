import { deepEqual, equal, ok } from "node:assert/strict";
import { benchData } from "./bench.ts";

Deno.test("benchData prints one JSON line per setting and worker count", async () => {
  const printed: string[] = [];
  const lines = await benchData({
    count: 2,
    width: 64,
    height: 32,
    samples: 3,
    workers: [0, 1],
    modes: {
      none: { resizeOrCrop: "none" },
      scale_width: { resizeOrCrop: "scale_width", loadSize: 32 },
    },
    print: (line) => printed.push(line),
  });
  equal(printed.length, 4);
  deepEqual(printed.map((l) => JSON.parse(l)), lines);
  deepEqual(lines.map((l) => [l.shape, l.workers]), [
    ["64x32 none -> 64x32", 0],
    ["64x32 none -> 64x32", 1],
    ["64x32 scale_width -> 32x16", 0],
    ["64x32 scale_width -> 32x16", 1],
  ]);
  for (const line of lines) {
    ok(line.samples_per_s > 0 && line.samples >= 3);
    deepEqual(Object.keys(line).slice(0, 4), ["name", "shape", "samples_per_s", "workers"]);
  }
});
