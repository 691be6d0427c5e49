/**
 * `cli/edit.ts`: the scene editor for a trained run. It loads G (and the run's feature clusters
 * when G takes features), lists the label maps of `<dataroot>/<phase>_label` as scenes, and
 * serves the editor's page on 127.0.0.1.
 *
 * @module
 */

import { basename, extname } from "node:path";
import { listDataset } from "../data/layout.ts";
import { mixSeed } from "../data/rng.ts";
import { loadSample } from "../data/sample.ts";
import { serveEditor } from "../edit/server.ts";
import { EditorSession, instancesFromLabels, type SceneSource } from "../edit/session.ts";
import { defaultThingClasses } from "../edit/scene.ts";
import { initGpu } from "../gpu/kernel.ts";
import { loadNetwork, networkPath } from "./checkpoints.ts";
import { readRunClusters } from "./features.ts";
import { buildG, rememberedOptions, transformOptions, usesFeatures } from "./model.ts";
import type { Options, ParsedOptions } from "./options.ts";
import type { FeatureClusters } from "../features/clusters.ts";
import { adapterLine } from "../gpu/device.ts";

/** Options of {@linkcode edit} beyond the flags. */
export interface EditHooks {
  /** Where messages go (default `console.log`). */
  print?: (line: string) => void;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
}

/** What {@linkcode edit} started. */
export interface EditResult {
  /** The page's URL (`http://127.0.0.1:<port>/`). */
  url: string;
  /** The server; `finished` resolves once it stops. */
  server: Deno.HttpServer;
  /** The editor's state. */
  session: EditorSession;
  /** The options used. */
  options: Options;
  /** Frees G; call after the server stopped. */
  dispose(): void;
}

/** A run as the editor opens it: its options, G's file, its clusters and its scenes. */
export interface EditRun {
  /** The options, with the run's architecture. */
  options: Options;
  /** G's checkpoint. */
  gPath: string;
  /** The feature clusters and their file, when G takes features. */
  clusters?: { clusters: FeatureClusters; path: string };
  /** The first `--how_many` label maps of `<dataroot>/<phase>`, at the run's transform's size. */
  scenes: SceneSource[];
}

/**
 * Reads what the editor needs of a run for parsed `cli/edit.ts` options, checking the options,
 * G's checkpoint, the clusters and the scenes; `print` gets what was read from where.
 */
export async function openEditRun(
  parsed: ParsedOptions,
  print: (line: string) => void,
): Promise<EditRun> {
  const { options: o, dir: ckpt } = await rememberedOptions(parsed, print);
  const labelNc = o.label_nc;
  if (labelNc === 0) {
    throw new TypeError(
      "Cannot edit RGB label images: current value is --label_nc 0 (the editor edits label ids)",
    );
  }
  for (const note of parsed.notes) print(`note: ${note}`);
  const gPath = networkPath(ckpt, o.which_epoch, "G");
  if (!(await Deno.stat(gPath).then(() => true, () => false))) {
    throw new Deno.errors.NotFound(
      `Cannot edit as the generator checkpoint ${gPath} does not exist (check --checkpoints_dir, --name and --which_epoch)`,
    );
  }
  const clusters = usesFeatures(o) ? await readRunClusters(o, ckpt, parsed.given) : undefined;
  if (clusters) print(`feature clusters from ${clusters.path}`);
  const noInstance = o.no_instance;
  const entries = (await listDataset(o.dataroot, {
    phase: o.phase,
    labelNc,
    instance: !noInstance,
    image: false,
  })).slice(0, o.how_many);
  if (entries.length === 0) {
    throw new RangeError(
      `Cannot edit as ${o.dataroot} has no ${o.phase} label maps: current value is none`,
    );
  }
  const transform = transformOptions(o, false);
  const things = new Set(defaultThingClasses(labelNc));
  const scenes: SceneSource[] = entries.map((entry, i) => ({
    name: basename(entry.label, extname(entry.label)),
    load: async () => {
      const s = await loadSample(entry, { labelNc, transform, seed: mixSeed(o.seed, i) });
      const inst = s.inst ??
        instancesFromLabels(s.label, s.width, (c) => things.has(c));
      return { width: s.width, height: s.height, label: s.label, inst };
    },
  }));
  return clusters ? { options: o, gPath, clusters, scenes } : { options: o, gPath, scenes };
}

/** Starts the editor for parsed `cli/edit.ts` options; see the module doc. */
export async function edit(parsed: ParsedOptions, hooks: EditHooks = {}): Promise<EditResult> {
  const print = hooks.print ?? ((line: string) => console.log(line));
  if (parsed.options.export_site) {
    throw new TypeError(
      `Cannot serve the editor with --export_site: current value is ${parsed.options.export_site} (exportSite writes the site)`,
    );
  }
  const { options: o, gPath, clusters, scenes } = await openEditRun(parsed, print);
  const labelNc = o.label_nc;
  const noInstance = o.no_instance;
  const rt = await initGpu();
  print(adapterLine(rt.gpu));
  const netG = buildG(o);
  try {
    await loadNetwork(netG, gPath, { strict: true });
    print(`loaded ${gPath}`);
    const session = new EditorSession({
      netG,
      input: { labelNc, noInstance },
      clusters: clusters?.clusters,
      seed: o.seed,
      scenes,
    });
    await session.open(0);
    let url = "";
    const server = serveEditor(session, {
      port: o.port,
      signal: hooks.signal,
      onListen: (u) => url = u,
    });
    print(`editor: ${url} (${scenes.length} scenes; Ctrl-C stops it)`);
    return { url, server, session, options: o, dispose: () => netG.dispose() };
  } catch (error) {
    netG.dispose();
    throw error;
  }
}
