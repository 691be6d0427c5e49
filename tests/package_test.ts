/**
 * The package as its users get it: `mod.ts` reaches no `node:` module (so a browser bundle
 * loads), and the package served over http, as JSR serves it (bare specifiers unfurled from
 * deno.json's import map, as `deno publish` does), imports in a fresh Deno process outside the
 * repository and runs a tiny G from a checkpoint's bytes to the same photo as here.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  architectureOf,
  buildGenerator,
  encodeCheckpoint,
  generatePhoto,
  type TensorData,
} from "../mod.ts";
import { gpu } from "./check.ts";

const ROOT = new URL("../", import.meta.url);

/** The module graph of `entry` that runs (type-only imports left out), as `deno info` gives it. */
async function runtimeGraph(entry: string): Promise<Map<string, string[]>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const deps = new Map<string, string[]>();
  for (const m of info.modules) {
    deps.set(
      m.specifier,
      (m.dependencies ?? []).filter((d: { code?: unknown }) => d.code).map((
        d: { specifier: string; code: { specifier?: string } },
      ) => d.code.specifier ?? d.specifier),
    );
  }
  const seen = new Map<string, string[]>();
  const stack = [info.roots[0]];
  while (stack.length) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    const next = deps.get(s) ?? [];
    seen.set(s, next);
    for (const d of next) if (deps.has(d)) stack.push(d);
  }
  return seen;
}

Deno.test("mod.ts: the modules it runs import no node: module", async () => {
  const graph = await runtimeGraph("mod.ts");
  ok(graph.size > 50, `the graph has the engine's modules: current value is ${graph.size}`);
  const nodeImports = [...graph].flatMap(([m, deps]) =>
    deps.filter((d) => d.startsWith("node:")).map((d) => `${m} imports ${d}`)
  );
  deepEqual(nodeImports, []);
  // The file-system entry does reach them, which shows the walk finds such imports.
  const fs = await runtimeGraph("fs.ts");
  ok([...fs.values()].some((deps) => deps.some((d) => d.startsWith("node:"))));
});

Deno.test("every export of deno.json passes deno doc --lint", async () => {
  const exports: Record<string, string> = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  ).exports;
  ok(Object.keys(exports).length >= 3);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", ...Object.values(exports)],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  equal(out.code, 0, new TextDecoder().decode(out.stderr));
});

const TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".wgsl": "text/plain",
  ".json": "application/json",
  ".html": "text/html",
  ".css": "text/css",
  ".js": "text/javascript",
};

/**
 * Serves the repository's files as JSR serves a package: bare specifiers in import and export
 * statements unfurled to their deno.json import map targets (what `deno publish` rewrites).
 */
function servePackage(files: Map<string, Uint8Array>): Deno.HttpServer<Deno.NetAddr> {
  const map: Record<string, string> = JSON.parse(
    Deno.readTextFileSync(new URL("deno.json", ROOT)),
  ).imports;
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    const extra = files.get(path);
    if (extra) return new Response(extra as Uint8Array<ArrayBuffer>);
    const ext = path.slice(path.lastIndexOf("."));
    if (path.includes("..") || !TYPES[ext]) return new Response("not found", { status: 404 });
    let text: string;
    try {
      text = await Deno.readTextFile(new URL(`.${path}`, ROOT));
    } catch {
      return new Response("not found", { status: 404 });
    }
    if (ext === ".ts") {
      text = text.replace(
        /^((?:import|export)\b[^;]*?\bfrom\s+)"([^".][^"]*)"/gm,
        (whole, head, spec) => map[spec] ? `${head}"${map[spec]}"` : whole,
      );
    }
    return new Response(text, { headers: { "content-type": TYPES[ext] } });
  });
}

Deno.test("the package over http: a fresh process imports it and runs G from bytes", async () => {
  await gpu();
  const opt = {
    label_nc: 4,
    input_nc: 3,
    output_nc: 3,
    no_instance: false,
    netG: "global",
    ngf: 4,
    n_downsample_global: 1,
    n_blocks_global: 1,
    n_local_enhancers: 1,
    n_blocks_local: 1,
    norm: "instance",
    instance_feat: false,
    label_feat: false,
    feat_num: 3,
  };
  const [width, height] = [16, 8];
  const label = Array.from({ length: width * height }, (_, i) => (i * 7 + (i >> 4)) % 4);
  const inst = Int32Array.from(label, (c, i) => c * 1000 + (i % width < 8 ? 0 : 1));
  const netG = buildGenerator(architectureOf(opt, "opt"), 3);
  let here: Float32Array;
  let checkpoint: Uint8Array;
  try {
    here = await generatePhoto(netG, { width, height, label, inst }, { labelNc: 4 });
    const entries: [string, TensorData][] = [];
    for (const [key, t] of netG.stateDict()) {
      entries.push([key, { dtype: "float32", shape: [...t.shape], data: await t.floats() }]);
    }
    checkpoint = await encodeCheckpoint(entries, { format: "torch-zip" });
  } finally {
    netG.dispose();
  }
  const scene = new TextEncoder().encode(
    JSON.stringify({ opt, width, height, label, inst: [...inst] }),
  );
  const server = servePackage(
    new Map([["/tiny/G.pth", checkpoint], ["/tiny/scene.json", scene]]),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const dir = await Deno.makeTempDir();
  try {
    // A user's script outside the repository: no deno.json, no import map.
    const script = join(dir, "user.ts");
    await Deno.writeTextFile(
      script,
      `import * as p from "${base}/mod.ts";
import "${base}/fs.ts";
import "${base}/server.ts";
const s = await (await fetch("${base}/tiny/scene.json")).json();
const bytes = new Uint8Array(await (await fetch("${base}/tiny/G.pth")).arrayBuffer());
await p.initGpu();
const netG = p.buildGenerator(p.architectureOf(s.opt, "opt"), 99);
using checkpoint = await p.openCheckpointSource(new p.BytesSource(bytes, "G.pth"));
await netG.loadStateDict(checkpoint.tensors, { strict: true });
const inputs = { ...s, inst: Int32Array.from(s.inst) };
const photo = await p.generatePhoto(netG, inputs, { labelNc: s.opt.label_nc });
console.log(JSON.stringify(Array.from(photo)));
`,
    );
    const host = `127.0.0.1:${server.addr.port}`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-import=${host}`,
        `--allow-net=${host}`,
        "--allow-env",
        "--allow-read",
        "--no-lock",
        script,
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    equal(out.code, 0, stderr);
    const there = Float32Array.from(JSON.parse(new TextDecoder().decode(out.stdout)));
    equal(there.length, 3 * width * height);
    deepEqual(there, here);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the package over http: the command lines load from a URL", async () => {
  const server = servePackage(new Map());
  const host = `127.0.0.1:${server.addr.port}`;
  const dir = await Deno.makeTempDir();
  try {
    for (const cli of ["train", "test", "encode", "edit", "convert"]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--no-lock",
          `http://${host}/cli/${cli}.ts`,
          "--help",
        ],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      equal(out.code, 0, `${cli}: ${new TextDecoder().decode(out.stderr)}`);
      ok(new TextDecoder().decode(out.stdout).length > 100, `${cli} printed its help`);
    }
    // The demo's dataset comes with a checkout only: without flags, train says so.
    const demo = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-lock", `http://${host}/cli/train.ts`],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    equal(demo.code, 1);
    ok(
      new TextDecoder().decode(demo.stderr).includes("comes with a checkout of the repository"),
      new TextDecoder().decode(demo.stderr),
    );
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
