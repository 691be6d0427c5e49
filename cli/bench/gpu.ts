/**
 * The GPU bench, ours against PyTorch on the same machine in one run (`bash bench/gpu/run.sh`):
 * the adapter and the features it grants, then each case on both sides, each in its own process
 * with a time limit so that one failure (out of memory, a refused binding, a crash) becomes a row
 * that says so and the rest still run; at the end the table of ratios (cli/bench/results.ts).
 *
 * Cases: pix2pixHD's 512p configuration (defaults) training step at 512×256 and 1024×512 and its
 * G at 1024×512; the 1024p configuration (`--netG local --ngf 32 --num_D 3`, trained with
 * `--resize_or_crop none`) training step and G at 2048×1024; conv2d at pix2pixHD's shapes. PyTorch
 * (fixtures/train_parity/bench.py) is timed with TF32 allowed and in pure FP32. `--smoke` runs
 * every row at tiny sizes with small networks, and PyTorch on the CPU, for a machine without a GPU.
 *
 * Options: `--smoke`, `--out FILE` (or PIX2PIXHD_BENCH_OUT; default
 * bench/results/DATE-ADAPTER-COMMIT.jsonl, for `--smoke` a file in the temporary folder),
 * `--python PATH` (default python3), `--commit REV` (recorded instead of git's HEAD, for a machine
 * whose copy of the git folder is not the tree's).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { type BenchArchitecture, DEFAULT_ARCHITECTURE, generateShape, stepShape } from "./train.ts";
import { type ResultLine, resultTable } from "./results.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BENCH_PY = "fixtures/train_parity/bench.py";

/** One case: our process and PyTorch's, with the lines each is expected to print. */
interface Case {
  label: string;
  ours: string[];
  torch: string[];
  expect: { name: string; shape: string }[];
  seconds: number;
}

type Size = readonly [number, number];

function archArgs(a: BenchArchitecture): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(a)) {
    if (k === "vgg") {
      if (!v) out.push("--no_vgg_loss");
    } else if (v !== DEFAULT_ARCHITECTURE[k as keyof BenchArchitecture]) out.push(`--${k}`, `${v}`);
  }
  return out;
}

function networkCase(
  label: string,
  a: BenchArchitecture,
  what: "train_step" | "generate",
  size: Size,
  runs: { warmup: number; iters: number },
  seconds: number,
  fullResolution = false,
): Case {
  const common = [...archArgs(a), "--sizes", `${size[0]}x${size[1]}`, "--what", what];
  const counts = ["--warmup", `${runs.warmup}`, "--iters", `${runs.iters}`];
  const shape = what === "train_step" ? stepShape(a, ...size) : generateShape(a, ...size);
  return {
    label,
    ours: ["train", ...common, ...counts],
    torch: [
      ...common,
      ...counts,
      ...(fullResolution ? ["--resize_or_crop", "none"] : []),
    ],
    expect: [{ name: `pix2pixhd.${what}`, shape }, { name: `pytorch.${what}`, shape }],
    seconds,
  };
}

/** The cases of a full run or a smoke run. */
export function benchCases(
  smoke: boolean,
): { cases: Case[]; convShapes: string; convSeconds: number } {
  const p512: BenchArchitecture = { ...DEFAULT_ARCHITECTURE };
  const p1024: BenchArchitecture = { ...DEFAULT_ARCHITECTURE, netG: "local", ngf: 32, num_D: 3 };
  if (smoke) {
    const tiny = { ngf: 8, ndf: 8, n_downsample_global: 2, n_blocks_global: 1, n_blocks_local: 1 };
    const s512: BenchArchitecture = { ...p512, ...tiny };
    const s1024: BenchArchitecture = { ...p1024, ...tiny, ngf: 4 };
    const runs = { warmup: 1, iters: 1 };
    return {
      cases: [
        networkCase("512p step, small", s512, "train_step", [64, 32], runs, 240),
        networkCase("512p step, large", s512, "train_step", [128, 64], runs, 240),
        networkCase("512p G", s512, "generate", [128, 64], runs, 120),
        networkCase("1024p step", s1024, "train_step", [128, 64], runs, 240, true),
        networkCase("1024p G", s1024, "generate", [128, 64], runs, 120),
      ],
      convShapes: "8:16:32",
      convSeconds: 120,
    };
  }
  const step = { warmup: 2, iters: 5 };
  const big = { warmup: 1, iters: 3 };
  // The limits keep the whole run well inside 8 minutes on an H200 even if a case hangs.
  return {
    cases: [
      networkCase("512p step 512x256", p512, "train_step", [512, 256], step, 60),
      networkCase("512p step 1024x512", p512, "train_step", [1024, 512], step, 90),
      networkCase("512p G 1024x512", p512, "generate", [1024, 512], step, 60),
      networkCase("1024p step 2048x1024", p1024, "train_step", [2048, 1024], big, 150, true),
      networkCase("1024p G 2048x1024", p1024, "generate", [2048, 1024], step, 90),
    ],
    convShapes: "64:128:256,1024:32:64,64:512:1024",
    convSeconds: 90,
  };
}

/** Runs a command with a time limit; returns its JSON lines and, on failure, why. */
export async function collect(
  cmd: string,
  args: string[],
  seconds: number,
): Promise<{ lines: ResultLine[]; failure?: string }> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(seconds * 1000),
    }).output();
  } catch (e) {
    return { lines: [], failure: `could not run ${cmd}: ${e instanceof Error ? e.message : e}` };
  }
  const lines = new TextDecoder().decode(output.stdout).split("\n").flatMap((raw) => {
    if (!raw.startsWith("{")) return [];
    try {
      return [JSON.parse(raw) as ResultLine];
    } catch {
      return [];
    }
  });
  if (output.success) return { lines };
  const err = new TextDecoder().decode(output.stderr).trim().split("\n").filter((l) => l.trim());
  const why = output.signal
    ? `stopped after ${seconds} s (${output.signal})`
    : `exited with code ${output.code}`;
  return { lines, failure: `${why}${err.length ? `: ${err.at(-1)!.slice(0, 300)}` : ""}` };
}

/** Runs `deno run -A cli/bench.ts` with `args` under {@linkcode collect}. */
function ours(args: string[], seconds: number) {
  return collect(Deno.execPath(), ["run", "-A", "cli/bench.ts", ...args], seconds);
}

async function text(cmd: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "adapter";
}

/** Runs the GPU bench; returns the results file's path. */
export async function runGpuBench(args: readonly string[]): Promise<string> {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      smoke: { type: "boolean" },
      out: { type: "string" },
      python: { type: "string" },
      commit: { type: "string" },
    },
  });
  const smoke = values.smoke ?? false;
  const python = values.python ?? "python3";
  const started = performance.now();
  const lines: ResultLine[] = [];
  let outFile = values.out ?? Deno.env.get("PIX2PIXHD_BENCH_OUT") ?? null;
  // Each line is appended as it comes, so that what a run measured survives its being stopped.
  const emit = async (line: ResultLine) => {
    lines.push(line);
    console.log(JSON.stringify(line));
    await Deno.writeTextFile(outFile!, JSON.stringify(line) + "\n", { append: true });
  };

  const nvidia = await text("nvidia-smi", [
    "--query-gpu=name,driver_version,memory.total",
    "--format=csv,noheader",
  ]);
  const torch = await text(python, ["-c", "import torch; print(torch.__version__)"]);
  const commit = values.commit ?? await text("git", ["rev-parse", "--short", "HEAD"]);
  const [gpu, driver, memory] = nvidia?.split("\n")[0].split(", ") ?? [];
  const header: ResultLine = {
    name: "run",
    gpu: gpu ?? null,
    driver: driver ?? null,
    gpu_memory: memory ?? null,
    date: new Date().toISOString(),
    commit,
    deno: Deno.version.deno,
    torch,
    smoke,
  };
  const features = await ours(["features"], 60);
  const adapter = features.lines.find((l) => l.name === "webgpu.adapter");
  if (!outFile) {
    const name = `${header.date!.toString().slice(0, 10)}-${
      slug(String(adapter?.description ?? gpu ?? "adapter"))
    }-${commit ?? "nocommit"}.jsonl`;
    outFile = smoke
      ? await Deno.makeTempFile({ prefix: "pix2pixhd-bench-smoke-", suffix: ".jsonl" })
      : `${ROOT}bench/results/${name}`;
  }
  await Deno.writeTextFile(outFile, "");
  await emit(header);
  for (const l of features.lines) await emit(l);
  if (features.failure) await emit({ name: "webgpu.features", error: features.failure });
  if (!torch) {
    await emit({
      name: "pytorch",
      error: `${python} cannot import torch: PyTorch rows are left out`,
    });
  }

  const { cases, convShapes, convSeconds } = benchCases(smoke);
  const torchDevice = smoke ? ["--device", "cpu", "--threads", "2"] : [];
  for (const c of cases) {
    console.error(`${c.label} ...`);
    const own = await ours(c.ours, c.seconds);
    const mine = own.lines.filter((l) => l.name.startsWith("pix2pixhd."));
    for (const l of mine) await emit(l);
    if (mine.length === 0) {
      await emit({ ...c.expect[0], ms: null, error: own.failure ?? "printed no line" });
    }
    if (!torch) continue;
    const theirs = await collect(python, [BENCH_PY, ...c.torch, ...torchDevice], c.seconds);
    for (const l of theirs.lines) await emit(l);
    if (theirs.lines.length === 0) {
      await emit({ ...c.expect[1], ms: null, error: theirs.failure ?? "printed no line" });
    }
  }
  console.error("conv ...");
  const convArgs = ["--conv_shapes", convShapes];
  const ourConv = await ours(["conv", ...convArgs], convSeconds);
  for (const l of ourConv.lines) await emit(l);
  if (ourConv.failure) await emit({ name: "conv2d", ms: null, error: ourConv.failure });
  if (!smoke) {
    // The default conv set, with TF.js's WebGPU backend beside it on the same adapter.
    const tfjs = await ours(["conv"], convSeconds);
    for (const l of tfjs.lines) {
      if (l.name.startsWith("tfjs.") || l.name === "conv.summary") await emit(l);
    }
    if (tfjs.failure) await emit({ name: "tfjs.conv2d", ms: null, error: tfjs.failure });
  }
  if (torch) {
    const theirs = await collect(
      python,
      [BENCH_PY, "--what", "conv", ...convArgs, ...torchDevice],
      convSeconds,
    );
    for (const l of theirs.lines) await emit(l);
    if (theirs.failure) await emit({ name: "pytorch.conv2d", ms: null, error: theirs.failure });
  }
  const seconds = (performance.now() - started) / 1000;
  await emit({ name: "run.end", seconds: Number(seconds.toFixed(1)) });
  console.log(`\n${resultTable(lines)}\n`);
  console.log(`${lines.length} lines in ${seconds.toFixed(0)} s, written to ${outFile}`);
  return outFile;
}

if (import.meta.main) {
  try {
    await runGpuBench(Deno.args);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    Deno.exit(2);
  }
}
