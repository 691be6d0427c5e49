/**
 * cli/train.ts and cli/test.ts end to end on the fixtures: a tiny coarse-to-fine run (the global
 * part fixed for the first epoch, an image pool, flips and shuffles), its files, resuming that
 * gives the weights of a run never stopped, Ctrl-C, and testing with the saved architecture.
 */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readIter } from "../lib/app/checkpoints.ts";
import { parseOptions } from "../lib/app/options.ts";
import { test } from "../lib/app/test.ts";
import { type LossRecord, train } from "../lib/app/train.ts";
import { psnr, ssim } from "../lib/data/metrics.ts";
import { decodePng } from "../lib/data/png.ts";
import { gpu } from "./check.ts";
import { city, losses, replaced, tensors, TINY } from "./train_run.ts";

const quiet = { print: () => {}, progress: false };

/** Trains `name` until `stopAt` steps are done (all, when undefined). */
async function run(dir: string, name: string, extra: string[], stopAt?: number) {
  const controller = new AbortController();
  const args = [...TINY, "--checkpoints_dir", dir, "--name", name, ...extra];
  return await train(parseOptions("train", args), {
    ...quiet,
    signal: controller.signal,
    onStep: (r: LossRecord) => r.step === stopAt && controller.abort(),
  });
}

Deno.test("cli/train.ts: a tiny run writes the checkpoints, logs and pages; resuming is exact", async () => {
  await gpu();
  const dir = await Deno.makeTempDir();
  try {
    const straight = await run(dir, "straight", []);
    deepEqual([straight.steps, straight.totalSteps, straight.interrupted], [4, 4, false]);
    const run1 = join(dir, "straight");
    for (
      const f of [
        "opt.txt",
        "opt.json",
        "latest_net_G.pth",
        "latest_net_D.pth",
        "1_net_G.pth",
        "2_net_D.pth",
        "latest_train_state.safetensors",
      ]
    ) {
      await Deno.stat(join(run1, f));
    }
    deepEqual(await readIter(run1), [3, 0]);
    const txt = await Deno.readTextFile(join(run1, "loss_log.txt"));
    match(txt, /^================ Training Loss \(.+\) ================\n/);
    match(
      txt,
      /\n\(epoch: 2, iters: 2, time: \d+\.\d{3}\) G_GAN: \d+\.\d{3} G_GAN_Feat: \d+\.\d{3} D_real: \d+\.\d{3} D_fake: \d+\.\d{3} \n$/,
    );
    const records = (await Deno.readTextFile(join(run1, "loss_log.jsonl"))).trim().split("\n").map((
      l,
    ) => JSON.parse(l));
    deepEqual(records.map((r) => [r.epoch, r.iter, r.step, r.lr]), [
      [1, 1, 1, 0.002],
      [1, 2, 2, 0.002],
      [2, 1, 3, 0.002],
      [2, 2, 4, 0.002],
    ]);
    deepEqual(Object.keys(records[0]).sort(), [
      "D_fake",
      "D_real",
      "G_GAN",
      "G_GAN_Feat",
      "G_VGG",
      "epoch",
      "iter",
      "lr",
      "sec",
      "step",
    ]);
    const page = await Deno.readTextFile(join(run1, "web/index.html"));
    ok(
      page.indexOf("images/epoch002_synthesized_image.png") <
        page.indexOf("images/epoch001_synthesized_image.png"),
      "newest epoch first",
    );
    match(page, /<svg[^]*<polyline[^]*G_GAN/);
    const label = decodePng(await Deno.readFile(join(run1, "web/images/epoch001_input_label.png")));
    deepEqual([label.width, label.height, label.channels], [64, 32, 3]);

    // Stopped after step 1 (global part fixed) and after step 3 (all of G), resumed each time.
    const first = await run(dir, "resumed", [], 1);
    deepEqual([first.steps, first.interrupted], [1, true]);
    deepEqual(await readIter(join(dir, "resumed")), [1, 1]);
    const second = await run(dir, "resumed", ["--continue_train"], 3);
    deepEqual([second.steps, second.totalSteps, second.interrupted], [2, 3, true]);
    const third = await run(dir, "resumed", ["--continue_train"]);
    deepEqual([third.steps, third.totalSteps, third.interrupted], [1, 4, false]);
    for (const net of ["G", "D"]) {
      const a = await tensors(join(run1, `latest_net_${net}.pth`));
      const b = await tensors(join(dir, "resumed", `latest_net_${net}.pth`));
      deepEqual([...b.keys()], [...a.keys()]);
      for (const [key, values] of a) deepEqual(b.get(key), values, `${net} ${key}`);
    }
    deepEqual(
      losses(await Deno.readTextFile(join(dir, "resumed/loss_log.jsonl"))),
      losses(await Deno.readTextFile(join(run1, "loss_log.jsonl"))),
    );

    // A resumed run must keep its architecture.
    const wider = [...replaced(TINY, { ngf: "16" }), "--checkpoints_dir", dir, "--name", "resumed"];
    await rejects(
      train(parseOptions("train", [...wider, "--continue_train"]), quiet),
      /--ngf 16 \(trained with 8\)/,
    );

    // Testing takes the architecture from opt.json; contradicting flags are an error.
    const base = [
      "--checkpoints_dir",
      dir,
      "--name",
      "straight",
      "--dataroot",
      city,
      "--results_dir",
      join(dir, "results"),
      "--loadSize",
      "64",
      "--how_many",
      "1",
    ];
    const tested = await test(parseOptions("test", base), quiet);
    equal(tested.options.netG, "local");
    equal(tested.images.length, 1);
    const image = decodePng(await Deno.readFile(tested.images[0].synthesized));
    deepEqual([image.width, image.height, image.channels], [64, 32, 3]);
    ok(
      (await Deno.readTextFile(tested.page)).includes(
        `images/${tested.images[0].name}_input_label.png`,
      ),
    );
    // The fixtures' test split has photos: the page shows the real one, measured against.
    const name = tested.images[0].name;
    ok((await Deno.readTextFile(tested.page)).includes(`images/${name}_real_image.png`));
    const real = decodePng(await Deno.readFile(join(tested.dir, `images/${name}_real_image.png`)));
    const m = tested.metrics!;
    const [fake8, real8] = [image.data, real.data].map((d) => Uint8Array.from(d));
    equal(m.images, 1);
    ok(Math.abs(m.psnr - psnr(fake8, real8, 64, 32)) < 1e-9, `PSNR ${m.psnr}`);
    ok(Math.abs(m.ssim - ssim(fake8, real8, 64, 32)) < 1e-9, `SSIM ${m.ssim}`);
    ok(Object.keys(m.classColourError).length > 1, "classes measured");
    deepEqual(JSON.parse(await Deno.readTextFile(m.file)).images, 1);
    const untrained = await test(parseOptions("test", base), { ...quiet, untrained: true });
    ok(untrained.dir.endsWith("test_untrained"), untrained.dir);
    ok(untrained.metrics && untrained.metrics.psnr !== m.psnr, "the untrained G is measured too");
    await rejects(
      test(parseOptions("test", [...base, "--netG", "global"]), quiet),
      /--netG global \(trained with local\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli/train.ts: Ctrl-C saves latest and the training state, then exits", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        fileURLToPath(new URL("../cli/train.ts", import.meta.url)),
        ...replaced(TINY, { niter: "100", max_dataset_size: "16" }),
        "--checkpoints_dir",
        dir,
        "--name",
        "sigint",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("(epoch: 1, iters: 1,")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const status = await child.status;
    const err = await new Response(child.stderr).text();
    equal(status.code, 130, out + err);
    match(out, /interrupted: saved .*latest_net_G\.pth/);
    const [epoch, iter] = await readIter(join(dir, "sigint"));
    equal(epoch, 1);
    ok(iter >= 1 && iter < 16, `iter.txt: ${iter}`);
    await Deno.stat(join(dir, "sigint/latest_train_state.safetensors"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
