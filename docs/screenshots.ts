/**
 * Takes the README's screenshots of the editor on the model in the repository
 * (models/street_small), in headless Chromium at a laptop's 1280×800:
 *
 * - `docs/editor.png`: `deno task edit`'s page with the largest car of a test scene selected, its
 *   style thumbnails beside it;
 * - `docs/web_page.png`: the same model exported as a static site (`cli/edit.ts --export_site`),
 *   G running on the page's WebGPU (SwiftShader).
 *
 *   deno run -A docs/screenshots.ts
 *
 * @module
 */
import { join } from "node:path";
// A development-only dependency, kept out of the package's import map.
// deno-lint-ignore no-import-prefix
import { type Browser, chromium, type Page } from "npm:playwright-core@1.65.1";
import { bundledArgs } from "../cli/edit.ts";
import { edit } from "../lib/app/edit.ts";
import { exportSite } from "../lib/app/export_site.ts";
import { parseOptions } from "../lib/app/options.ts";
import type { Scene } from "../lib/edit/scene.ts";
import { CHROMIUM } from "../tests/chromium.ts";
import { serveFolder } from "../tests/serve_folder.ts";

const CAR = 26;
const VIEWPORT = { width: 1280, height: 800 };
const out = (name: string) => new URL(name, import.meta.url).pathname;

const args = bundledArgs();
if (!args) throw new Error("models/street_small/latest_net_G.pth is missing");
const testArgs = [...args, "--phase", "test"];

/** The centre pixel of the scene's largest car. */
function largestCar(scene: Scene): [number, number] {
  const cars = scene.ids().map((id) => scene.object(id)!).filter((o) => o.label === CAR);
  if (!cars.length) throw new Error("the first test scene has no car");
  const car = cars.reduce((a, b) => (b.area > a.area ? b : a));
  for (let dy = 0; dy < car.box[3]; dy++) {
    for (let dx = 0; dx < car.box[2]; dx++) {
      const x = car.box[0] + Math.floor(car.box[2] / 2) + dx;
      const y = car.box[1] + Math.floor(car.box[3] / 2) + dy;
      if (scene.idAt([x, y]) === car.id) return [x, y];
    }
  }
  throw new Error(`car ${car.id} has no pixel near its box's centre`);
}

/** Clicks scene pixel `at` on the page's label map and waits for the style thumbnails. */
async function selectAt(page: Page, scene: Scene, at: [number, number]): Promise<void> {
  const box = (await page.locator("#label-canvas").boundingBox())!;
  await page.mouse.click(
    box.x + (at[0] + 0.5) * box.width / scene.width,
    box.y + (at[1] + 0.5) * box.height / scene.height,
  );
  await page.waitForSelector("#variants img", { timeout: 300_000 });
  // The thumbnails are data URLs: let them decode before the picture.
  await page.waitForFunction(
    '[...document.querySelectorAll("#variants img")].every((i) => i.complete)',
  );
}

async function editorShot(browser: Browser): Promise<void> {
  const stop = new AbortController();
  const editor = await edit(parseOptions("edit", testArgs), {
    print: () => {},
    signal: stop.signal,
  });
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    await page.goto(editor.url);
    await page.waitForFunction(`document.body.dataset.version === "${editor.session.version}"`);
    await selectAt(page, editor.session.scene, largestCar(editor.session.scene));
    await page.screenshot({ path: out("editor.png") });
    console.log(`wrote ${out("editor.png")}`);
  } finally {
    stop.abort();
    await editor.server.finished;
    editor.dispose();
  }
}

async function webShot(browser: Browser): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pix2pixhd_site_" });
  const site = join(dir, "site");
  await exportSite(parseOptions("edit", [...testArgs, "--export_site", site]), {
    print: () => {},
  });
  // The scene the page opens first, to find its car.
  const stop = new AbortController();
  const editor = await edit(parseOptions("edit", testArgs), {
    print: () => {},
    signal: stop.signal,
  });
  const at = largestCar(editor.session.scene);
  const scene = editor.session.scene;
  stop.abort();
  await editor.server.finished;
  const served = serveFolder(site);
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    await page.goto(served.url);
    await page.waitForFunction('document.getElementById("photo").src.startsWith("blob:")', {
      timeout: 300_000,
    });
    await selectAt(page, scene, at);
    await page.screenshot({ path: out("web_page.png") });
    console.log(`wrote ${out("web_page.png")}`);
  } finally {
    await served.server.shutdown();
    editor.dispose();
    await Deno.remove(dir, { recursive: true });
  }
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"],
});
try {
  await editorShot(browser);
  await webShot(browser);
} finally {
  await browser.close();
}
