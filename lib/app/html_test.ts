import { equal, ok } from "node:assert/strict";
import { lossPlot } from "./html.ts";

Deno.test("lossPlot: one line per non-zero loss, scaled into the plot", () => {
  const svg = lossPlot([{ step: 1, A: 2, B: 0 }, { step: 3, A: 1, B: 0 }], ["A", "B"]);
  equal(svg.match(/<polyline/g)?.length, 1);
  ok(svg.includes("<title>A</title>"));
  ok(!svg.includes("<title>B</title>"));
});
