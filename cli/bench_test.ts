import { deepEqual, throws } from "node:assert/strict";
import { parseBenchArgs } from "./bench.ts";

Deno.test("deno task bench takes sizes, the networks' flags and conv shapes", () => {
  const parsed = parseBenchArgs([
    "train",
    "conv",
    "--sizes",
    "1024x512,2048x1024",
    "--netG",
    "local",
    "--ngf",
    "32",
    "--num_D",
    "3",
    "--no_vgg_loss",
    "--what",
    "train_step",
    "--warmup",
    "0",
    "--iters",
    "3",
    "--conv_shapes",
    "64:512:1024",
  ]);
  deepEqual(parsed, {
    groups: ["train", "conv"],
    train: {
      architecture: { ngf: 32, num_D: 3, netG: "local", vgg: false },
      sizes: [[1024, 512], [2048, 1024]],
      what: ["train_step"],
      warmup: 0,
      iters: 3,
    },
    convShapes: [[64, 512, 1024]],
  });
});

Deno.test("a bad bench option is named with its value", () => {
  throws(
    () => parseBenchArgs(["--ngf", "0"]),
    /--ngf must be a whole number ≥ 1: current value is '0'/,
  );
  throws(() => parseBenchArgs(["--netG", "big"]), /--netG must be global or local/);
  throws(() => parseBenchArgs(["--sizes", "512x"]), /--sizes '512x': '512x' is not WxH/);
  throws(() => parseBenchArgs(["--what", "step"]), /'step' is not generate or train_step/);
  throws(() => parseBenchArgs(["--conv_shapes", "64:32"]), /'64:32' is not C:H:W/);
  throws(() => parseBenchArgs(["--iters", "0"]), /--iters must be a whole number ≥ 1/);
  throws(() => parseBenchArgs(["--bogus"]), /bogus/);
});
