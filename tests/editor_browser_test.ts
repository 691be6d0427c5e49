/**
 * The editor in headless Chromium (Debian's `chromium`, driven by playwright-core) on a tiny
 * trained run with instance features: select an object on the label map, pick another style
 * from its thumbnails, check that the photo changed, and mostly inside the object; undo and
 * check the photo is back; Save photo downloads it under its scene's name; a bad upload shows its
 * message on the page.
 *
 * Without Chromium the test is skipped, except in CI (`CI` set), where it fails.
 */
import { Buffer } from "node:buffer";
import { equal, ok } from "node:assert/strict";
// A test-only dependency, kept out of the package's import map.
// deno-lint-ignore no-import-prefix
import { chromium } from "npm:playwright-core@1.65.1";
import { edit } from "../lib/app/edit.ts";
import { parseOptions } from "../lib/app/options.ts";
import { decodePng } from "../lib/data/png.ts";
import { gpu } from "./check.ts";
import { CHROMIUM, haveChromium } from "./chromium.ts";
import { featureArgs, featureRun, writeSpreadClusters } from "./feature_run.ts";

const chromiumPresent = await haveChromium("the editor test");

async function photo(url: string): Promise<Uint8Array> {
  const response = await fetch(`${url}api/photo.png`);
  return decodePng(new Uint8Array(await response.arrayBuffer())).data as Uint8Array;
}

Deno.test({
  name: "editor in Chromium: select an object, change its style, undo",
  ignore: !chromiumPresent,
  fn: async () => {
    await gpu();
    const run = await featureRun();
    await writeSpreadClusters(run, "editor_clusters.json");
    const stop = new AbortController();
    const editor = await edit(
      parseOptions("edit", [...featureArgs(run), "--cluster_path", "editor_clusters.json"]),
      { print: () => {}, signal: stop.signal },
    );
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    try {
      const scene = editor.session.scene;
      const { width, height } = scene;
      // The largest car (an object of a class with instances) with a choice of styles.
      const objects = scene.ids().map((id) => scene.object(id)!).filter((o) =>
        scene.isThing(o.label) && scene.clusterCount(o.id) >= 2
      );
      ok(objects.length > 0, "some car has a choice of styles");
      const target = objects.reduce((a, b) => (b.area > a.area ? b : a));
      let pixel = -1;
      for (let p = 0; p < scene.inst.length && pixel < 0; p++) {
        if (scene.inst[p] === target.id) pixel = p;
      }
      const [px, py] = [pixel % width, Math.floor(pixel / width)];

      const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
      await page.goto(editor.url);
      const version = () => page.evaluate<string | undefined>("document.body.dataset.version");
      await page.waitForFunction(`document.body.dataset.version === "${editor.session.version}"`);
      const before = await photo(editor.url);

      // The palette starts on road, lists the common classes first, and marks shared colours.
      equal(await page.locator("#current-class").textContent(), "7 road");
      const first = await page.evaluate<string>(
        '[...document.querySelectorAll("#palette button")].slice(0, 6).map((b) => b.dataset.class).join(",")',
      );
      equal(first, "7,8,11,21,23,26");
      ok((await page.locator('#palette button[data-class="0"]').getAttribute("title"))!
        .includes("same colour as"));

      // Select: click the object's pixel on the canvas.
      const box = (await page.locator("#label-canvas").boundingBox())!;
      // Hovering names the class and instance under the cursor.
      await page.mouse.move(
        box.x + (px + 0.5) * box.width / width,
        box.y + (py + 0.5) * box.height / height,
      );
      await page.waitForFunction(
        `document.getElementById("hover").textContent.includes("instance ${target.id}")`,
      );
      await page.mouse.click(
        box.x + (px + 0.5) * box.width / width,
        box.y + (py + 0.5) * box.height / height,
      );
      await page.waitForFunction(`document.body.dataset.variants === "${target.id}"`);
      // The selected object's box is outlined on the map, in white or black.
      const corner = await page.evaluate<number[]>(
        `[...document.getElementById("label-canvas").getContext("2d").getImageData(${
          target.box[0]
        }, ${target.box[1]}, 1, 1).data]`,
      );
      ok(
        corner.slice(0, 3).join() === "255,255,255" || corner.slice(0, 3).join() === "0,0,0",
        `outline pixel ${corner}`,
      );
      const thumbs = page.locator("#variants img");
      equal(await thumbs.count(), scene.clusterCount(target.id));
      const n = scene.clusterCount(target.id);
      equal(await page.locator("#variants figcaption").first().textContent(), `cluster 1 of ${n}`);
      ok((await page.locator("#selected").textContent())!.includes(`instance ${target.id}`));
      const current = (scene.style(target.id) as { cluster: number }).cluster;
      const other = (current + 1) % scene.clusterCount(target.id);
      const v0 = Number(await version());
      await page.locator(`#variants img[data-cluster="${other}"]`).click();
      await page.waitForFunction(`Number(document.body.dataset.version) > ${v0}`);
      equal(JSON.stringify(scene.style(target.id)), JSON.stringify({ cluster: other }));
      // The photo shown is the new version's, from a blob the page fetched.
      const shown = await page.evaluate<string[]>(
        '[document.getElementById("photo").src, document.getElementById("photo").dataset.version]',
      );
      ok(shown[0].startsWith("blob:"), shown[0]);
      equal(shown[1], String(editor.session.version));

      // The photo changed, and per pixel far more inside the object than elsewhere. (G's
      // instance normalisation spreads a small shift over every pixel, so with a barely trained
      // G the summed change outside a small object can exceed the change inside it.)
      const after = await photo(editor.url);
      let inside = 0, outside = 0;
      for (let p = 0; p < width * height; p++) {
        let d = 0;
        for (let c = 0; c < 3; c++) d += Math.abs(after[3 * p + c] - before[3 * p + c]);
        if (scene.inst[p] === target.id) inside += d;
        else outside += d;
      }
      const perPixelInside = inside / target.area;
      const perPixelOutside = outside / (width * height - target.area);
      console.log(
        `style ${current} -> ${other} of instance ${target.id} (${target.area} px): mean change ${
          perPixelInside.toFixed(1)
        } inside, ${perPixelOutside.toFixed(1)} outside (${
          (100 * inside / (inside + outside)).toFixed(0)
        }% of the summed change inside)`,
      );
      ok(inside > 0, "the photo changed inside the object");
      ok(perPixelInside > 3 * perPixelOutside, "the change is concentrated in the object");

      // Undo with Ctrl-Z: the photo is back; Ctrl-Shift-Z redoes, and the undo button undoes.
      const v1 = Number(await version());
      await page.keyboard.press("Control+z");
      await page.waitForFunction(`Number(document.body.dataset.version) > ${v1}`);
      equal((await photo(editor.url)).join(), before.join());
      const v2 = Number(await version());
      await page.keyboard.press("Control+Shift+z");
      await page.waitForFunction(`Number(document.body.dataset.version) > ${v2}`);
      equal((await photo(editor.url)).join(), after.join());
      const v3 = Number(await version());
      await page.locator("#undo").click();
      await page.waitForFunction(`Number(document.body.dataset.version) > ${v3}`);
      equal((await photo(editor.url)).join(), before.join());

      // The tool and the class survive a reload.
      await page.locator('#palette button[data-class="26"]').click();
      await page.locator("#tool-brush").check();
      await page.reload();
      await page.waitForFunction(`document.body.dataset.version === "${editor.session.version}"`);
      equal(await page.locator("#current-class").textContent(), "26 car");
      ok(await page.locator("#tool-brush").isChecked());

      // Save photo downloads the photo under the name its response gives.
      const [saved] = await Promise.all([
        page.waitForEvent("download"),
        page.locator("#save-photo").click(),
      ]);
      equal(
        saved.suggestedFilename(),
        `${editor.session.sceneName.replace(/_labelIds$/, "")}_synthesized.png`,
      );
      const savedBytes = await Deno.readFile(await saved.path());
      equal((decodePng(savedBytes).data as Uint8Array).join(), before.join());

      // A bad upload shows a clear message on the page.
      await page.locator("#upload").setInputFiles({
        name: "notes.png",
        mimeType: "image/png",
        buffer: Buffer.from("not an image"),
      });
      await page.waitForSelector("#message:not([hidden])");
      ok((await page.locator("#message").textContent())!.includes("must be a PNG"));
    } finally {
      await browser.close();
      stop.abort();
      await editor.server.finished;
      editor.dispose();
    }
  },
});
