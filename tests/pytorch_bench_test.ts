/**
 * The GPU bench on this machine: PyTorch's reference bench (fixtures/train_parity/bench.py) gives
 * our trainer's step-1 losses on the same weights and batch, and `bash bench/gpu/run.sh --smoke`
 * runs end to end, every row of the table present. Both need PyTorch (Debian's python3-torch, or
 * PIX2PIXHD_PYTHON naming a python that has it) for their PyTorch side; without it the parity
 * test is skipped with a message and the smoke run's PyTorch rows must say why they are missing.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { benchBatch } from "../cli/bench/train.ts";
import { benchCases, collect } from "../cli/bench/gpu.ts";
import { pairRows, parseResults, resultTable } from "../cli/bench/results.ts";
import { defineD, defineG } from "../lib/pix2pixhd/networks/mod.ts";
import { LOSS_NAMES, Trainer } from "../lib/pix2pixhd/trainer.ts";
import { loadVgg19 } from "../lib/pix2pixhd/vgg19.ts";
import { gpu } from "./check.ts";
import { ckpt, D, G, golden, loaded, tiny } from "./golden.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** A python that imports torch, or null. */
async function findTorch(): Promise<string | null> {
  const env = Deno.env.get("PIX2PIXHD_PYTHON");
  for (const python of env ? [env] : ["/usr/bin/python3", "python3"]) {
    try {
      const out = await new Deno.Command(python, {
        args: ["-c", "import torch"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (out.success) return python;
    } catch {
      // not installed
    }
  }
  return null;
}

const python = await findTorch();
if (!python) console.log("PyTorch not found: the PyTorch reference bench's parity test is skipped");

Deno.test({
  name: "PyTorch's reference bench gives our trainer's step-1 losses on the same weights",
  ignore: python === null || golden === undefined,
  async fn() {
    await gpu();
    // The tiny golden networks (a local enhancer and two scales of D) and its random VGG19,
    // loaded from the same .pth files on both sides, on the bench's own batch at 128×64.
    const vggPath = `${tiny}/vgg19_random.pth`;
    const out = await new Deno.Command(python!, {
      cwd: ROOT,
      args: [
        "fixtures/train_parity/bench.py",
        "--losses",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--sizes",
        "128x64",
        ...["--netG", "local", "--ngf", "16", "--n_downsample_global", "3"],
        ...["--n_blocks_global", "3", "--n_local_enhancers", "1", "--n_blocks_local", "2"],
        ...["--ndf", "16", "--num_D", "2", "--n_layers_D", "3"],
        ...["--load_G", ckpt("G"), "--load_D", ckpt("D"), "--load_vgg", vggPath],
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    ok(out.success, new TextDecoder().decode(out.stderr));
    const line = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    equal(line.name, "pytorch.losses");
    const netG = await loaded(defineG(G), ckpt("G"));
    const netD = await loaded(defineD(D), ckpt("D"));
    const vgg = await loadVgg19(vggPath);
    const trainer = new Trainer({ netG, netD, vgg }, { labelNc: 35, lr: 0.0002, beta1: 0.5 });
    const ours = await trainer.step(benchBatch(128, 64));
    const parts = LOSS_NAMES.map((k) => {
      const theirs = line.losses[k];
      const rel = Math.abs(ours[k] - theirs) / Math.abs(theirs);
      ok(rel <= 1e-4, `${k}: ours ${ours[k]}, PyTorch's ${theirs} (relative ${rel})`);
      return `${k} ${ours[k].toPrecision(7)} (rel ${rel.toExponential(1)})`;
    });
    console.log(parts.join(", "));
    for (const m of [netG, netD, vgg, trainer]) m.dispose();
  },
});

Deno.test("a case that fails or hangs becomes a row that says why", async () => {
  const deno = Deno.execPath();
  const failed = await collect(deno, ["eval", 'console.log(\'{"name":"x"}\'); Deno.exit(3)'], 30);
  deepEqual(failed.lines, [{ name: "x" }]);
  ok(failed.failure?.startsWith("exited with code 3"), failed.failure);
  const hung = await collect(deno, ["eval", "await new Promise((r) => setTimeout(r, 20000))"], 1);
  ok(hung.failure?.startsWith("stopped after 1 s"), hung.failure);
  const missing = await collect("/nonexistent/python3", [], 5);
  ok(missing.failure?.startsWith("could not run /nonexistent/python3"), missing.failure);
});

Deno.test({
  name: "bash bench/gpu/run.sh --smoke runs every row of the table",
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempFile({ suffix: ".jsonl" });
    try {
      const cmd = await new Deno.Command("bash", {
        cwd: ROOT,
        args: ["bench/gpu/run.sh", "--smoke", "--out", out, "--python", python ?? "/nonexistent"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(cmd.stdout);
      ok(cmd.success, new TextDecoder().decode(cmd.stderr));
      const lines = parseResults(await Deno.readTextFile(out), out);
      equal(lines[0].name, "run");
      ok(lines.some((l) => l.name === "webgpu.adapter"), "the adapter line");
      ok(lines.filter((l) => l.name === "webgpu.feature").length >= 4, "the feature lines");
      const rows = pairRows(lines);
      const expected = benchCases(true).cases.map((c) => c.expect[0]);
      for (const e of expected) {
        const row = rows.find((r) => r.kind === e.name && r.shape === e.shape);
        ok(row, `a row for ${e.name} ${e.shape}`);
        ok(typeof row.ours?.ms === "number", `our time for ${e.shape}: ${row.ours?.error}`);
        ok(typeof row.ours?.peak_bytes === "number", `our peak for ${e.shape}`);
        if (python) {
          ok(typeof row.fp32?.ms === "number", `PyTorch's time for ${e.shape}: ${row.fp32?.error}`);
        }
      }
      for (const pass of ["forward", "input_grad", "weight_grad"]) {
        const row = rows.find((r) => r.kind === `conv2d.${pass}`);
        ok(typeof row?.ours?.ms === "number", `our conv2d.${pass}`);
        if (python) ok(typeof row?.fp32?.ms === "number", `PyTorch's conv2d.${pass}`);
      }
      if (!python) {
        ok(lines.some((l) => l.name === "pytorch" && l.error?.includes("cannot import torch")));
      }
      // The printed table is the file's.
      ok(stdout.includes(resultTable(lines.filter((l) => l.name !== "run.end"))));
    } finally {
      await Deno.remove(out);
    }
  },
});
