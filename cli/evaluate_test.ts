import { equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { parseOptions } from "../lib/app/options.ts";
import { train } from "../lib/app/train.ts";
import { city, TINY } from "../tests/train_run.ts";
import { gpu } from "../tests/check.ts";
import { evaluationTable, main } from "./evaluate.ts";

Deno.test("the evaluation table gives each generator's measures", () => {
  const m = {
    images: 2,
    psnr: 12.3456,
    ssim: 0.12345,
    classColourError: { "7": 10 },
    meanClassColourError: 10.04,
    file: "x",
  };
  equal(
    evaluationTable([{ generator: "untrained (--seed 0)", metrics: m }]).split("\n")[2],
    "| untrained (--seed 0) | 2 | 12.35 | 0.1235 | 10.0 |",
  );
});

Deno.test("cli/evaluate.ts --help names evaluate and lists test's flags", async () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    equal(await main(["--help"]), 0);
  } finally {
    console.log = log;
  }
  const text = lines.join("\n");
  ok(text.startsWith("Usage: deno run -A cli/evaluate.ts [--flag value"), text);
  ok(text.includes("--which_epoch") && text.includes("--results_dir"), text);
  ok(!text.includes("cli/test.ts"), text);
});

Deno.test({
  name: "cli/evaluate.ts measures a run and its untrained G against the test photos",
  sanitizeResources: false,
  async fn() {
    await gpu();
    const dir = await Deno.makeTempDir();
    const lines: string[] = [];
    const log = console.log;
    try {
      const quiet = { print: () => {}, progress: false };
      await train(parseOptions("train", [...TINY, "--checkpoints_dir", dir, "--name", "t"]), quiet);
      const args = ["--checkpoints_dir", dir, "--name", "t", "--loadSize", "64"];
      const flags = [...args, "--dataroot", city, "--results_dir", join(dir, "results")];
      console.log = (...a: unknown[]) => void lines.push(a.join(" "));
      equal(await main(flags), 0);
      console.log = log;
      const rows = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
      equal(rows.length, 2);
      equal(rows[0].generator, "untrained (--seed 0)");
      equal(rows[1].generator, "t, epoch latest");
      for (const r of rows) {
        equal(r.images, 2);
        ok(r.psnr > 0 && r.ssim > -1 && r.ssim < 1 && r.meanClassColourError >= 0);
        await Deno.stat(r.metrics);
      }
      ok(lines.join("\n").includes("| t, epoch latest | 2 |"));

      // A split without photos cannot be evaluated, and says so.
      const bare = join(dir, "bare");
      for (const sub of ["test_label", "test_inst"]) {
        await Deno.mkdir(join(bare, sub), { recursive: true });
        for await (const f of Deno.readDir(join(city, sub))) {
          await Deno.copyFile(join(city, sub, f.name), join(bare, sub, f.name));
        }
      }
      console.log = () => {};
      await rejects(
        main([...args, "--dataroot", bare, "--results_dir", join(dir, "r2")]),
        /has no photos to compare with \(expected test_img beside test_label\)/,
      );
    } finally {
      console.log = log;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
