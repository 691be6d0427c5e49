/**
 * The scene editor: a local web page showing a label map and the photo a trained generator
 * synthesizes from it, with a class palette and brush, object selection, relabelling, a style
 * per object from thumbnails of its class's clusters, undo and redo, opening and saving:
 *
 * ```sh
 * deno run -A cli/edit.ts --name label2city_512p_feat
 * ```
 *
 * Without flags (`deno task edit`) it opens the model in the repository, `models/street_small`,
 * on the sample scenes. It serves on 127.0.0.1 only and prints the URL. The scenes are `<dataroot>/<phase>_label`
 * (`--phase test` by default); the run's `opt.json` supplies the architecture, and a model with
 * features reads the clusters `cli/encode.ts` wrote.
 *
 * `--export_site DIR` serves nothing: it writes the editor as a static web page that runs G in
 * the browser, with the run's G, clusters and first `--how_many` scenes, and exits.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { edit } from "../lib/app/edit.ts";
import { exportSite } from "../lib/app/export_site.ts";
import { helpText, parseOptions } from "../lib/app/options.ts";
import { runCli } from "./run_cli.ts";

const BUNDLED = new URL("../models/", import.meta.url);
const SCENES = new URL("../fixtures/data/city", import.meta.url);

/**
 * The flags that open the model in the repository (`models/street_small`, trained on the sample
 * scenes; its README says how) on the sample scenes, or null outside a checkout.
 */
export function bundledArgs(): string[] | null {
  if (BUNDLED.protocol !== "file:") return null;
  const dir = fileURLToPath(BUNDLED);
  try {
    Deno.statSync(join(dir, "street_small", "latest_net_G.pth"));
  } catch {
    return null;
  }
  return ["--checkpoints_dir", dir, "--name", "street_small", "--dataroot", fileURLToPath(SCENES)];
}

/** Runs the command until Ctrl-C; resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText("edit"));
    return 0;
  }
  const bundled = args.length === 0 ? bundledArgs() : null;
  if (bundled) console.log("no flags: the model in the repository, models/street_small");
  const parsed = parseOptions("edit", bundled ?? args);
  if (parsed.options.export_site) {
    await exportSite(parsed);
    return 0;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const editor = await edit(parsed, { signal: stop.signal });
    await editor.server.finished;
    editor.dispose();
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
  return 0;
}

if (import.meta.main) await runCli(main);
