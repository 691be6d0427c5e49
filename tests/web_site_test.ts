/**
 * `cli/edit.ts --export_site` on the tiny trained run with instance features, and the page's
 * way of opening a run (`lib/edit/open_run.ts`) run in Deno on the same GPU: the exported site
 * and a run folder's files picked by name both open to the photo `cli/edit.ts` synthesizes, and
 * a missing opt.json, a G of another architecture and a feature G without clusters are refused
 * naming the file.
 */
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { basename, join } from "node:path";
import { main as editMain } from "../cli/edit.ts";
import { edit } from "../lib/app/edit.ts";
import { exportSite } from "../lib/app/export_site.ts";
import { parseOptions } from "../lib/app/options.ts";
import { decodePng } from "../lib/data/png.ts";
import { openRun } from "../lib/edit/open_run.ts";
import { runFromFiles } from "../lib/edit/run_files.ts";
import { fetchSite, type NamedBytes, parseSite } from "../lib/edit/site.ts";
import { gpu } from "./check.ts";
import { featureArgs, featureRun } from "./feature_run.ts";

/** A fetch that answers `http://site/<path>` from the folder `root`. */
function folderFetch(root: string, log: string[]) {
  return async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    log.push(path);
    try {
      return new Response(await Deno.readFile(join(root, path)));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      return new Response("not found", { status: 404, statusText: "Not Found" });
    }
  };
}

async function named(path: string): Promise<NamedBytes> {
  return { name: basename(path), bytes: await Deno.readFile(path) };
}

Deno.test("export_site: a site that opens, as picked files do, to cli/edit.ts's photo", async () => {
  await gpu();
  const run = await featureRun();
  const runDir = join(run.checkpoints, "feat");
  const args = [...featureArgs(run), "--cluster_path", "features_clustered_003.json"];
  const dir = await Deno.makeTempDir({ prefix: "pix2pixhd_site_" });
  const stop = new AbortController();
  const editor = await edit(parseOptions("edit", args), { print: () => {}, signal: stop.signal });
  try {
    const lines: string[] = [];
    const exported = await exportSite(
      parseOptions("edit", [...args, "--how_many", "1", "--export_site", dir]),
      { print: (line) => lines.push(line) },
    );
    ok(lines.at(-1)!.startsWith("site for feat: 1 scene(s), bundle"), lines.at(-1));
    const site = parseSite(await Deno.readTextFile(join(dir, "site.json")), "site.json");
    deepEqual(site, exported.site);
    equal(site.generator, "latest_net_G.pth");
    equal(site.clusters, "features_clustered_003.json");
    equal(site.options.ngf, 4);
    equal(site.options.seed, 3);
    equal(site.scenes.length, 1, "--how_many scenes");
    equal(site.scenes[0].name, editor.session.sceneName);
    for (const f of ["index.html", "main.js", "editor.js", "editor.css", "web.css"]) {
      ok((await Deno.stat(join(dir, f))).isFile, f);
    }
    deepEqual(
      await Deno.readFile(join(dir, "latest_net_G.pth")),
      await Deno.readFile(join(runDir, "latest_net_G.pth")),
    );
    // The scenes at the run's transform's size (the data are 256×128, loadSize 256).
    const label = decodePng(await Deno.readFile(join(dir, site.scenes[0].label)));
    const inst = decodePng(await Deno.readFile(join(dir, site.scenes[0].inst!)));
    const scene = editor.session.scene;
    deepEqual([label.width, label.height, label.channels], [scene.width, scene.height, 1]);
    deepEqual(label.data, scene.label);
    ok(inst.data instanceof Uint16Array, "instance ids are 16-bit");
    deepEqual(Int32Array.from(inst.data), scene.inst);

    const expected = await editor.session.photo();
    const asked: string[] = [];
    const fromSite = await openRun(
      (await fetchSite("http://site/site.json", folderFetch(dir, asked))).run,
    );
    try {
      deepEqual(await fromSite.session.photo(), expected, "the site's photo is cli/edit.ts's");
    } finally {
      fromSite.dispose();
    }
    deepEqual(asked.sort(), [
      "/features_clustered_003.json",
      "/latest_net_G.pth",
      `/${site.scenes[0].inst}`,
      `/${site.scenes[0].label}`,
      "/site.json",
    ]);

    const stem = join(run.dataroot, "test_label", `${editor.session.sceneName}.png`);
    const picked = [
      await named(join(runDir, "latest_net_G.pth")),
      await named(join(runDir, "opt.json")),
      await named(join(runDir, "features_clustered_003.json")),
      await named(stem),
      await named(stem.replace("test_label", "test_inst").replace("_labelIds", "_instanceIds")),
    ];
    const fromFiles = await openRun(runFromFiles(picked));
    try {
      deepEqual(await fromFiles.session.photo(), expected, "the picked files' photo too");
    } finally {
      fromFiles.dispose();
    }

    // Refusals name what is wrong.
    throws(() => runFromFiles(picked.filter((f) => f.name !== "opt.json")), /opt\.json.*G's arch/);
    const opt = JSON.parse(new TextDecoder().decode(picked[1].bytes));
    const wider = {
      name: "opt.json",
      bytes: new TextEncoder().encode(JSON.stringify({ ...opt, ngf: 8 })),
    };
    await rejects(
      openRun(runFromFiles([picked[0], wider, picked[2]])),
      /Cannot load latest_net_G\.pth: .*shape/,
    );
    await rejects(openRun(runFromFiles([picked[0], picked[1]])), /no cluster file was given/);
    await rejects(
      exportSite(parseOptions("edit", [...args, "--port", "8000", "--export_site", dir])),
      /Cannot use --port with --export_site/,
    );
  } finally {
    stop.abort();
    await editor.server.finished;
    editor.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli/edit.ts --export_site writes the site and exits without serving", async () => {
  await gpu();
  const run = await featureRun();
  const dir = await Deno.makeTempDir({ prefix: "pix2pixhd_site_" });
  const log = console.log;
  const lines: string[] = [];
  console.log = (line: string) => lines.push(line);
  try {
    const args = [...featureArgs(run), "--cluster_path", "features_clustered_003.json"];
    equal(await editMain([...args, "--how_many", "2", "--export_site", dir]), 0);
    ok(!lines.some((l) => l.startsWith("editor: http")), "no server was started");
    const site = parseSite(await Deno.readTextFile(join(dir, "site.json")), "site.json");
    equal(site.scenes.length, 2);
  } finally {
    console.log = log;
    await Deno.remove(dir, { recursive: true });
  }
});
