/**
 * Draws `picture.png` for the README from this model, as the editor shows it: a sample scene's
 * label map, then the photo synthesized with the scene's largest car in two of the car class's
 * clusters (the two whose crops differ most in mean colour).
 *
 *   deno run -A models/street_small/picture.ts
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { bundledArgs } from "../../cli/edit.ts";
import { edit } from "../../lib/app/edit.ts";
import { parseOptions } from "../../lib/app/options.ts";
import { encodePng } from "../../lib/data/png.ts";
import { colorizeLabels } from "../../lib/data/visuals.ts";

const CAR = 26;

const args = bundledArgs();
if (!args) throw new Error("models/street_small/latest_net_G.pth is missing");
const stop = new AbortController();
const editor = await edit(parseOptions("edit", [...args, "--phase", "test"]), {
  signal: stop.signal,
  print: () => {},
});
try {
  const { session } = editor;
  const scene = session.scene;
  const area = new Map<number, number>();
  for (let p = 0; p < scene.inst.length; p++) {
    if (scene.label[p] === CAR) area.set(scene.inst[p], (area.get(scene.inst[p]) ?? 0) + 1);
  }
  const car = [...area].sort((a, b) => b[1] - a[1])[0][0];
  const { images } = await session.variants(car);
  // Each cluster's crop of the car, by its mean colour; the two furthest apart are shown.
  const centres = images.map((rgb) => {
    const m = [0, 0, 0];
    for (let i = 0; i < rgb.length; i++) m[i % 3] += rgb[i] / (rgb.length / 3);
    return m;
  });
  let pair: [number, number] = [0, 1];
  let far = -1;
  for (let i = 0; i < centres.length; i++) {
    for (let j = i + 1; j < centres.length; j++) {
      const d = centres[i].reduce((s, v, k) => s + (v - centres[j][k]) ** 2, 0);
      if (d > far) [far, pair] = [d, [i, j]];
    }
  }
  const { width: w, height: h } = scene;
  const tiles = [colorizeLabels(scene.label, 35)];
  for (const cluster of pair) {
    session.setStyle(car, { cluster });
    tiles.push(await session.photo());
  }
  const out = new Uint8Array(3 * 3 * w * h);
  tiles.forEach((t, k) => {
    for (let y = 0; y < h; y++) {
      out.set(t.subarray(3 * y * w, 3 * (y + 1) * w), 3 * (y * 3 * w + k * w));
    }
  });
  const path = fileURLToPath(new URL("picture.png", import.meta.url));
  await Deno.writeFile(path, encodePng({ width: 3 * w, height: h, channels: 3, data: out }));
  console.log(`${path}: car ${car} in clusters ${pair.join(" and ")} of ${centres.length}`);
} finally {
  stop.abort();
  await editor.server.finished;
  editor.dispose();
}
