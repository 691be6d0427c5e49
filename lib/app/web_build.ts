/**
 * Builds the editor's web page (`deno task web`, `cli/edit.ts --export_site`): `web/main.ts`
 * bundled for the browser by `deno bundle --platform browser --minify` into `main.js`, beside
 * the editor's page, script and style from `lib/edit/static/` and the loader's `web/web.css`.
 * The page (`index.html`) is the editor's, loading `main.js` instead of `editor.js` (which
 * `main.js` runs once a model is loaded) and `web.css`.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's files the build reads. */
const ROOT = new URL("../../", import.meta.url);

/** A file the build wrote. */
export interface BuiltFile {
  /** Its name in the output folder. */
  name: string;
  /** Its size in bytes. */
  bytes: number;
}

/** What {@linkcode buildWeb} wrote. */
export interface WebBuild {
  /** The output folder. */
  out: string;
  /** The files, in the order written. */
  files: BuiltFile[];
  /** The bundle's size in bytes (`main.js`). */
  bundleBytes: number;
}

function local(path: string): string {
  const url = new URL(path, ROOT);
  if (url.protocol !== "file:") {
    throw new TypeError(
      `Cannot build the web page as its sources must be local files: current value is ${url.href} (run the build from a checkout)`,
    );
  }
  return fileURLToPath(url);
}

/** Replaces the one `marker` of `text`; a page without it is refused, naming the marker. */
function replaceOnce(text: string, marker: string, by: string, file: string): string {
  const at = text.indexOf(marker);
  if (at < 0 || text.indexOf(marker, at + 1) >= 0) {
    throw new SyntaxError(
      `Cannot build the web page as ${file} must hold ${marker} once: current count is ${
        text.split(marker).length - 1
      }`,
    );
  }
  return text.slice(0, at) + by + text.slice(at + marker.length);
}

/** The web page's index.html: the editor's page with the loader's style and script. */
export function webIndexHtml(editorHtml: string, file = "index.html"): string {
  const styled = replaceOnce(
    editorHtml,
    `<link rel="stylesheet" href="editor.css">`,
    `<link rel="stylesheet" href="editor.css">\n    <link rel="stylesheet" href="web.css">`,
    file,
  );
  return replaceOnce(
    styled,
    `<script src="editor.js"></script>`,
    `<script type="module" src="main.js"></script>`,
    file,
  );
}

/**
 * Builds the page into `out` (created if missing; files of the same names are replaced):
 * `index.html`, `main.js`, `editor.js`, `editor.css`, `web.css`. Throws with `deno bundle`'s
 * output when bundling fails.
 *
 * @example
 * ```ts ignore
 * const { files, bundleBytes } = await buildWeb("dist/web");
 * ```
 */
export async function buildWeb(out: string): Promise<WebBuild> {
  await Deno.mkdir(out, { recursive: true });
  const files: BuiltFile[] = [];
  const bundle = join(out, "main.js");
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--minify",
      "--config",
      local("deno.json"),
      "--output",
      bundle,
      local("web/main.ts"),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const output = new TextDecoder().decode(result.stderr) +
      new TextDecoder().decode(result.stdout);
    throw new Error(
      `Cannot bundle web/main.ts as deno bundle failed: current exit code is ${result.code}\n${output.trim()}`,
    );
  }
  const bundleBytes = (await Deno.stat(bundle)).size;
  files.push({ name: "main.js", bytes: bundleBytes });
  const copy = async (from: string, name: string) => {
    await Deno.copyFile(local(from), join(out, name));
    files.push({ name, bytes: (await Deno.stat(join(out, name))).size });
  };
  await copy("lib/edit/static/editor.js", "editor.js");
  await copy("lib/edit/static/editor.css", "editor.css");
  await copy("web/web.css", "web.css");
  const html = webIndexHtml(
    await Deno.readTextFile(local("lib/edit/static/index.html")),
    "lib/edit/static/index.html",
  );
  await Deno.writeTextFile(join(out, "index.html"), html);
  files.push({ name: "index.html", bytes: new TextEncoder().encode(html).length });
  return { out, files, bundleBytes };
}
