/**
 * What training does to a run folder when something is wrong: a run that fails its checks
 * writes nothing (and never replaces another run's options), resuming names what is missing or
 * mixed, and a loss log cut off by a stopped run is repaired with a note.
 */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadNetwork, networkPath, saveNetwork } from "../lib/app/checkpoints.ts";
import { parseOptions } from "../lib/app/options.ts";
import { type LossRecord, train } from "../lib/app/train.ts";
import { defineG } from "../lib/pix2pixhd/networks/define_g.ts";
import { gpu } from "./check.ts";

const city = fileURLToPath(new URL("../fixtures/data/city", import.meta.url));

/** A tiny global G and D on 64×32 images, one epoch of one image, with `values` replaced. */
function flags(dir: string, name: string, values: Record<string, string> = {}): string[] {
  return Object.entries({
    dataroot: city,
    checkpoints_dir: dir,
    name,
    netG: "global",
    ngf: "4",
    n_downsample_global: "2",
    n_blocks_global: "1",
    ndf: "4",
    n_layers_D: "1",
    num_D: "1",
    loadSize: "64",
    resize_or_crop: "scale_width",
    max_dataset_size: "1",
    niter: "1",
    niter_decay: "0",
    nThreads: "0",
    print_freq: "1",
    save_epoch_freq: "1",
    seed: "2",
    ...values,
  }).flatMap(([k, v]) => [`--${k}`, v]).concat(["--no_vgg_loss", "--no_html"]);
}

async function run(args: string[], options: { stopAt?: number; lines?: string[] } = {}) {
  const controller = new AbortController();
  return await train(parseOptions("train", args), {
    print: (line) => options.lines?.push(line),
    progress: false,
    signal: controller.signal,
    onStep: (r: LossRecord) => r.step === options.stopAt && controller.abort(),
  });
}

/** Every file under `dir` with the SHA-256 of its bytes. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (sub: string) => {
    for await (const e of Deno.readDir(join(dir, sub))) {
      const rel = join(sub, e.name);
      if (e.isDirectory) await walk(rel);
      else {
        out[rel] = createHash("sha256").update(await Deno.readFile(join(dir, rel))).digest("hex");
      }
    }
  };
  await walk("");
  return out;
}

Deno.test("a run that fails its checks writes nothing into the run folder", async () => {
  await gpu();
  const dir = await Deno.makeTempDir();
  try {
    await run(flags(dir, "kept"));
    const before = await snapshot(join(dir, "kept"));
    ok(before["opt.json"] && before["latest_net_G.pth"]);
    const failing: [Record<string, string>, string[], RegExp][] = [
      [{ dataroot: join(dir, "missing") }, [], /Cannot/],
      [{ load_pretrain: join(dir, "missing") }, [], /missing/],
      [{ ngf: "16" }, ["--continue_train"], /--ngf 16 \(trained with 4\)/],
      [{ which_epoch: "7" }, ["--continue_train"], /7_net_G\.pth does not exist/],
    ];
    for (const [values, extra, error] of failing) {
      const what = JSON.stringify([values, extra]);
      await rejects(run([...flags(dir, "kept", values), ...extra]), error, what);
      deepEqual(await snapshot(join(dir, "kept")), before, `after ${what}`);
    }
    // A new run that fails its checks does not even make its folder.
    await rejects(run(flags(dir, "fresh", { dataroot: join(dir, "missing") })));
    await rejects(Deno.stat(join(dir, "fresh")), Deno.errors.NotFound);

    // Starting afresh over an existing run is allowed, and said; a save the earlier run left
    // committed but not renamed is completed first, so its record cannot outlive this run.
    await Deno.writeTextFile(join(dir, "kept", "latest.commit.json"), '{"files":["a.txt"]}');
    await Deno.writeTextFile(join(dir, "kept", "a.txt.next"), "earlier");
    const lines: string[] = [];
    await run(flags(dir, "kept", { lr: "0.001" }), { lines });
    ok(lines.some((l) => l.startsWith("note: completed the save of a.txt in")), lines.join("\n"));
    await rejects(Deno.stat(join(dir, "kept", "latest.commit.json")), Deno.errors.NotFound);
    ok(
      lines.some((l) =>
        l.startsWith(`note: ${join(dir, "kept")} holds an earlier run: this one starts afresh`)
      ),
      lines.join("\n"),
    );
    // Resuming with other options says what the run's options now record.
    lines.length = 0;
    await run([...flags(dir, "kept", { niter: "2" }), "--continue_train"], { lines });
    ok(
      lines.some((l) => /^note: resuming with other options .* --niter 1 -> 2/.test(l)),
      lines.join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--continue_train names what is missing: the run, or the checkpoint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await rejects(
      run([...flags(dir, "none"), "--continue_train"]),
      (e: Error) =>
        e instanceof Deno.errors.NotFound &&
        e.message.startsWith(`Cannot resume ${join(dir, "none")} as the folder does not exist`),
    );
    await Deno.mkdir(join(dir, "empty"));
    await rejects(
      run([...flags(dir, "empty"), "--continue_train"]),
      (e: Error) =>
        e.message ===
          `Cannot resume ${join(dir, "empty")} from --which_epoch latest as ${
            join(dir, "empty", "latest_net_G.pth")
          } does not exist (leave out --continue_train to start afresh): current value is no checkpoint`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a checkpoint whose files come from different saves is refused, naming the file", async () => {
  await gpu();
  const dir = await Deno.makeTempDir();
  try {
    await run(flags(dir, "mixed", { niter: "2" }));
    const run1 = join(dir, "mixed");
    await Deno.copyFile(join(run1, "1_net_D.pth"), join(run1, "latest_net_D.pth"));
    const before = await snapshot(run1);
    await rejects(
      run([...flags(dir, "mixed", { niter: "3" }), "--continue_train"]),
      (e: Error) =>
        e.message.startsWith(
          `Cannot resume from ${join(run1, "latest_train_state.safetensors")} as ${
            join(run1, "latest_net_D.pth")
          } is not the file saved with it`,
        ),
    );
    deepEqual(await snapshot(run1), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resuming drops a loss log line cut off by a stop, with a note; other bad lines are errors", async () => {
  await gpu();
  const dir = await Deno.makeTempDir();
  try {
    const run1 = join(dir, "cut");
    const log = join(run1, "loss_log.jsonl");
    await run(flags(dir, "cut", { max_dataset_size: "2" }), { stopAt: 1 });
    const complete = await Deno.readTextFile(log);
    await Deno.writeTextFile(log, '{"epoch":1,"iter":2,"st', { append: true });
    const lines: string[] = [];
    const resumed = await run(
      [...flags(dir, "cut", { max_dataset_size: "2" }), "--continue_train"],
      { lines },
    );
    equal(resumed.steps, 1);
    ok(
      lines.includes(
        `note: dropped the last line of ${log}, cut off when the run stopped: '{"epoch":1,"iter":2,"st'`,
      ),
      lines.join("\n"),
    );
    const records = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
    deepEqual(records.map((r) => r.step), [1, 2]);

    await Deno.writeTextFile(log, complete + "not json\n" + complete);
    await rejects(
      run([...flags(dir, "cut", { max_dataset_size: "2" }), "--continue_train"]),
      (e: Error) =>
        e.message ===
          `Cannot resume from ${log} as line 2 is not a JSON record: current value is 'not json'`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadNetwork: a mis-shaped checkpoint's error names the file", async () => {
  await gpu();
  const dir = await Deno.makeTempDir();
  const make = (ngf: number) =>
    defineG({
      netG: "global",
      inputNc: 4,
      outputNc: 3,
      ngf,
      nDownsampleGlobal: 1,
      nBlocksGlobal: 1,
    });
  const small = make(4), wide = make(8);
  try {
    const path = networkPath(dir, "latest", "G");
    await saveNetwork(small, path);
    await rejects(
      loadNetwork(wide, path, { strict: true }),
      (e: Error) =>
        e instanceof TypeError && e.message.startsWith(`Cannot load ${path}: `) &&
        /mis-shaped \(model\.1\.weight: \[4,4,7,7\] where the module has \[8,4,7,7\]/.test(
          e.message,
        ),
    );
  } finally {
    small.dispose();
    wide.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
