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
import { deepEqual, equal, ok } from "node:assert/strict";
// A test-only dependency, kept out of the package's import map.
// deno-lint-ignore no-import-prefix
import { type Browser, chromium, type Page } from "npm:playwright-core@1.65.1";
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

/** Runs `fn` with the editor on the tiny feature run and a headless Chromium. */
async function withEditor(
  fn: (editor: Awaited<ReturnType<typeof edit>>, browser: Browser) => Promise<void>,
): Promise<void> {
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
    await fn(editor, browser);
  } finally {
    await browser.close();
    stop.abort();
    await editor.server.finished;
    editor.dispose();
  }
}

Deno.test({
  name: "editor in Chromium: select an object, change its style, undo",
  ignore: !chromiumPresent,
  fn: () =>
    withEditor(async (editor, browser) => {
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
    }),
});

/** The 4-connected pixels of `start`'s class and instance, found here independently. */
function region(label: Uint8Array, inst: Int32Array, width: number, start: number): Set<number> {
  const out = new Set([start]);
  const todo = [start];
  while (todo.length) {
    const p = todo.pop()!;
    const x = p % width;
    for (const q of [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p - width, p + width]) {
      if (
        q >= 0 && q < label.length && !out.has(q) && label[q] === label[start] &&
        inst[q] === inst[start]
      ) {
        out.add(q);
        todo.push(q);
      }
    }
  }
  return out;
}

/**
 * The views of the label map and the photo: side by side, inside the window, no page scroll, the
 * selection panel under them.
 */
async function checkLayout(page: Page, width: number, height: number) {
  const [label, photo] = await Promise.all(
    ["#label-view", "#photo-view"].map(async (s) => (await page.locator(s).boundingBox())!),
  );
  const scroll = await page.evaluate<number[]>(
    "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]",
  );
  const where = `at ${width}×${height}: label ${JSON.stringify(label)}, photo ${
    JSON.stringify(photo)
  }, page ${scroll}`;
  ok(Math.abs(label.y - photo.y) <= 1 && label.x + label.width <= photo.x, `side by side ${where}`);
  ok(photo.x + photo.width <= width && label.y + label.height <= height, `in the window ${where}`);
  ok(scroll[0] <= width && scroll[1] <= height, `the page does not scroll ${where}`);
  ok(label.width >= 0.35 * width && Math.abs(label.width - photo.width) <= 1, `large ${where}`);
  // The selected object's panel (its style thumbnails) has room under them, in the window.
  const selection = (await page.locator("#selection").boundingBox())!;
  ok(
    selection.y >= label.y + label.height && selection.y + selection.height <= height &&
      selection.height >= 150,
    `the selection panel ${JSON.stringify(selection)} ${where}`,
  );
  return label;
}

Deno.test({
  name:
    "editor in Chromium: fill, eraser, zoom and pan, overlay, keyboard undo; the layout at 1280×800 and 1920×1080",
  ignore: !chromiumPresent,
  fn: () =>
    withEditor(async (editor, browser) => {
      const scene = editor.session.scene;
      const { width, height } = scene;
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(editor.url);
      const loaded = () =>
        page.waitForFunction(`document.body.dataset.version === "${editor.session.version}"`);
      await loaded();
      const version = async () => Number(await page.evaluate("document.body.dataset.version"));
      /** Does `act`, then waits for the page to show the edit's new version. */
      const edited = async (act: () => Promise<void>) => {
        const v = await version();
        await act();
        await page.waitForFunction(`Number(document.body.dataset.version) > ${v}`);
      };
      /** Where pixel (x, y) of the scene is on the screen. */
      const at = async (x: number, y: number) => {
        const box = (await page.locator("#label-canvas").boundingBox())!;
        return [box.x + (x + 0.5) * box.width / width, box.y + (y + 0.5) * box.height / height];
      };

      // The layout: side by side at 1280×800, and larger in a wider window.
      const laptop = await checkLayout(page, 1280, 800);
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.waitForFunction(
        `document.getElementById("label-view").getBoundingClientRect().width > ${
          laptop.width * 1.3
        }`,
      );
      await checkLayout(page, 1920, 1080);
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.waitForFunction(
        `document.getElementById("label-view").getBoundingClientRect().width < ${laptop.width + 1}`,
      );

      // Fill (key F) the road region under a pixel with sidewalk; Ctrl-Z undoes it.
      const before = { label: scene.label.slice(), inst: scene.inst.slice() };
      const road = scene.label.indexOf(7);
      ok(road >= 0, "the scene has road");
      const filled = region(before.label, before.inst, width, road);
      await page.locator('#palette button[data-class="8"]').click();
      await page.keyboard.press("f");
      ok(await page.locator("#tool-fill").isChecked());
      const [rx, ry] = await at(road % width, Math.floor(road / width));
      await edited(() => page.mouse.click(rx, ry));
      for (let p = 0; p < width * height; p++) {
        equal(scene.label[p], filled.has(p) ? 8 : before.label[p], `pixel ${p} after the fill`);
      }
      console.log(`fill: ${filled.size} road pixels became sidewalk`);
      await edited(() => page.keyboard.press("Control+z"));
      deepEqual(scene.label, before.label);
      deepEqual(scene.inst, before.inst);

      // The eraser paints the chosen background class (sky) with a round brush over an object.
      const car = scene.ids().find((id) => scene.isThing(scene.object(id)!.label))!;
      const object = scene.object(car)!;
      const [cx, cy] = [object.box[0] + 1, object.box[1] + 1];
      await page.locator("#tool-eraser").check();
      await page.locator("#erase-class").selectOption("23");
      await page.locator("#brush-size").fill("5");
      await page.locator("#brush-shape").selectOption("round");
      await edited(async () => {
        const [x0, y0] = await at(cx, cy);
        const [x1, y1] = await at(cx + 4, cy);
        await page.mouse.move(x0, y0);
        await page.mouse.down();
        await page.mouse.move(x1, y1, { steps: 4 });
        await page.mouse.up();
      });
      equal(scene.label[cy * width + cx], 23, "the object's pixel was erased to sky");
      let erased = 0;
      for (let p = 0; p < width * height; p++) {
        if (scene.label[p] !== before.label[p]) {
          erased++;
          equal(scene.label[p], 23);
        }
      }
      // A round brush of 5 swept 4 pixels: at most 21 + 4·5 pixels, more than a square of 3.
      ok(erased > 9 && erased <= 41, `${erased} pixels erased`);

      // Zoom in twice: the map is twice the view's width and both views scroll together.
      await page.locator("#zoom-in").click();
      await page.locator("#zoom-in").click();
      equal(await page.locator("#zoom-level").textContent(), "200%");
      const view = await page.evaluate<number[]>(
        '(({clientWidth, scrollWidth}) => [clientWidth, scrollWidth])(document.getElementById("label-view"))',
      );
      const canvasBox = (await page.locator("#label-canvas").boundingBox())!;
      ok(Math.abs(canvasBox.width - 2 * view[0]) <= 2, `zoomed canvas ${canvasBox.width}, ${view}`);
      ok(view[1] > view[0], "the zoomed view scrolls");
      await page.evaluate('document.getElementById("label-view").scrollLeft = 1e6');
      await page.waitForFunction(
        'document.getElementById("photo-view").scrollLeft === document.getElementById("label-view").scrollLeft && document.getElementById("photo-view").scrollLeft > 0',
      );
      // Pan back a little with Space + drag: the view scrolls and nothing is painted.
      const left = await page.evaluate<number>('document.getElementById("label-view").scrollLeft');
      const v0 = await version();
      const viewBox = (await page.locator("#label-view").boundingBox())!;
      const mid = [viewBox.x + viewBox.width / 2, viewBox.y + viewBox.height / 2];
      await page.keyboard.down(" ");
      await page.mouse.move(mid[0], mid[1]);
      await page.mouse.down();
      await page.mouse.move(mid[0] + 60, mid[1], { steps: 3 });
      await page.mouse.up();
      await page.keyboard.up(" ");
      const panned = await page.evaluate<number>(
        'document.getElementById("label-view").scrollLeft',
      );
      ok(Math.abs(left - 60 - panned) <= 2, `panned from ${left} to ${panned}`);
      equal(await version(), v0, "panning made no edit");
      // A fill through the zoomed, scrolled view lands on the pixel under the cursor.
      const [tx, ty] = [Math.floor(width * 3 / 4), Math.floor(height / 4)];
      const [sx, sy] = await at(tx, ty);
      ok(
        sx > viewBox.x && sx < viewBox.x + viewBox.width && sy > viewBox.y &&
          sy < viewBox.y + viewBox.height,
        "the target pixel is in the view",
      );
      const fillClass = scene.label[ty * width + tx] === 21 ? 22 : 21;
      await page.locator(`#palette button[data-class="${fillClass}"]`).click();
      await page.locator("#tool-fill").check();
      await edited(() => page.mouse.click(sx, sy));
      equal(scene.label[ty * width + tx], fillClass, "the fill's pixel");
      await page.keyboard.press("0");
      equal(await page.locator("#zoom-level").textContent(), "100%");

      // The overlay (key O) shows the label map over the photo.
      ok(await page.locator("#overlay").isHidden());
      await page.keyboard.press("o");
      ok(await page.locator("#overlay").isVisible());
      ok((await page.locator("#overlay").getAttribute("src"))!.startsWith("blob:"));
      const [overlayBox, photoBox] = await Promise.all(
        ["#overlay", "#photo"].map(async (s) => (await page.locator(s).boundingBox())!),
      );
      deepEqual(overlayBox, photoBox);

      // The tool, the eraser's class, the brush and the overlay survive a reload.
      await page.reload();
      await loaded();
      ok(await page.locator("#tool-fill").isChecked());
      equal(await page.locator("#erase-class").inputValue(), "23");
      equal(await page.locator("#brush-shape").inputValue(), "round");
      equal(await page.locator("#brush-size").inputValue(), "5");
      ok(await page.locator("#overlay").isVisible());
    }),
});
