import { equal, ok } from "node:assert/strict";
import { imagePage, lossPlot } from "./html.ts";

Deno.test("lossPlot: one line per non-zero loss, scaled into the plot", () => {
  const svg = lossPlot([{ step: 1, A: 2, B: 0 }, { step: 3, A: 1, B: 0 }], ["A", "B"]);
  equal(svg.match(/<polyline/g)?.length, 1);
  ok(svg.includes("<title>A</title>"));
  ok(!svg.includes("<title>B</title>"));
});

Deno.test("lossPlot: a panel per loss on its own scale, epochs on the x axis", () => {
  // G_GAN and D_real overlap on one scale; each gets its own panel and range.
  const points = [1, 2, 3, 4, 5, 6].map((step) => ({
    step,
    epoch: Math.ceil(step / 2),
    G_GAN: 0.25 + step / 100,
    D_real: 0.25 + step / 100,
    G_VGG: 10 - step,
  }));
  const svg = lossPlot(points, ["G_GAN", "D_real", "G_VGG", "G_GAN_Feat"]);
  equal(svg.match(/<polyline/g)?.length, 3);
  equal(svg.match(/<rect /g)?.length, 3);
  ok(!svg.includes("G_GAN_Feat"));
  // Each panel's y ticks cover its own range: G_VGG's reach 9, the others stay below 1.
  ok(svg.includes(">8</text>"));
  // Epochs 1..3 are ticked at their first steps (1, 3, 5), and the axis says so.
  for (const e of ["1", "2", "3"]) ok(svg.includes(`text-anchor="middle">${e}</text>`), e);
  ok(svg.includes(">epoch</text>"));
  // The plot scales down with the window.
  ok(svg.includes("viewBox=") && svg.includes("width:100%"));
});

Deno.test("imagePage: images scale down with the window", () => {
  const page = imagePage({
    title: "t",
    rows: [{ heading: "epoch 1", images: [{ caption: "a", src: "images/a.png" }] }],
    width: 512,
  });
  ok(page.includes('style="width:100%;max-width:512px"'));
});
