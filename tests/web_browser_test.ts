/**
 * The editor's web page in headless Chromium (SwiftShader's WebGPU, no shader-f16) on the tiny
 * trained run with instance features, G running in the page:
 *
 * - a site written by `cli/edit.ts --export_site` opens by itself; its first photo equals, within
 *   one grey level per channel, the photo `cli/edit.ts` synthesizes on lavapipe for the same
 *   weights and scene; an object's style changes the photo and undo brings it back; Save photo
 *   downloads it under its scene's name;
 * - the bare page (`deno task web`) refuses a selection without opt.json with a message naming
 *   it, then opens a run's files picked at once (G, opt.json, clusters, a dataset's label and
 *   instance maps) to the same photo;
 * - neither page requests anything but its site's files (the servers' logs and the browser's).
 *
 * It prints the bundle's size, the time from opening the site to its first photo, and one
 * synthesis in the page. Without Chromium it is skipped, except in CI (`CI` set), where it fails.
 */
import { Buffer } from "node:buffer";
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
// A test-only dependency, kept out of the package's import map.
// deno-lint-ignore no-import-prefix
import { chromium, type Page } from "npm:playwright-core@1.65.1";
import { edit } from "../lib/app/edit.ts";
import { exportSite } from "../lib/app/export_site.ts";
import { parseOptions } from "../lib/app/options.ts";
import { buildWeb } from "../lib/app/web_build.ts";
import { decodePng } from "../lib/data/png.ts";
import { gpu } from "./check.ts";
import { CHROMIUM, haveChromium } from "./chromium.ts";
import { featureArgs, featureRun, writeSpreadClusters } from "./feature_run.ts";
import { serveFolder } from "./serve_folder.ts";

const chromiumPresent = await haveChromium("the web page test");

/** Every file under `root`, as URL paths. */
async function sitePaths(root: string, under = ""): Promise<Set<string>> {
  const out = new Set<string>(under ? [] : ["/"]);
  for await (const e of Deno.readDir(join(root, under))) {
    const rel = under ? `${under}/${e.name}` : e.name;
    if (e.isDirectory) { for (const p of await sitePaths(root, rel)) out.add(p); }
    else out.add(`/${rel}`);
  }
  return out;
}

/** The photo the page shows, RGB bytes, read back through a canvas. */
async function shownPhoto(page: Page): Promise<Uint8Array> {
  const values = await page.evaluate<number[]>(`(() => {
    const img = document.getElementById("photo");
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const c = canvas.getContext("2d");
    c.drawImage(img, 0, 0);
    const rgba = c.getImageData(0, 0, canvas.width, canvas.height).data;
    return Array.from(rgba.filter((_, i) => i % 4 !== 3));
  })()`);
  return Uint8Array.from(values);
}

function maxDifference(a: Uint8Array, b: Uint8Array): number {
  equal(a.length, b.length, "the photos have the same size");
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i] - b[i]));
  return most;
}

const waitVersionAbove = (page: Page, v: number) =>
  page.waitForFunction(`Number(document.body.dataset.version) > ${v}`, undefined, {
    timeout: 120_000,
  });
const version = async (page: Page) => Number(await page.evaluate("document.body.dataset.version"));

Deno.test({
  name: "web page: a site and picked files synthesize as Deno does, restyle, undo, stay local",
  ignore: !chromiumPresent,
  fn: async () => {
    await gpu();
    const run = await featureRun();
    // Centres spread over [-1, 1], so that a style change is visible.
    const clusterName = "features_clustered_spread.json";
    await writeSpreadClusters(run, clusterName);
    const runDir = join(run.checkpoints, "feat");
    const args = [...featureArgs(run), "--cluster_path", clusterName, "--how_many", "2"];

    const root = await Deno.makeTempDir({ prefix: "pix2pixhd_web_" });
    const siteDir = join(root, "site");
    const bareDir = join(root, "bare");
    const exported = await exportSite(
      parseOptions("edit", [...args, "--export_site", siteDir]),
      { print: () => {} },
    );
    await buildWeb(bareDir);

    // The photo cli/edit.ts synthesizes on lavapipe for the first scene.
    const stop = new AbortController();
    const editor = await edit(parseOptions("edit", args), { print: () => {}, signal: stop.signal });
    const expected = (await editor.session.photo()).slice();
    const scene = editor.session.scene;
    const sceneName = editor.session.sceneName;
    stop.abort();
    await editor.server.finished;

    const site = serveFolder(siteDir);
    const bare = serveFolder(bareDir);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"],
    });
    const requested: string[] = [];
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.on("request", (r) => requested.push(r.url()));
      page.on("pageerror", (e) => console.error(`page error: ${e.message}`));

      // The site opens itself; its first photo is cli/edit.ts's.
      const started = performance.now();
      await page.goto(site.url);
      await page.waitForFunction("document.body.dataset.version", undefined, { timeout: 120_000 });
      const loadMs = performance.now() - started;
      const synthesisMs = Number(await page.evaluate("document.body.dataset.synthesisMs"));
      ok(synthesisMs > 0, "the page timed its photo");
      equal(await page.locator("#load-error").isHidden(), true);
      equal(await page.locator("#scene option").count(), 2);
      const before = await shownPhoto(page);
      const firstDifference = maxDifference(before, expected);
      ok(firstDifference <= 1, `the page's photo is Deno's: max difference ${firstDifference}`);

      // Select the largest car with a choice of styles, pick another style, then undo.
      const { width, height } = scene;
      const cars = scene.ids().map((id) => scene.object(id)!).filter((o) =>
        scene.isThing(o.label) && scene.clusterCount(o.id) >= 2
      );
      ok(cars.length > 0, "some car has a choice of styles");
      const target = cars.reduce((a, b) => (b.area > a.area ? b : a));
      const pixel = scene.inst.indexOf(target.id);
      const box = (await page.locator("#label-canvas").boundingBox())!;
      await page.mouse.click(
        box.x + (pixel % width + 0.5) * box.width / width,
        box.y + (Math.floor(pixel / width) + 0.5) * box.height / height,
      );
      await page.waitForFunction(`document.body.dataset.variants === "${target.id}"`, undefined, {
        timeout: 120_000,
      });
      equal(await page.locator("#variants img").count(), scene.clusterCount(target.id));
      const current = (scene.style(target.id) as { cluster: number }).cluster;
      const other = (current + 1) % scene.clusterCount(target.id);
      const v0 = await version(page);
      const editStarted = performance.now();
      await page.locator(`#variants img[data-cluster="${other}"]`).click();
      await waitVersionAbove(page, v0);
      const editMs = performance.now() - editStarted;
      const styled = await shownPhoto(page);
      let inside = 0;
      for (let p = 0; p < width * height; p++) {
        if (scene.inst[p] !== target.id) continue;
        for (let c = 0; c < 3; c++) inside += Math.abs(styled[3 * p + c] - before[3 * p + c]);
      }
      ok(inside / target.area > 3, `the style changed the car: ${inside / target.area} per pixel`);
      const v1 = await version(page);
      await page.locator("#undo").click();
      await waitVersionAbove(page, v1);
      equal(maxDifference(await shownPhoto(page), before), 0, "undo brings the photo back");

      // Save photo downloads the photo, fetched in the page, under its scene's name.
      const [saved] = await Promise.all([
        page.waitForEvent("download"),
        page.locator("#save-photo").click(),
      ]);
      equal(saved.suggestedFilename(), `${sceneName.replace(/_labelIds$/, "")}_synthesized.png`);
      const savedPhoto = decodePng(await Deno.readFile(await saved.path())).data as Uint8Array;
      equal(maxDifference(savedPhoto, before), 0);

      // The bare page: a selection without opt.json is refused by name; a run's files open.
      const picker = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      picker.on("request", (r) => requested.push(r.url()));
      await picker.goto(bare.url);
      await picker.waitForFunction(`document.getElementById("load-status").textContent !== ""`);
      const file = async (path: string) => ({
        name: path.slice(path.lastIndexOf("/") + 1),
        mimeType: "application/octet-stream",
        buffer: Buffer.from(await Deno.readFile(path)),
      });
      const g = await file(join(runDir, "latest_net_G.pth"));
      await picker.locator("#run-files").setInputFiles([g]);
      await picker.waitForSelector("#load-error:not([hidden])");
      ok((await picker.locator("#load-error").textContent())!.includes("opt.json"));
      const city = run.dataroot;
      const stem = "synth_000000_000019_gtFine";
      await picker.locator("#run-files").setInputFiles([
        g,
        await file(join(runDir, "opt.json")),
        await file(join(runDir, clusterName)),
        await file(join(runDir, "loss_log.jsonl")),
        await file(join(city, "test_label", `${stem}_labelIds.png`)),
        await file(join(city, "test_inst", `${stem}_instanceIds.png`)),
      ]);
      await picker.waitForFunction("document.body.dataset.version", undefined, {
        timeout: 120_000,
      });
      equal(await picker.locator("#load-error").isHidden(), true);
      const picked = maxDifference(await shownPhoto(picker), expected);
      ok(picked <= 1, `the picked run's photo is Deno's: max difference ${picked}`);

      // Only the sites' own files were asked for, by the pages and at the servers.
      for (const [served, dir] of [[site, siteDir], [bare, bareDir]] as const) {
        const files = await sitePaths(dir);
        for (const line of served.log) {
          const [method, path] = line.split(" ");
          ok(
            files.has(path) || (served === bare && path === "/site.json" && method === "HEAD"),
            `only the site's files are requested: ${line}`,
          );
        }
      }
      ok(site.log.includes("GET /latest_net_G.pth") && site.log.includes("GET /editor.js"));
      for (const url of requested) {
        ok(
          url.startsWith(site.url) || url.startsWith(bare.url) || /^(blob|data):/.test(url),
          `the pages request nothing elsewhere: ${url}`,
        );
        ok(!new URL(url).pathname.startsWith("/api/"), `no API request leaves the page: ${url}`);
      }
      console.log(
        `bundle ${
          (exported.bundleBytes / 1024).toFixed(1)
        } KiB; site opened to its first photo in ${
          (loadMs / 1000).toFixed(1)
        } s; first photo (G ${width}×${height} + PNG) in ${synthesisMs} ms; a style change shown in ${
          editMs.toFixed(0)
        } ms; photo differences from Deno's: site ${firstDifference}, picked files ${picked}`,
      );
    } finally {
      await browser.close();
      await site.server.shutdown();
      await bare.server.shutdown();
      editor.dispose();
      await Deno.remove(root, { recursive: true });
    }
  },
});
