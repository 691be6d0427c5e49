import { equal, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../cli/web.ts";
import { buildWeb, webIndexHtml } from "./web_build.ts";

/** The modules `root` runs (code imports only, not `import type`), by specifier. */
async function codeGraph(root: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", root],
    stdout: "piped",
    stderr: "piped",
  }).output();
  ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: { specifier: string; dependencies?: { code?: { specifier: string } }[] }[];
  };
  const byName = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length) {
    const s = todo.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of byName.get(s)?.dependencies ?? []) if (d.code) todo.push(d.code.specifier);
  }
  return seen;
}

Deno.test("web build: web/main.ts runs no node: module and no Deno-only module", async () => {
  const graph = await codeGraph(new URL("../../web/main.ts", import.meta.url).href);
  ok(graph.has(new URL("../edit/api.ts", import.meta.url).href), "the graph was walked");
  const node = [...graph].filter((s) => s.startsWith("node:"));
  equal(node.join(", "), "", "no node: module is imported for its code");
  for (const s of graph) {
    ok(!s.includes("/lib/app/") && !s.endsWith("/lib/edit/server.ts"), `page imports ${s}`);
  }
});

Deno.test("web build: the page, its bundle without node: imports, and the editor's files", async () => {
  const out = await Deno.makeTempDir();
  try {
    const build = await buildWeb(out);
    const names = build.files.map((f) => f.name).sort();
    equal(names.join(), "editor.css,editor.js,index.html,main.js,web.css");
    for (const f of build.files) equal((await Deno.stat(join(out, f.name))).size, f.bytes);
    const bundle = await Deno.readTextFile(join(out, "main.js"));
    equal(build.bundleBytes, new TextEncoder().encode(bundle).length);
    ok(build.bundleBytes > 50_000, "the bundle holds the engine");
    ok(!/\bfrom\s*["']node:|\bimport\s*\(?\s*["']node:|require\(\s*["']node:/.test(bundle));
    ok(bundle.includes("@compute"), "the WGSL kernels are inlined");
    ok(!/\bDeno\.(readFile|open|stat|Command|serve)\b/.test(bundle), "no Deno file API");
    const html = await Deno.readTextFile(join(out, "index.html"));
    ok(html.includes(`<script type="module" src="main.js"></script>`));
    ok(html.includes(`href="web.css"`) && html.includes(`href="editor.css"`));
    ok(!html.includes(`<script src="editor.js">`), "main.js runs editor.js once a model is loaded");
    equal(
      await Deno.readTextFile(join(out, "editor.js")),
      await Deno.readTextFile(new URL("../edit/static/editor.js", import.meta.url)),
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("web build: the page is the editor's with the loader's style and script", () => {
  const page = `<link rel="stylesheet" href="editor.css">\n<script src="editor.js"></script>`;
  equal(
    webIndexHtml(page),
    `<link rel="stylesheet" href="editor.css">\n    <link rel="stylesheet" href="web.css">\n<script type="module" src="main.js"></script>`,
  );
  throws(() => webIndexHtml("<p>no script</p>", "x.html"), /x\.html must hold .*editor\.css.*once/);
  throws(
    () => webIndexHtml(page + `<script src="editor.js"></script>`, "x.html"),
    /editor\.js.* once: current count is 2/,
  );
});

Deno.test("cli/web.ts: --out builds and prints the files; --help; a bad flag exits 1", async () => {
  const out = await Deno.makeTempDir();
  const lines: string[] = [];
  const log = console.log, error = console.error;
  console.log = (line: string) => lines.push(line);
  console.error = (line: string) => lines.push(`error ${line}`);
  try {
    equal(await main(["--out", out]), 0);
    ok(lines.some((l) => l.startsWith(`${out}/main.js  `)), lines.join("\n"));
    ok(lines.some((l) => /^bundle main\.js: \d+\.\d KiB/.test(l)), lines.join("\n"));
    ok((await Deno.stat(join(out, "index.html"))).isFile);
    lines.length = 0;
    equal(await main(["--help"]), 0);
    ok(lines[0].startsWith("Usage: deno run -A cli/web.ts"));
    lines.length = 0;
    equal(await main(["--outt", out]), 1);
    ok(lines[0].startsWith("error error: Unknown option '--outt'"), lines[0]);
  } finally {
    console.log = log;
    console.error = error;
    await Deno.remove(out, { recursive: true });
  }
});
