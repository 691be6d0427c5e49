/// <reference lib="dom" />
/**
 * The scene editor as a static web page: G runs on the page's own WebGPU and the editor's API
 * is answered inside the page ({@linkcode pageFetch}), so nothing but the site's own files is
 * ever requested. `deno task web` bundles this module (`main.js`) beside the editor's page,
 * script and style (`lib/edit/static/`); this module adds the panel that loads a model:
 *
 * - files the user selects from a run folder: `*_net_G.pth` or `.safetensors`, `opt.json`, and
 *   optionally `features_clustered_*.json`/`.npy` and `*_labelIds.png` with `*_instanceIds.png`;
 * - or a site's `site.json` (`cli/edit.ts --export_site`): typed in, given as `?site=<url>`,
 *   or found next to the page.
 *
 * With no scene given, a synthetic street of the model's size opens.
 *
 * @module
 */
import { pageFetch } from "../lib/edit/api.ts";
import { type OpenedRun, openRun } from "../lib/edit/open_run.ts";
import { runFromFiles, sortRunFiles } from "../lib/edit/run_files.ts";
import { fetchSite, type RunBytes } from "../lib/edit/site.ts";

declare global {
  // The page's answer to the editor's API requests, read by editor.js.
  var pix2pixhdFetch: ((request: Request) => Promise<Response>) | undefined;
  // editor.js's (re)start on the current model.
  var pix2pixhdStart: (() => Promise<void>) | undefined;
}

const PANEL = `
  <h1>pix2pixHD scene editor <small>G runs on this page's WebGPU; files stay on this computer</small></h1>
  <div class="ways">
    <label>Run files <input id="run-files" type="file" multiple
      accept=".pth,.safetensors,.json,.npy,.png"></label>
    <span class="hint">select at once: <code>*_net_G.pth</code> (or <code>.safetensors</code>),
      <code>opt.json</code>; optionally <code>features_clustered_*.json</code>/<code>.npy</code>
      and <code>*_labelIds.png</code> with <code>*_instanceIds.png</code></span>
    <form id="site-form"><label>or a site <input id="site-url" type="text" size="40"
      placeholder="https://…/site.json"></label> <button id="site-load">Load</button></form>
  </div>
  <p id="load-status" role="status"></p>
  <p id="load-error" role="alert" hidden></p>`;

const $ = (id: string) => document.getElementById(id)!;
let current: OpenedRun | undefined;
let editorScript: Promise<void> | undefined;

function status(text: string): void {
  $("load-status").textContent = text;
}

function failure(text: string): void {
  $("load-error").textContent = text;
  $("load-error").hidden = !text;
}

/** The page's API fetch, timing each photo (G's synthesis and its PNG). */
function timedFetch(opened: OpenedRun, label: string): (request: Request) => Promise<Response> {
  const answer = pageFetch(opened.session);
  return async (request) => {
    const photo = new URL(request.url).pathname === "/api/photo.png";
    const start = performance.now();
    const response = await answer(request);
    if (photo && response.ok) {
      const ms = Math.round(performance.now() - start);
      document.body.dataset.synthesisMs = String(ms);
      status(`${label} — last photo in ${ms} ms`);
    }
    return response;
  };
}

/** Runs editor.js once (it starts itself), or restarts it on a new model. */
function startEditor(): Promise<void> {
  if (editorScript) return editorScript.then(() => globalThis.pix2pixhdStart?.());
  editorScript = new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "editor.js";
    script.onload = () => resolve();
    script.onerror = () => reject(new Error("Cannot load editor.js from the site"));
    document.body.append(script);
  });
  return editorScript;
}

/** Opens a run; errors are shown on the page, naming the file. */
async function load(what: string, get: () => Promise<RunBytes>): Promise<void> {
  for (const id of ["run-files", "site-url", "site-load"]) {
    ($(id) as HTMLInputElement).disabled = true;
  }
  failure("");
  status(`Loading ${what}…`);
  const start = performance.now();
  try {
    if (!navigator.gpu) {
      throw new Error(
        "Cannot run G as this browser has no WebGPU: use a browser with WebGPU enabled (Chrome, Edge, Safari 26, Firefox 141 on Windows)",
      );
    }
    const run = await get();
    const opened = await openRun(run);
    const previous = current;
    current = opened;
    const s = opened.settings;
    const label = `${run.generator.name}: ${s.netG} G, ngf ${s.ngf}, ${s.label_nc} classes${
      run.clusters ? `, styles from ${run.clusters.name}` : ""
    }; ${opened.session.sceneNames.length} scene(s)`;
    globalThis.pix2pixhdFetch = timedFetch(opened, label);
    document.body.dataset.model = run.generator.name;
    status(label);
    await startEditor();
    previous?.dispose();
    document.body.dataset.loadMs = String(Math.round(performance.now() - start));
  } catch (error) {
    console.error(error);
    status("");
    failure(`Cannot open ${what}: ${(error as Error).message}`);
  } finally {
    for (const id of ["run-files", "site-url", "site-load"]) {
      ($(id) as HTMLInputElement).disabled = false;
    }
  }
}

async function loadFiles(list: FileList): Promise<void> {
  const files = [...list];
  await load(`the ${files.length} files selected`, async () => {
    const sorted = sortRunFiles(files.map((f) => f.name));
    const used = new Set([sorted.opt, sorted.generator, sorted.clusters ?? ""]);
    for (const s of sorted.scenes) used.add(s.label).add(s.inst ?? "");
    const read = await Promise.all(
      files.filter((f) => used.has(f.name)).map(async (f) => ({
        name: f.name,
        bytes: new Uint8Array(await f.arrayBuffer()),
      })),
    );
    if (sorted.unused.length) console.info(`not used: ${sorted.unused.join(", ")}`);
    return runFromFiles(read);
  });
}

function loadSite(url: URL): Promise<void> {
  ($("site-url") as HTMLInputElement).value = url.href;
  return load(url.href, async () => (await fetchSite(url)).run);
}

/** `?site=<url>`, else `site.json` next to the page when there is one. */
async function autoload(): Promise<void> {
  const given = new URLSearchParams(location.search).get("site");
  if (given) return loadSite(new URL(given, location.href));
  const next = new URL("site.json", location.href);
  if (next.protocol !== "http:" && next.protocol !== "https:") return;
  const probe = await fetch(next, { method: "HEAD", cache: "no-store" });
  if (probe.ok) return loadSite(next);
  status("Select a run's files, or give a site's site.json.");
}

const panel = document.createElement("section");
panel.id = "loader";
panel.innerHTML = PANEL;
document.body.prepend(panel);
$("run-files").addEventListener("change", () => {
  const input = $("run-files") as HTMLInputElement;
  if (input.files?.length) loadFiles(input.files).finally(() => input.value = "");
});
$("site-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ($("site-url") as HTMLInputElement).value.trim();
  let url: URL;
  try {
    url = new URL(text, location.href);
  } catch {
    failure(`Cannot load the site as its URL does not parse: current value is ${text}`);
    return;
  }
  loadSite(url);
});
autoload().catch((error) => failure(`Cannot look for site.json: ${(error as Error).message}`));
