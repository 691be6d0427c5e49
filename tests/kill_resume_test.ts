/**
 * A training process killed (SIGKILL) at random moments, many of them inside a checkpoint save,
 * and resumed each time with `--continue_train`, must end with the weights, losses and
 * `iter.txt` of a run that was never stopped, bit for bit.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "../lib/data/rng.ts";
import { openCheckpoint } from "../lib/io/open_checkpoint.ts";
import { toFloat32 } from "../lib/io/to_float32.ts";
import { gpu } from "./check.ts";

const city = fileURLToPath(new URL("../fixtures/data/city", import.meta.url));
const TRAIN = fileURLToPath(new URL("../cli/train.ts", import.meta.url));

/** Six steps of a tiny coarse-to-fine run; `latest` is saved after every step. */
const FLAGS = [
  "--dataroot",
  city,
  "--netG",
  "local",
  "--ngf",
  "8",
  "--n_downsample_global",
  "2",
  "--n_blocks_global",
  "1",
  "--n_blocks_local",
  "1",
  "--ndf",
  "8",
  "--n_layers_D",
  "2",
  "--loadSize",
  "64",
  "--resize_or_crop",
  "scale_width",
  "--no_vgg_loss",
  "--max_dataset_size",
  "2",
  "--niter",
  "2",
  "--niter_decay",
  "1",
  "--niter_fix_global",
  "1",
  "--pool_size",
  "1",
  "--nThreads",
  "0",
  "--print_freq",
  "1",
  "--display_freq",
  "2",
  "--save_latest_freq",
  "1",
  "--save_epoch_freq",
  "1",
  "--seed",
  "5",
  "--lr",
  "0.002",
]; // deno-fmt-ignore

/** How a run ended: its exit code (null when killed), what it printed, and when. */
interface Ended {
  code: number | null;
  out: string;
  seconds: number;
}

/**
 * Runs cli/train.ts on `name`; `killAt` chooses the moment of a SIGKILL from what the process
 * printed so far (called on every chunk and every 20 ms), or never kills.
 */
async function runTrain(
  dir: string,
  name: string,
  extra: string[],
  killAt?: (out: string, seconds: number) => boolean,
): Promise<Ended> {
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TRAIN, ...FLAGS, "--checkpoints_dir", dir, "--name", name, ...extra],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let out = "";
  let killed = false;
  const seconds = () => (performance.now() - start) / 1000;
  const check = () => {
    if (!killed && killAt?.(out, seconds())) {
      killed = true;
      child.kill("SIGKILL");
    }
  };
  const timer = setInterval(check, 20);
  const readAll = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      out += chunk;
      check();
    }
  };
  await Promise.all([readAll(child.stdout), readAll(child.stderr)]);
  const status = await child.status;
  clearInterval(timer);
  return { code: killed ? null : status.code, out, seconds: seconds() };
}

async function tensors(path: string): Promise<Map<string, Float32Array>> {
  using file = await openCheckpoint(path);
  const out = new Map<string, Float32Array>();
  for (const key of file.keys()) out.set(key, toFloat32(await file.read(key)));
  return out;
}

function losses(text: string): unknown[] {
  return text.trim().split("\n").map((line) => {
    const { sec: _, ...rest } = JSON.parse(line);
    return rest;
  });
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("cli/train.ts killed at random moments, and inside saves, resumes to the weights of a run never stopped", async () => {
  await gpu();
  const dir = await Deno.makeTempDir({ prefix: "pix2pixhd_kill_" });
  try {
    const straight = await runTrain(dir, "straight", []);
    equal(straight.code, 0, straight.out);

    // Kills: at a random moment of the run, or a random delay (up to 1.5 s, about one save)
    // after the process announces its n-th save. Bounded: at most 7 kills.
    const rng = new Rng(Number(Deno.env.get("KILL_TEST_SEED") ?? 20261204));
    const log: string[] = [];
    for (let k = 0; k < 7; k++) {
      const resume = await exists(join(dir, "killed", "latest_net_G.pth"));
      const inSave = k % 2 === 1;
      const nth = rng.int(1, 2);
      const delay = inSave ? rng.random() * 1.5 : 1 + rng.random() * straight.seconds * 0.8;
      let saw = -1;
      const run = await runTrain(
        dir,
        "killed",
        resume ? ["--continue_train"] : [],
        (out, seconds) => {
          if (!inSave) return seconds >= delay;
          if (saw < 0 && out.split("saving the latest model").length - 1 >= nth) saw = seconds;
          return saw >= 0 && seconds >= saw + delay;
        },
      );
      const what = inSave ? `${delay.toFixed(2)} s after save ${nth}` : `at ${delay.toFixed(2)} s`;
      const repairs = run.out.split("\n").filter((l) => /^note: (completed|removed)/.test(l));
      log.push(
        `run ${k + 1}${resume ? " (resumed)" : ""}: ${
          run.code === null ? `killed ${what}` : `exited with ${run.code} before ${what}`
        }${repairs.map((l) => `\n  ${l}`).join("")}`,
      );
      ok(run.code === null || run.code === 0, `${log.join("\n")}\n${run.out}`);
      if (run.code === 0) break;
    }
    const last = await runTrain(dir, "killed", ["--continue_train"]);
    equal(last.code, 0, `${log.join("\n")}\n${last.out}`);
    log.push(...last.out.split("\n").filter((l) => /^note: (completed|removed)/.test(l)));
    console.log(log.join("\n"));

    const a = join(dir, "straight"), b = join(dir, "killed");
    for (const net of ["G", "D"]) {
      const want = await tensors(join(a, `latest_net_${net}.pth`));
      const got = await tensors(join(b, `latest_net_${net}.pth`));
      deepEqual([...got.keys()], [...want.keys()]);
      for (const [key, values] of want) {
        deepEqual(got.get(key), values, `${net} ${key} after:\n${log.join("\n")}`);
      }
    }
    deepEqual(
      losses(await Deno.readTextFile(join(b, "loss_log.jsonl"))),
      losses(await Deno.readTextFile(join(a, "loss_log.jsonl"))),
      log.join("\n"),
    );
    equal(
      await Deno.readTextFile(join(b, "iter.txt")),
      await Deno.readTextFile(join(a, "iter.txt")),
    );
    const left = [...Deno.readDirSync(b)].map((e) => e.name).filter((n) =>
      /\.next$|\.commit\.json$|\.partial-/.test(n)
    );
    deepEqual(left, [], "nothing half-written is left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
