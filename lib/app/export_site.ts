/**
 * `cli/edit.ts --export_site DIR`: a trained run's editor as a static site that runs G in the
 * browser. DIR gets the web page ({@linkcode buildWeb}), G's checkpoint, the cluster file when G
 * takes features, the first `--how_many` scenes of `<dataroot>/<phase>` as PNGs of label ids
 * (`scenes/<stem>_labelIds.png`, 8-bit) and instance ids (`scenes/<stem>_instanceIds.png`,
 * 16-bit) at the size the run's transform gives, as `cli/edit.ts` opens them, and `site.json`
 * naming them all, which the page opens by itself.
 *
 * @module
 */
import { basename, join } from "node:path";
import { encodePng } from "../data/png.ts";
import { type Site, SITE_FORMAT, SITE_OPTIONS, type SiteScene } from "../edit/site.ts";
import { openEditRun } from "./edit.ts";
import type { ParsedOptions, SavedOptions } from "./options.ts";
import { buildWeb, type BuiltFile } from "./web_build.ts";

/** Options of {@linkcode exportSite} beyond the flags. */
export interface ExportHooks {
  /** Where messages go (default `console.log`). */
  print?: (line: string) => void;
}

/** What {@linkcode exportSite} wrote. */
export interface SiteExport {
  /** The folder. */
  dir: string;
  /** `site.json`'s content. */
  site: Site;
  /** Every file written, by its path in the folder. */
  files: BuiltFile[];
  /** The bundle's size in bytes. */
  bundleBytes: number;
}

/** A scene's file stem: its name without `_labelIds`, other characters than `\w.-` as `_`. */
function stemOf(name: string): string {
  return name.replace(/_labelIds$/, "").replace(/[^\w.-]/g, "_").replace(/^[.-]/, "_");
}

/** Writes the site for parsed `cli/edit.ts` options with `--export_site`; see the module doc. */
export async function exportSite(
  parsed: ParsedOptions,
  hooks: ExportHooks = {},
): Promise<SiteExport> {
  const print = hooks.print ?? ((line: string) => console.log(line));
  const dir = parsed.options.export_site;
  if (!dir) {
    throw new TypeError(
      "Cannot export a site as --export_site must name a folder: current value is ''",
    );
  }
  if (parsed.given.has("port")) {
    throw new TypeError(
      `Cannot use --port with --export_site as the site is served by any static web server: current value is ${parsed.options.port}`,
    );
  }
  const run = await openEditRun(parsed, print);
  const o = run.options;
  const build = await buildWeb(dir);
  const files = [...build.files];
  const write = async (path: string, bytes: Uint8Array) => {
    await Deno.writeFile(join(dir, path), bytes);
    files.push({ name: path, bytes: bytes.length });
  };
  const copy = async (from: string) => {
    const name = basename(from);
    await Deno.copyFile(from, join(dir, name));
    files.push({ name, bytes: (await Deno.stat(join(dir, name))).size });
    return name;
  };

  const options: Record<string, string | number | boolean> = {};
  const all: SavedOptions = o;
  for (const k of SITE_OPTIONS) options[k] = all[k];
  const site: Site = {
    format: SITE_FORMAT,
    version: 1,
    name: o.name,
    options,
    generator: await copy(run.gPath),
    scenes: [],
  };
  if (run.clusters) site.clusters = await copy(run.clusters.path);

  await Deno.mkdir(join(dir, "scenes"), { recursive: true });
  const stems = new Map<string, string>();
  for (const source of run.scenes) {
    const stem = stemOf(source.name);
    if (stems.has(stem)) {
      throw new RangeError(
        `Cannot export ${source.name} as its file name ${stem} is also ${
          stems.get(stem)
        }'s: current value is ${stem}`,
      );
    }
    stems.set(stem, source.name);
    const maps = await source.load();
    const { width, height } = maps;
    const scene: SiteScene = { name: source.name, label: `scenes/${stem}_labelIds.png` };
    await write(scene.label, encodePng({ width, height, channels: 1, data: maps.label }));
    if (!o.no_instance) {
      const over = maps.inst.findIndex((id) => id < 0 || id > 0xffff);
      if (over >= 0) {
        throw new RangeError(
          `Cannot export ${source.name}'s instance map as a 16-bit PNG as ids must be 0..65535: current value is ${
            maps.inst[over]
          }`,
        );
      }
      scene.inst = `scenes/${stem}_instanceIds.png`;
      await write(
        scene.inst,
        encodePng({ width, height, channels: 1, data: Uint16Array.from(maps.inst) }),
      );
    }
    site.scenes.push(scene);
  }
  await write("site.json", new TextEncoder().encode(JSON.stringify(site, null, 2) + "\n"));
  for (const f of files) print(`${join(dir, f.name)}  ${f.bytes} bytes`);
  print(
    `site for ${o.name}: ${site.scenes.length} scene(s), bundle ${
      (build.bundleBytes / 1024).toFixed(1)
    } KiB; serve ${dir} with any static web server and open it`,
  );
  return { dir, site, files, bundleBytes: build.bundleBytes };
}
