/**
 * The GPU bench's results: the table of ours against PyTorch from a run's JSON lines, and the
 * README of bench/results/ made from every run kept there (`deno task bench:results`).
 *
 * @module
 */

import { parseJsonObject } from "../../lib/io/json.ts";
import { fp32Peak } from "./peaks.ts";

/** One line of a results file (a `deno task bench` line, a PyTorch line, or the run's header). */
export interface ResultLine {
  name: string;
  shape?: string;
  ms?: number | null;
  peak_bytes?: number | null;
  error?: string;
  tf32?: boolean;
  [field: string]: unknown;
}

/** One row of the comparison: our line and PyTorch's with and without TF32, by kind and shape. */
export interface ResultRow {
  kind: string;
  shape: string;
  ours?: ResultLine;
  tf32?: ResultLine;
  fp32?: ResultLine;
}

/** Our line's name for each PyTorch line's name. */
const PAIRS: Readonly<Record<string, string>> = {
  "pytorch.train_step": "pix2pixhd.train_step",
  "pytorch.generate": "pix2pixhd.generate",
  "pytorch.conv2d.forward": "conv2d.forward",
  "pytorch.conv2d.input_grad": "conv2d.input_grad",
  "pytorch.conv2d.weight_grad": "conv2d.weight_grad",
};

const KINDS = Object.values(PAIRS);

/** The whole-network lines, which the conv table leaves out. */
const STEPS = [
  "pix2pixhd.train_step",
  "pix2pixhd.generate",
  "pytorch.train_step",
  "pytorch.generate",
];

/** A line's shape, with its variant (a setting the run compared, such as split-K) if any. */
function shapeOf(line: ResultLine): string {
  return typeof line.variant === "string" ? `${line.shape} [${line.variant}]` : line.shape!;
}

/** Pairs a run's lines into rows, in the order our lines (or else PyTorch's) first appear. */
export function pairRows(lines: readonly ResultLine[]): ResultRow[] {
  const rows = new Map<string, ResultRow>();
  const row = (kind: string, shape: string) => {
    const key = `${kind}\0${shape}`;
    let r = rows.get(key);
    if (!r) rows.set(key, r = { kind, shape });
    return r;
  };
  for (const line of lines) {
    if (!line.shape) continue;
    const shape = shapeOf(line);
    if (KINDS.includes(line.name)) row(line.name, shape).ours = line;
    const kind = PAIRS[line.name];
    if (kind) row(kind, shape)[line.tf32 ? "tf32" : "fp32"] = line;
  }
  return [...rows.values()];
}

function ms(line: ResultLine | undefined): string {
  if (!line) return "—";
  if (line.ms === null || line.ms === undefined) return `failed: ${line.error ?? "no time"}`;
  return line.ms.toFixed(line.ms < 10 ? 2 : 1);
}

function ratio(a: number | null | undefined, b: number | null | undefined): string {
  return typeof a === "number" && typeof b === "number" && b > 0 ? (a / b).toFixed(2) : "—";
}

function gib(bytes: unknown): string {
  return typeof bytes === "number" ? (bytes / 2 ** 30).toFixed(2) : "—";
}

/**
 * The comparison as a Markdown table: times in ms (ours, PyTorch with TF32, PyTorch in FP32), the
 * ratios ours / PyTorch, and the peak memory of each side in GiB (ours: the buffer pool's peak;
 * PyTorch: `torch.cuda.max_memory_allocated`, FP32 run) with the ratio.
 */
export function resultTable(lines: readonly ResultLine[]): string {
  const head = [
    "| measurement | shape | ours ms | PyTorch TF32 ms | PyTorch FP32 ms | ours / TF32 | ours / FP32 | ours GiB | PyTorch GiB | memory ours / PyTorch |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const body = pairRows(lines).map((r) => {
    const torchPeak = r.fp32?.peak_bytes ?? r.tf32?.peak_bytes;
    const cells = [
      r.kind,
      r.shape,
      ms(r.ours),
      ms(r.tf32),
      ms(r.fp32),
      ratio(r.ours?.ms, r.tf32?.ms),
      ratio(r.ours?.ms, r.fp32?.ms),
      gib(r.ours?.peak_bytes),
      gib(torchPeak),
      ratio(r.ours?.peak_bytes, torchPeak),
    ];
    return `| ${cells.map((c) => c.replaceAll("|", "/")).join(" | ")} |`;
  });
  return [...head, ...body].join("\n");
}

/** Parses a results file's JSON lines, naming the file and line of a bad one. */
export function parseResults(text: string, file: string): ResultLine[] {
  return text.split("\n").flatMap((raw, i) => {
    if (!raw.trim()) return [];
    const line = parseJsonObject(raw, `${file}:${i + 1}`);
    if (typeof line.name !== "string") {
      throw new Error(`${file}:${i + 1} is not a bench line: expected an object with a name`);
    }
    return [line as ResultLine];
  });
}

/** The README of bench/results/: one section per run file, newest first, each with its table. */
export function resultsReadme(runs: readonly { file: string; lines: ResultLine[] }[]): string {
  const parts = [
    "# GPU bench results",
    "",
    "Made by `deno task bench:results` from the JSON-lines files beside it, one per run of",
    "`bash bench/gpu/run.sh` (or of `deno task bench` groups) on a GPU; do not edit by hand. Times",
    "are medians in ms; memory is the peak in GiB (ours: the buffer pool's; PyTorch's:",
    "`torch.cuda.max_memory_allocated`). TFLOP/s count a direct convolution's FLOPs; cuDNN may",
    "pick an algorithm that needs fewer (Winograd, FFT), so PyTorch's can pass the FP32 peak.",
  ];
  for (const run of [...runs].sort((a, b) => b.file.localeCompare(a.file))) {
    const header = run.lines.find((l) => l.name === "run");
    const adapter = run.lines.find((l) => l.name === "webgpu.adapter");
    const features = run.lines.filter((l) => l.name === "webgpu.feature")
      .map((l) => `${l.feature} ${l.granted ? "granted" : "refused"}`);
    parts.push("", `## ${run.file}`, "");
    if (header) {
      const facts = ["gpu", "driver", "date", "commit", "torch", "deno"]
        .filter((k) => header[k] !== undefined).map((k) => `${k} ${header[k]}`);
      parts.push(facts.join(", ") + (header.smoke ? " (smoke run)" : ""), "");
      for (const k of ["command", "note"]) if (header[k]) parts.push(`${k}: ${header[k]}`, "");
    }
    if (adapter) parts.push(`WebGPU adapter: ${adapter.description}; ${features.join(", ")}.`, "");
    parts.push(resultTable(run.lines));
    const others = run.lines.filter((l) =>
      l.shape && typeof l.ms === "number" && !STEPS.includes(l.name)
    );
    if (others.length) {
      parts.push(
        "",
        "| conv and other lines | shape | ms | TFLOP/s | of the FP32 peak |",
        "| --- | --- | ---: | ---: | ---: |",
      );
      for (const l of others) {
        const tflops = typeof l.tflops === "number"
          ? l.tflops
          : typeof l.gflops === "number"
          ? l.gflops / 1000
          : null;
        const peak = fp32Peak(String(l.adapter ?? l.device ?? ""));
        const frac = tflops !== null && peak ? `${(tflops / peak * 100).toFixed(1)}%` : "—";
        const name = `${l.name}${l.tf32 ? " (TF32)" : ""}`;
        parts.push(
          `| ${name} | ${shapeOf(l)} | ${ms(l)} | ${tflops?.toFixed(2) ?? "—"} | ${frac} |`,
        );
      }
    }
  }
  return parts.join("\n") + "\n";
}

if (import.meta.main) {
  const dir = new URL("../../bench/results/", import.meta.url);
  const runs = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".jsonl")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    runs.push({ file: entry.name, lines: parseResults(text, `bench/results/${entry.name}`) });
  }
  await Deno.writeTextFile(new URL("README.md", dir), resultsReadme(runs));
  console.log(`bench/results/README.md: ${runs.length} run(s)`);
}
