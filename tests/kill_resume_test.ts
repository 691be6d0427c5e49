/**
 * A training process killed (SIGKILL) at random moments, many of them inside a checkpoint save,
 * and resumed each time with `--continue_train`, must end with the weights, losses and
 * `iter.txt` of a run that was never stopped, bit for bit.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "../lib/data/rng.ts";
import { exists } from "../lib/app/checkpoint_set.ts";
import { gpu } from "./check.ts";
import { losses, replaced, tensors, TINY } from "./train_run.ts";

const TRAIN = fileURLToPath(new URL("../cli/train.ts", import.meta.url));

/** Six steps of the tiny coarse-to-fine run; `latest` is saved after every step. */
const FLAGS = [
  ...replaced(TINY, { niter: "2", max_dataset_size: "2" }),
  "--save_latest_freq",
  "1",
];

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

Deno.test("cli/train.ts killed at random moments, and inside saves, resumes to the weights of a run never stopped", async () => {
  await gpu();
  const dir = await Deno.makeTempDir({ prefix: "pix2pixhd_kill_" });
  try {
    const straight = await runTrain(dir, "straight", []);
    equal(straight.code, 0, straight.out);

    // Kills, in turn: at a random moment of start-up (recovery, loading, the first step); a
    // random delay after the process announces its n-th save (about one save long); a random
    // delay after its n-th logged step (inside the step or the save after it). At most 7.
    const rng = new Rng(Number(Deno.env.get("KILL_TEST_SEED") ?? 20261204));
    const events = ["saving the latest model", "(epoch: "];
    const log: string[] = [];
    for (let k = 0; k < 7; k++) {
      const resume = await exists(join(dir, "killed", "latest_net_G.pth"));
      const mode = k % 3;
      const nth = rng.int(1, 2);
      const delay = mode === 0 ? 0.2 + rng.random() * 3 : rng.random() * (mode === 1 ? 1.5 : 0.6);
      let saw = mode === 0 ? 0 : -1;
      const run = await runTrain(
        dir,
        "killed",
        resume ? ["--continue_train"] : [],
        (out, seconds) => {
          if (saw < 0 && out.split(events[mode - 1]).length - 1 >= nth) saw = seconds;
          return saw >= 0 && seconds >= saw + delay;
        },
      );
      const what = mode === 0
        ? `${delay.toFixed(2)} s after its start`
        : `${delay.toFixed(2)} s after ${mode === 1 ? "save" : "step"} ${nth}`;
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
