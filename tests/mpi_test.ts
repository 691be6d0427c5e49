/**
 * Data-parallel training over MPI on lavapipe, through `mpirun` (Debian's `openmpi-bin` and
 * `libopenmpi-dev`; `.ci/run` installs them):
 *
 * - two ranks of one sample each against one process with `--batchSize 2` on the same two samples
 *   from the same weights: after three steps the ranks' weights are identical (the ranks compare
 *   digests), the logged losses are the same, and the weights match the single process's: every
 *   conv weight within 1e-5; a bias within 2·lr per step, since the biases that feed an instance
 *   norm are cancelled by it and get gradients of rounding noise, whose sign Adam follows; a
 *   two-rank run stopped and resumed ends with the uninterrupted one's checkpoint bytes;
 * - a rank killed mid-run ends the job within a bounded time with a message naming the rank, and
 *   the run resumes from its last save; resuming with another number of processes is refused.
 *
 * Without mpirun the test is skipped, except in CI (`CI` set), where it fails.
 */
import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { openCheckpoint } from "../lib/io/open_checkpoint.ts";
import { toFloat32 } from "../lib/io/to_float32.ts";
import { haveMpirun, ONE_MACHINE_MPI_ENV } from "../cli/bench/mpi.ts";
import { TINY_TRAIN } from "./feature_run.ts";

const MPIRUN = "mpirun";

/** Whether mpirun is here; in CI (`CI` set) its absence is an error, since CI installs it. */
async function mpirunPresent(): Promise<boolean> {
  const have = await haveMpirun();
  if (!have && Deno.env.get("CI")) {
    throw new Error("mpirun is needed in CI for the MPI test (apt-get install openmpi-bin)");
  }
  return have;
}

const present = await mpirunPresent();
const TRAIN = new URL("../cli/train.ts", import.meta.url).pathname;
const CITY = new URL("../fixtures/data/city", import.meta.url).pathname;
/** The learning rate of TINY_TRAIN, for the biases' tolerance. */
const LR = Number(TINY_TRAIN[TINY_TRAIN.indexOf("--lr") + 1]);

/** The tests' tiny global G and D on the first two samples, no flips, no pool, 3 epochs. */
function flags(checkpoints: string, name: string, extra: Record<string, string> = {}): string[] {
  const values: Record<string, string> = {
    dataroot: CITY,
    checkpoints_dir: checkpoints,
    name,
    niter: "3",
    nThreads: "0",
    loadSize: "128",
    resize_or_crop: "scale_width",
    save_epoch_freq: "1",
    print_freq: "1",
    ...extra,
  };
  return [...TINY_TRAIN, ...Object.entries(values).flatMap(([k, v]) => [`--${k}`, v]), "--no_flip"];
}

const ENV = {
  XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp",
  NO_COLOR: "1",
  PIX2PIXHD_CONV_TUNE: "off",
  ...ONE_MACHINE_MPI_ENV,
  // Open MPI's notices (a killed rank) printed as they come: its aggregator sometimes drops them.
  OMPI_MCA_orte_base_help_aggregate: "0",
};

function ranks(n: number, args: string[]): Deno.Command {
  return new Deno.Command(MPIRUN, {
    args: ["-np", String(n), Deno.execPath(), "run", "-A", TRAIN, ...args],
    env: ENV,
    stdout: "piped",
    stderr: "piped",
  });
}

async function run(command: Deno.Command): Promise<{ code: number; text: string }> {
  const out = await command.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

function one(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TRAIN, ...args],
    env: ENV,
    stdout: "piped",
    stderr: "piped",
  });
}

/** The loss lines of a run's loss_log.txt. */
async function lossLines(dir: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(dir, "loss_log.txt"));
  return text.split("\n").filter((l) => l.startsWith("(epoch"));
}

Deno.test({
  name: "MPI: two ranks of one sample train as one process of a batch of two",
  ignore: !present,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "pix2pixhd_mpi_" });
    try {
      const two = await run(ranks(2, flags(dir, "two")));
      equal(two.code, 0, two.text);
      match(two.text, /rank 0 of 2 \(pid \d+\): adapter/);
      match(two.text, /rank 1 of 2 \(pid \d+\): adapter/);
      match(two.text, /an update averages 2 images \(--batchSize 1 a rank\)/);
      match(two.text, /the 2 ranks' weights are identical \(digest [0-9a-f]{8}\)/);
      match(two.text, /gradient averaging: [\d.]+ MiB a rank a step/);
      // Rank 0 alone writes: one loss line a step, one report.
      equal(two.text.match(/^trained 3 steps/gm)?.length, 1, two.text);
      const single = await run(one(flags(dir, "one", { batchSize: "2" })));
      equal(single.code, 0, single.text);

      const linesTwo = await lossLines(join(dir, "two"));
      const linesOne = await lossLines(join(dir, "one"));
      equal(linesTwo.length, 3);
      const losses = (l: string) => l.replace(/^.*?\) /, "");
      equal(linesTwo.map(losses).join("\n"), linesOne.map(losses).join("\n"));

      let worstWeight = 0, worstBias = 0;
      for (const net of ["G", "D"]) {
        using a = await openCheckpoint(join(dir, "two", `latest_net_${net}.pth`));
        using b = await openCheckpoint(join(dir, "one", `latest_net_${net}.pth`));
        for (const key of a.keys()) {
          const x = toFloat32(await a.read(key)), y = toFloat32(await b.read(key));
          equal(x.length, y.length, key);
          let worst = 0;
          for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
          if (key.endsWith(".bias")) worstBias = Math.max(worstBias, worst);
          else worstWeight = Math.max(worstWeight, worst);
        }
      }
      console.log(
        `two ranks against one process: weights within ${
          worstWeight.toExponential(1)
        }, biases within ${worstBias.toExponential(1)}`,
      );
      ok(worstWeight <= 1e-5, `weights differ by ${worstWeight}`);
      ok(worstBias <= 2 * LR * 3, `biases differ by ${worstBias}`);

      // Stopped after 2 epochs and resumed, two ranks end with the uninterrupted run's bits.
      const half = await run(ranks(2, flags(dir, "resumed", { niter: "2" })));
      equal(half.code, 0, half.text);
      const rest = await run(ranks(2, flags(dir, "resumed").concat("--continue_train")));
      equal(rest.code, 0, rest.text);
      match(rest.text, /resuming from .*: epoch 3, iteration 0/);
      for (const net of ["G", "D"]) {
        const [a, b] = await Promise.all(
          ["two", "resumed"].map((name) => Deno.readFile(join(dir, name, `latest_net_${net}.pth`))),
        );
        ok(a.length === b.length && a.every((x, i) => x === b[i]), `${net} resumed exactly`);
      }

      // Resuming with another number of processes is refused, naming both.
      const refused = await run(one(flags(dir, "two", { niter: "4" }).concat("--continue_train")));
      equal(refused.code, 1);
      match(refused.text, /trained on 2 process\(es\): current value is 1/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "MPI: a rank killed mid-run ends the job, naming it; the run resumes from its last save",
  ignore: !present,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "pix2pixhd_mpi_" });
    try {
      const job = ranks(2, flags(dir, "killed", { niter: "200" })).spawn();
      const decoder = new TextDecoder();
      let text = "";
      const collect = async (stream: ReadableStream<Uint8Array>) => {
        for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
      };
      const reading = Promise.all([collect(job.stdout), collect(job.stderr)]);
      // Wait for two saved epochs, then kill rank 1.
      const t0 = performance.now();
      while (!/End of epoch 2 \/ 200/.test(text)) {
        ok(performance.now() - t0 < 180_000, `no second epoch in 180 s:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const pid = Number(/rank 1 of 2 \(pid (\d+)\)/.exec(text)![1]);
      Deno.kill(pid, "SIGKILL");
      const killedAt = performance.now();
      const timeout = setTimeout(() => job.kill("SIGKILL"), 60_000);
      const status = await job.status;
      clearTimeout(timeout);
      await reading;
      const seconds = (performance.now() - killedAt) / 1000;
      console.log(`the job ended ${seconds.toFixed(1)} s after rank 1 was killed`);
      ok(seconds < 60, "the job ended within 60 s");
      ok(!status.success, text);
      match(text, /process rank 1 with PID \d+ .*(signal 9|Killed)/s);

      // Resume on two ranks to epoch 10 from the last saved state (the kill came within a few epochs).
      const resumed = await run(
        ranks(2, flags(dir, "killed", { niter: "10" }).concat("--continue_train")),
      );
      equal(resumed.code, 0, resumed.text);
      // From the last save that completed: epoch 1's or a later one.
      match(resumed.text, /resuming from .*latest_train_state\.safetensors: epoch [2-9]/);
      match(resumed.text, /End of epoch 10 \/ 10/);
      match(resumed.text, /the 2 ranks' weights are identical/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "MPI: a rank that fails ends the job at once with its error, naming the rank",
  ignore: !present,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "pix2pixhd_mpi_" });
    try {
      // Two programs in one job (MPMD): rank 1 is given a dataset that does not exist.
      const good = flags(dir, "failed", { niter: "50" });
      const bad = flags(dir, "failed", { niter: "50", dataroot: join(dir, "missing") });
      const t0 = performance.now();
      const job = await run(
        new Deno.Command(MPIRUN, {
          args: [
            ...["-np", "1", Deno.execPath(), "run", "-A", TRAIN, ...good, ":"],
            ...["-np", "1", Deno.execPath(), "run", "-A", TRAIN, ...bad],
          ],
          env: ENV,
          stdout: "piped",
          stderr: "piped",
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      console.log(`the job ended ${seconds.toFixed(1)} s after it started`);
      ok(job.code !== 0, job.text);
      match(job.text, /error: rank 1 of 2: .*missing/);
      // Rank 0 never finished a step: it was ended while waiting for rank 1. (Open MPI's own
      // "MPI_ABORT was invoked" notice is not asserted: its help aggregator sometimes drops it.)
      ok(!/End of epoch/.test(job.text), job.text);
      ok(seconds < 120, "the job ended within 120 s");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
