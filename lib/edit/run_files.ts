/**
 * Which of the files a user selected from a run folder the editor uses, by name: G's checkpoint
 * (`*_net_G.pth` or `*_net_G.safetensors`), `opt.json`, a cluster file
 * (`features_clustered_*.json` or `.npy`) and scenes (`*_labelIds.png`, each with its
 * `*_instanceIds.png` when selected). Other files (D, E, logs) are listed as not used.
 *
 * @module
 */
import { parseJsonObject } from "../io/json.ts";
import type { NamedBytes, RunBytes, SceneBytes } from "./site.ts";

const GENERATOR = /_net_G\.(pth|safetensors)$/;
const CLUSTERS = /^features_clustered_.*\.(json|npy)$/;
const LABEL = /^(.*)_labelIds\.png$/;
const INSTANCE = /^(.*)_instanceIds\.png$/;

/** The one name of `names`, or undefined for none; several are refused. */
function one(names: string[], what: string): string | undefined {
  if (names.length > 1) {
    throw new TypeError(
      `Cannot open the run as it needs one ${what}: current value is ${
        names.join(", ")
      } (select one of them)`,
    );
  }
  return names[0];
}

/** The roles of a run folder's files, by name. */
export interface RunFileNames {
  /** `opt.json`. */
  opt: string;
  /** G's checkpoint. */
  generator: string;
  /** The cluster file. */
  clusters?: string;
  /** The scenes: a name, its label map's file and its instance map's. */
  scenes: { name: string; label: string; inst?: string }[];
  /** The names not used, in order. */
  unused: string[];
}

/**
 * Sorts the names of files selected from a run folder: `opt.json` (required: it records G's
 * architecture) and one G checkpoint are needed, a cluster file and scenes are optional. Scenes
 * come in name order; `<stem>_instanceIds.png` goes with `<stem>_labelIds.png`.
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { sortRunFiles } from "./run_files.ts";
 *
 * const sorted = sortRunFiles(["opt.json", "latest_net_G.pth", "loss_log.jsonl"]);
 * deepEqual([sorted.generator, sorted.unused], ["latest_net_G.pth", ["loss_log.jsonl"]]);
 * throws(() => sortRunFiles(["latest_net_G.pth"]), /opt\.json/);
 * ```
 */
export function sortRunFiles(names: readonly string[]): RunFileNames {
  const all = [...names].sort();
  const listed = all.join(", ") || "no file";
  if (!all.includes("opt.json")) {
    throw new TypeError(
      `Cannot open the run as opt.json, which records G's architecture, is not among the files selected: current value is ${listed} (select the run folder's opt.json with G's checkpoint)`,
    );
  }
  const generator = one(all.filter((n) => GENERATOR.test(n)), "G checkpoint");
  if (!generator) {
    throw new TypeError(
      `Cannot open the run as no G checkpoint (*_net_G.pth or *_net_G.safetensors) is among the files selected: current value is ${listed}`,
    );
  }
  const clusters = one(all.filter((n) => CLUSTERS.test(n)), "cluster file");
  const instances = new Map<string, string>();
  for (const n of all) {
    const stem = INSTANCE.exec(n)?.[1];
    if (stem !== undefined) instances.set(stem, n);
  }
  const scenes: RunFileNames["scenes"] = [];
  for (const n of all) {
    const stem = LABEL.exec(n)?.[1];
    if (stem === undefined) continue;
    const inst = instances.get(stem);
    instances.delete(stem);
    const name = n.slice(0, -".png".length);
    scenes.push(inst ? { name, label: n, inst } : { name, label: n });
  }
  const orphan = [...instances.values()][0];
  if (orphan) {
    throw new TypeError(
      `Cannot use ${orphan} as its label map is not selected: current value is no ${
        orphan.replace(INSTANCE, "$1_labelIds.png")
      }`,
    );
  }
  const used = new Set([
    "opt.json",
    generator,
    ...(clusters ? [clusters] : []),
    ...scenes.flatMap((s) => s.inst ? [s.label, s.inst] : [s.label]),
  ]);
  const sorted: RunFileNames = {
    opt: "opt.json",
    generator,
    scenes,
    unused: all.filter((n) => !used.has(n)),
  };
  if (clusters) sorted.clusters = clusters;
  return sorted;
}

/**
 * The run of a selection of a run folder's files (see {@linkcode sortRunFiles}), with
 * `opt.json` parsed.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { runFromFiles } from "./run_files.ts";
 *
 * const file = (name: string, text = "{}") => ({ name, bytes: new TextEncoder().encode(text) });
 * const run = runFromFiles([file("opt.json", '{"ngf": 4}'), file("latest_net_G.pth")]);
 * equal((run.options as { ngf: number }).ngf, 4);
 * ```
 */
export function runFromFiles(files: readonly NamedBytes[]): RunBytes {
  const sorted = sortRunFiles(files.map((f) => f.name));
  const byName = new Map(files.map((f) => [f.name, f]));
  const get = (name: string) => byName.get(name)!;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(get(sorted.opt).bytes);
  } catch {
    throw new SyntaxError("Cannot read opt.json as its bytes are not UTF-8 JSON");
  }
  const options = parseJsonObject(text, "opt.json");
  const scenes: SceneBytes[] = sorted.scenes.map((s) =>
    s.inst
      ? { name: s.name, label: get(s.label), inst: get(s.inst) }
      : { name: s.name, label: get(s.label) }
  );
  const run: RunBytes = {
    options,
    optionsName: "opt.json",
    generator: get(sorted.generator),
    scenes,
  };
  if (sorted.clusters) run.clusters = get(sorted.clusters);
  return run;
}
