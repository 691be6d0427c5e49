import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { pairRows, parseResults, type ResultLine, resultsReadme, resultTable } from "./results.ts";

const SHAPE = "N=1 512x256 global ngf 64, num_D 2, n_layers_D 3, label_nc 35 + instance";

const lines: ResultLine[] = [
  { name: "run", gpu: "G", driver: "1", date: "d", commit: "c" },
  { name: "pix2pixhd.train_step", shape: SHAPE, ms: 300, peak_bytes: 4 * 2 ** 30 },
  { name: "pytorch.train_step", shape: SHAPE, ms: 30, tf32: true, peak_bytes: 2 ** 30 },
  { name: "pytorch.train_step", shape: SHAPE, ms: 60, tf32: false, peak_bytes: 2 * 2 ** 30 },
  { name: "pix2pixhd.generate", shape: "g", ms: null, error: "out of memory" },
  { name: "pytorch.generate", shape: "g", ms: 5, tf32: false, peak_bytes: 10 },
  { name: "conv2d.forward", shape: "c", ms: 2, tflops: 33.5, adapter: "NVIDIA H200" },
];

Deno.test("rows pair our line with PyTorch's TF32 and FP32 lines by kind and shape", () => {
  const rows = pairRows(lines);
  deepEqual(rows.map((r) => [r.kind, r.shape]), [
    ["pix2pixhd.train_step", SHAPE],
    ["pix2pixhd.generate", "g"],
    ["conv2d.forward", "c"],
  ]);
  equal(rows[0].tf32?.ms, 30);
  equal(rows[0].fp32?.ms, 60);
  equal(rows[2].tf32, undefined);
});

Deno.test("lines of a compared setting pair within their variant", () => {
  const rows = pairRows([
    { name: "pix2pixhd.generate", shape: "g", ms: 2, variant: "split-K off" },
    { name: "pix2pixhd.generate", shape: "g", ms: 1, variant: "split-K auto" },
  ]);
  deepEqual(rows.map((r) => [r.shape, r.ours?.ms]), [["g [split-K off]", 2], [
    "g [split-K auto]",
    1,
  ]]);
});

Deno.test("the table gives the ratios, and a failed case says why", () => {
  const table = resultTable(lines).split("\n");
  equal(table.length, 2 + 3);
  // ours / TF32 10.00, ours / FP32 5.00; 4 GiB against the FP32 run's 2 GiB.
  equal(
    table[2],
    `| pix2pixhd.train_step | ${SHAPE} | 300.0 | 30.0 | 60.0 | 10.00 | 5.00 | 4.00 | 2.00 | 2.00 |`,
  );
  ok(table[3].includes("| failed: out of memory | — | 5.00 | — | — |"), table[3]);
});

Deno.test("a bad results line is named by file and line", () => {
  throws(() => parseResults('{"name":"a"}\n{oops\n', "r.jsonl"), /r\.jsonl:2 as it is not JSON/);
  throws(
    () => parseResults('{"name":"a"}\n[1]\n', "r.jsonl"),
    /r\.jsonl:2 as it must hold an object/,
  );
  throws(
    () => parseResults('{"name":"a"}\n{"ms":1}\n', "r.jsonl"),
    /r\.jsonl:2 is not a bench line/,
  );
});

Deno.test("the README shows each run, newest first, with the fraction of the FP32 peak", () => {
  const readme = resultsReadme([
    { file: "2026-01-01-a.jsonl", lines: [{ name: "run", gpu: "old" }] },
    { file: "2026-02-01-b.jsonl", lines },
  ]);
  ok(readme.indexOf("## 2026-02-01-b.jsonl") < readme.indexOf("## 2026-01-01-a.jsonl"));
  ok(readme.includes("gpu G, driver 1, date d, commit c"));
  // 33.5 TFLOP/s of the H200's 67.
  ok(readme.includes("| conv2d.forward | c | 2.00 | 33.50 | 50.0% |"), readme);
});

Deno.test("bench/results/README.md is made from the results files beside it", async () => {
  const dir = new URL("../../bench/results/", import.meta.url);
  const runs = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".jsonl")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    runs.push({ file: entry.name, lines: parseResults(text, entry.name) });
  }
  ok(runs.length > 0);
  const committed = await Deno.readTextFile(new URL("README.md", dir));
  equal(committed, resultsReadme(runs), "run `deno task bench:results`");
});
