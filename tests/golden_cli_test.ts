/**
 * The original's own commands from the golden manifest (`commands.train`, `commands.test`), run
 * through `cli/train.ts` and `cli/test.ts` with the same flags plus `--vgg_weights`: the losses
 * logged in `loss_log.jsonl` against train/losses.json (the tolerances of golden_train_test.ts,
 * which explains the third iteration's), and the test images against test.py's.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { decodePng } from "../lib/data/png.ts";
import { parseOptions } from "../lib/app/options.ts";
import { test } from "../lib/app/test.ts";
import { train } from "../lib/app/train.ts";
import { LOSS_NAMES } from "../lib/pix2pixhd/trainer.ts";
import { main as testMain } from "../cli/test.ts";
import { gpu } from "./check.ts";
import { ckpt, golden, tiny } from "./golden.ts";

const LOSS_RTOL = [1e-4, 1e-4, 2e-3];

/** A manifest command's flags, with its placeholders filled in. */
function flags(command: string, runs: string): string[] {
  return command.replace(/^python \S+\s+/, "").replaceAll("<runs>", runs)
    .replaceAll("<golden>", golden!).split(/\s+/);
}

async function manifest() {
  return JSON.parse(await Deno.readTextFile(`${tiny}/manifest.json`));
}

Deno.test({
  name: "golden: train.py's command through cli/train.ts logs train.py's three iterations",
  ignore: golden === undefined,
  async fn() {
    await gpu();
    const runs = await Deno.makeTempDir();
    try {
      const { commands } = await manifest();
      const args = [...flags(commands.train, runs), "--vgg_weights", `${tiny}/vgg19_random.pth`];
      const lines: string[] = [];
      const result = await train(parseOptions("train", args), { print: (l) => lines.push(l) });
      equal(result.steps, 3);
      ok(lines.some((l) => l.includes("--gpu_ids has no effect")), "the no-op flag is noted");
      const dir = join(runs, "train_A/ckpt/golden");
      const logged = (await Deno.readTextFile(join(dir, "loss_log.jsonl"))).trim().split("\n")
        .map((l) => JSON.parse(l));
      const expected = JSON.parse(await Deno.readTextFile(`${tiny}/train/losses.json`)).iterations;
      equal(logged.length, 3);
      for (const [i, record] of logged.entries()) {
        equal(record.step, i + 1);
        for (const k of LOSS_NAMES) {
          const rel = Math.abs(record[k] - expected[i][k]) / Math.abs(expected[i][k]);
          ok(rel <= LOSS_RTOL[i], `iteration ${i + 1} ${k}: ${record[k]} for ${expected[i][k]}`);
        }
      }
      // The effective options as the original's opt.txt lists them.
      const optTxt = await Deno.readTextFile(join(dir, "opt.txt"));
      for (const [k, v] of Object.entries(commands["train_effective_options(opt.txt)"])) {
        const want = String(v).replaceAll("<runs>", runs).replaceAll("<golden>", golden!);
        ok(optTxt.includes(`\n${k}: ${want}\n`), `opt.txt ${k}: ${want}`);
      }
      for (const file of ["latest_net_G.pth", "latest_net_D.pth", "1_net_G.pth", "iter.txt"]) {
        await Deno.stat(join(dir, file));
      }
      equal(await Deno.readTextFile(join(dir, "iter.txt")), "2\n0\n");
    } finally {
      await Deno.remove(runs, { recursive: true });
    }
  },
});

Deno.test({
  name: "golden: test.py's command through cli/test.ts writes test.py's images",
  ignore: golden === undefined,
  async fn() {
    await gpu();
    const runs = await Deno.makeTempDir();
    try {
      const { commands } = await manifest();
      await Deno.mkdir(join(runs, "test/ckpt/golden"), { recursive: true });
      await Deno.copyFile(ckpt("G"), join(runs, "test/ckpt/golden/latest_net_G.pth"));
      const args = flags(commands.test, runs);
      const result = await test(parseOptions("test", args), { print: () => {} });
      equal(result.images.length, 2);
      for (const { name, label, synthesized } of result.images) {
        for (
          const [ours, kind, tolerance] of [[label, "input_label", 0], [
            synthesized,
            "synthesized_image",
            1,
          ]] as const
        ) {
          const got = decodePng(await Deno.readFile(ours));
          const want = decodePng(await Deno.readFile(`${tiny}/test/${name}_${kind}.png`));
          deepEqual([got.width, got.height, got.channels], [want.width, want.height, 3]);
          let worst = 0;
          for (let i = 0; i < got.data.length; i++) {
            worst = Math.max(worst, Math.abs(got.data[i] - want.data[i]));
          }
          ok(worst <= tolerance, `${name} ${kind}: off by ${worst} grey levels`);
        }
      }
      const page = await Deno.readTextFile(
        join(runs, "test/results/golden/test_latest/index.html"),
      );
      ok(page.includes(`images/${result.images[0].name}_synthesized_image.png`));
      // --format jpg writes the original's JPEGs, through the command's own entry point.
      equal(await testMain([...args, "--format", "jpg", "--how_many", "1"]), 0);
      const jpg = await Deno.readFile(
        join(
          runs,
          `test/results/golden/test_latest/images/${result.images[0].name}_synthesized_image.jpg`,
        ),
      );
      deepEqual([...jpg.subarray(0, 2)], [0xff, 0xd8]);
    } finally {
      await Deno.remove(runs, { recursive: true });
    }
  },
});
