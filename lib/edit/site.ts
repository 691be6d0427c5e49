/**
 * A run's files as the editor's web page opens them ({@linkcode RunBytes}), and `site.json`, the
 * index of a static site that `cli/edit.ts --export_site` writes: the run's options, G's file
 * name, the cluster file's and the scenes', each a path relative to `site.json`.
 *
 * ```json
 * {
 *   "format": "pix2pixhd-editor-site",
 *   "version": 1,
 *   "name": "label2city_512p_feat",
 *   "options": { "label_nc": 35, "netG": "global", "...": "...", "loadSize": 512, "seed": 0 },
 *   "generator": "latest_net_G.pth",
 *   "clusters": "features_clustered_010.json",
 *   "scenes": [{ "name": "frankfurt_000000_000294_gtFine_labelIds",
 *     "label": "scenes/frankfurt_000000_000294_gtFine_labelIds.png",
 *     "inst": "scenes/frankfurt_000000_000294_gtFine_instanceIds.png" }]
 * }
 * ```
 *
 * @module
 */
import { parseJsonObject } from "../io/json.ts";
import { GENERATOR_ARCHITECTURE_FLAGS } from "../pix2pixhd/architecture.ts";

/** A file's name and bytes. */
export interface NamedBytes {
  /** Its name (shown in errors). */
  name: string;
  /** Its bytes. */
  bytes: Uint8Array;
}

/** One scene's files: its label ids and, optionally, its instance ids. */
export interface SceneBytes {
  /** The scene's name. */
  name: string;
  /** The label map (PNG of label ids). */
  label: NamedBytes;
  /** The instance map (PNG of instance ids); without it, things get one id per region. */
  inst?: NamedBytes;
}

/** The files of a run that the editor opens, however they were found. */
export interface RunBytes {
  /** The run's options (`opt.json`, or `site.json`'s `options`). */
  options: unknown;
  /** Where the options come from, for errors. */
  optionsName: string;
  /** G's checkpoint (`.pth` or `.safetensors`). */
  generator: NamedBytes;
  /** The feature clusters (`.json` or `.npy`), when G takes features. */
  clusters?: NamedBytes;
  /** Scenes to open; none opens a synthetic street. */
  scenes: SceneBytes[];
  /**
   * Whether the scenes are at the size G edits already (a site's); otherwise they go through the
   * run's `resize_or_crop` transform, as `cli/edit.ts` loads a dataset's.
   */
  scenesReady?: boolean;
}

/** `site.json`'s `format`. */
export const SITE_FORMAT = "pix2pixhd-editor-site";

/** The options a site keeps: G's architecture, the transform of its scenes, the seed of styles. */
export const SITE_OPTIONS: readonly string[] = [
  ...GENERATOR_ARCHITECTURE_FLAGS,
  "resize_or_crop",
  "loadSize",
  "fineSize",
  "seed",
];

/** A scene of `site.json`: paths relative to it. */
export interface SiteScene {
  /** The scene's name. */
  name: string;
  /** Its label map. */
  label: string;
  /** Its instance map. */
  inst?: string;
}

/** `site.json`. */
export interface Site {
  /** {@linkcode SITE_FORMAT}. */
  format: typeof SITE_FORMAT;
  /** 1. */
  version: 1;
  /** The run's name. */
  name: string;
  /** The run's {@linkcode SITE_OPTIONS}. */
  options: Record<string, string | number | boolean>;
  /** G's checkpoint. */
  generator: string;
  /** The cluster file, when G takes features. */
  clusters?: string;
  /** The scenes. */
  scenes: SiteScene[];
}

/** A path a site may name: folders and a file of letters, digits, `.`, `-`, `_`; no `..`. */
const PATH = /^[\w-][\w.-]*(\/[\w-][\w.-]*)*$/;

function path(value: unknown, what: string, file: string): string {
  if (typeof value !== "string" || !PATH.test(value) || value.split("/").includes("..")) {
    throw new TypeError(
      `Cannot read ${file} as ${what} must be a relative path of letters, digits, '.', '-' and '_' within the site: current value is ${
        JSON.stringify(value)
      }`,
    );
  }
  return value;
}

/**
 * Reads `site.json`'s text, checking its fields and that every path stays within the site;
 * `file` names it in errors.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { parseSite } from "./site.ts";
 *
 * const site = { format: "pix2pixhd-editor-site", version: 1, name: "run", options: {},
 *   generator: "latest_net_G.pth", scenes: [{ name: "a", label: "scenes/a.png" }] };
 * equal(parseSite(JSON.stringify(site), "site.json").scenes[0].label, "scenes/a.png");
 * throws(() => parseSite(JSON.stringify({ ...site, generator: "../G.pth" }), "site.json"), /generator/);
 * ```
 */
export function parseSite(text: string, file: string): Site {
  const o = parseJsonObject(text, file);
  if (o.format !== SITE_FORMAT || o.version !== 1) {
    throw new TypeError(
      `Cannot read ${file} as its format must be ${SITE_FORMAT} version 1: current value is ${
        JSON.stringify(o.format)
      } version ${JSON.stringify(o.version)}`,
    );
  }
  if (typeof o.options !== "object" || o.options === null || Array.isArray(o.options)) {
    throw new TypeError(`Cannot read ${file} as options must be an object of the run's options`);
  }
  if (!Array.isArray(o.scenes)) {
    throw new TypeError(`Cannot read ${file} as scenes must be a list`);
  }
  const scenes = o.scenes.map((s: unknown, i): SiteScene => {
    const scene = (typeof s === "object" && s !== null ? s : {}) as Record<string, unknown>;
    if (typeof scene.name !== "string" || scene.name === "") {
      throw new TypeError(
        `Cannot read ${file} as scene ${i}'s name must be text: current value is ${
          JSON.stringify(scene.name)
        }`,
      );
    }
    const out: SiteScene = {
      name: scene.name,
      label: path(scene.label, `scene ${i}'s label`, file),
    };
    if (scene.inst !== undefined) out.inst = path(scene.inst, `scene ${i}'s inst`, file);
    return out;
  });
  const site: Site = {
    format: SITE_FORMAT,
    version: 1,
    name: typeof o.name === "string" ? o.name : "",
    options: o.options as Site["options"],
    generator: path(o.generator, "generator", file),
    scenes,
  };
  if (o.clusters !== undefined) site.clusters = path(o.clusters, "clusters", file);
  return site;
}

/** A function that fetches, as `fetch` (a page's own, or a test's). */
export type Fetcher = (request: Request) => Promise<Response>;

/**
 * Fetches a site: `site.json` at `url`, then G, the cluster file and the scenes it names,
 * relative to it. Errors name the URL that failed.
 */
export async function fetchSite(
  url: string | URL,
  fetcher: Fetcher = (request) => fetch(request),
): Promise<{ site: Site; run: RunBytes }> {
  const base = new URL(url);
  const get = async (at: URL): Promise<Uint8Array> => {
    const response = await fetcher(new Request(at));
    if (!response.ok) {
      throw new Error(
        `Cannot load ${at} as the server answered ${response.status} ${response.statusText}`,
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  };
  const site = parseSite(new TextDecoder().decode(await get(base)), base.href);
  const file = async (path: string): Promise<NamedBytes> => {
    const at = new URL(path, base);
    return { name: at.pathname.slice(at.pathname.lastIndexOf("/") + 1), bytes: await get(at) };
  };
  const run: RunBytes = {
    options: site.options,
    optionsName: `${base.href} (options)`,
    generator: await file(site.generator),
    scenes: [],
    scenesReady: true,
  };
  if (site.clusters) run.clusters = await file(site.clusters);
  for (const s of site.scenes) {
    const scene: SceneBytes = { name: s.name, label: await file(s.label) };
    if (s.inst) scene.inst = await file(s.inst);
    run.scenes.push(scene);
  }
  return { site, run };
}
