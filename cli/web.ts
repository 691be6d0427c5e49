/**
 * Builds the scene editor as a static web page that runs G on the browser's own WebGPU:
 *
 * ```sh
 * deno task web                 # into dist/web
 * deno run -A cli/web.ts --out site
 * ```
 *
 * Host the folder on any static web server and open it: the page loads a run's files picked by
 * the user, or a `site.json` (`cli/edit.ts --export_site` writes the page with a run's files).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { runCli } from "./run_cli.ts";
import { buildWeb } from "../lib/app/web_build.ts";

export { buildWeb };

const USAGE = `Usage: deno run -A cli/web.ts [--out DIR]

Builds the scene editor as a static web page (index.html, main.js, editor.js, editor.css,
web.css) into DIR; G runs on the browser's WebGPU. Host DIR on any static web server; the page
loads a run's files picked by the user, or a site.json (cli/edit.ts --export_site).

  --out DIR   the output folder (default dist/web; created if missing)
  --help      print this text`;

/** Runs the command; resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let values: { out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { out: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const started = performance.now();
  const build = await buildWeb(values.out ?? "dist/web");
  for (const f of build.files) console.log(`${build.out}/${f.name}  ${f.bytes} bytes`);
  console.log(
    `bundle main.js: ${(build.bundleBytes / 1024).toFixed(1)} KiB (built in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s)`,
  );
  return 0;
}

if (import.meta.main) await runCli(main);
