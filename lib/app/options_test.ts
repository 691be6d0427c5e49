import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { FLAGS, helpText, optJson, optText, parseOptions, readOptJson } from "./options.ts";

Deno.test("parseOptions: the original's defaults, both value forms, bool flags", () => {
  const { options, given } = parseOptions("train", ["--name=city", "--niter", "5", "--no_flip"]);
  deepEqual([options.name, options.niter, options.no_flip, options.niter_decay], [
    "city",
    5,
    true,
    100,
  ]);
  deepEqual([options.lr, options.beta1, options.num_D, options.ndf, options.netG], [
    0.0002,
    0.5,
    2,
    64,
    "global",
  ]);
  equal(options.max_dataset_size, Infinity);
  deepEqual([...given].sort(), ["name", "niter", "no_flip"]);
  equal(parseOptions("test", []).options.phase, "test");
  equal(parseOptions("train", []).options.phase, "train");
  equal(parseOptions("train", ["--max_dataset_size", "inf"]).options.max_dataset_size, Infinity);
  equal(parseOptions("train", ["--no_flip=false"]).options.no_flip, false);
  ok(Object.isFrozen(options));
});

Deno.test("parseOptions: unknown flags name the closest; bad values name the flag", () => {
  throws(
    () => parseOptions("train", ["--nitre", "5"]),
    /Unknown flag --nitre: did you mean --niter\?/,
  );
  throws(() => parseOptions("train", ["--batchsize", "2"]), /did you mean --batchSize\?/);
  throws(() => parseOptions("train", ["--how_many", "5"]), /it is a flag of test and edit/);
  throws(() => parseOptions("test", ["--niter", "5"]), /it is a flag of train\)/);
  throws(() => parseOptions("encode", ["--niter", "5"]), /it is a flag of train\)/);
  throws(() => parseOptions("edit", ["--cluster_choice", "1:0"]), /it is a flag of test\)/);
  throws(() => parseOptions("edit", ["--results_dir", "r"]), /it is a flag of test\)/);
  throws(
    () => parseOptions("train", ["--niter", "five"]),
    /--niter as it must be an integer: current value is 'five'/,
  );
  throws(() => parseOptions("train", ["--lr", "x"]), /--lr as it must be a finite number/);
  throws(
    () => parseOptions("train", ["--netG", "huge"]),
    /--netG as it must be one of global, local: current value is 'huge'/,
  );
  throws(() => parseOptions("train", ["--niter"]), /--niter as it needs a value/);
  throws(() => parseOptions("train", ["--niter", "1", "--niter", "2"]), /--niter twice/);
  throws(() => parseOptions("train", ["city"]), /current value is 'city'/);
  throws(() => parseOptions("train", ["--batchSize", "0"]), /--batchSize as it must be positive/);
  throws(() => parseOptions("train", ["--niter", "-1"]), /--niter as it must be non-negative/);
  throws(() => parseOptions("train", ["--lr", "-0.1"]), /--lr as it must be non-negative/);
  throws(
    () => parseOptions("edit", ["--port", "65536"]),
    /--port as it must be 0\.\.65535: current value is 65536/,
  );
  equal(parseOptions("edit", ["--port", "65535"]).options.port, 65535);
  throws(
    () => parseOptions("test", ["--how_many", "0"]),
    /--how_many as it must be positive: current value is 0/,
  );
  throws(() => parseOptions("encode", ["--feature_scale", "0"]), /--feature_scale as it must/);
  throws(
    () => parseOptions("train", ["--fp16"]),
    /--fp16 as mixed-precision training is not implemented/,
  );
  throws(() => parseOptions("train", ["--instance_feat", "--label_feat"]), /both/);
  const { notes } = parseOptions("train", ["--gpu_ids", "0,1"]);
  match(notes[0], /--gpu_ids has no effect/);
});

Deno.test("parseOptions: non-finite numbers are refused; inf only where the original takes it", () => {
  for (const raw of ["1e400", "-1e400", "Infinity", "inf", "NaN"]) {
    throws(
      () => parseOptions("train", ["--lr", raw]),
      new RegExp(`--lr as it must be a finite number: current value is '${raw}'`),
    );
  }
  throws(() => parseOptions("train", ["--beta1", "1e309"]), /--beta1 as it must be a finite/);
  throws(() => parseOptions("train", ["--niter", "1e400"]), /--niter as it must be an integer/);
  throws(
    () => parseOptions("train", ["--max_dataset_size", "1e400"]),
    /--max_dataset_size as it must be an integer or inf: current value is '1e400'/,
  );
  equal(parseOptions("test", ["--how_many", "inf"]).options.how_many, Infinity);
});

Deno.test("parseOptions: a flag given twice names both uses, not the whole command line", () => {
  const args = ["--dataroot", "d", "--niter", "1", "--lr", "0.1", "--niter=2", "--name", "x"];
  throws(
    () => parseOptions("train", args),
    (e: Error) =>
      e.message === "Cannot use --niter twice: current value is --niter 1 and --niter=2",
  );
  throws(
    () => parseOptions("train", ["--no_flip", "--no_flip=false"]),
    /current value is --no_flip and --no_flip=false$/,
  );
});

Deno.test("parseOptions: --name, --which_epoch and --phase cannot leave their folders", () => {
  for (const name of [".", "..", "a/b", "../x", "/abs", ""]) {
    throws(
      () => parseOptions("train", ["--name", name]),
      /Cannot use --name as it must be a folder name/,
    );
    throws(() => parseOptions("test", ["--name", name]), /Cannot use --name/);
  }
  equal(parseOptions("train", ["--name", "run.v2-a_b"]).options.name, "run.v2-a_b");
  for (const which of ["../other/latest", "..", "a/b", "latest.pth", ""]) {
    throws(
      () => parseOptions("test", ["--which_epoch", which]),
      new RegExp(
        `Cannot use --which_epoch as it must be letters.*current value is '${
          which.replace(/[./]/g, "\\$&")
        }'`,
      ),
    );
  }
  for (const which of ["latest", "10", "best_val-1"]) {
    equal(parseOptions("train", ["--which_epoch", which]).options.which_epoch, which);
  }
  throws(() => parseOptions("test", ["--phase", "../../x"]), /Cannot use --phase/);
  equal(parseOptions("test", ["--phase", "val"]).options.phase, "val");
});

Deno.test("helpText lists every flag of the command, grouped", () => {
  const help = helpText("train");
  for (const f of FLAGS) {
    equal(help.includes(`  --${f.name}`), f.scope === "base" || f.scope === "train", f.name);
  }
  // Each command lists only the flags it uses: encode none of training's, edit only --how_many
  // and --cluster_path of testing's.
  const encodeHelp = helpText("encode"), editHelp = helpText("edit");
  for (const f of FLAGS) {
    const listed = (help: string) => new RegExp(`^  --${f.name}( |$)`, "m").test(help);
    equal(listed(encodeHelp), ["base", "encode"].includes(f.scope), f.name);
    equal(listed(editHelp), ["base", "inference", "edit"].includes(f.scope), f.name);
  }
  for (const name of ["niter", "num_D", "lr", "save_epoch_freq", "vgg_weights"]) {
    equal(encodeHelp.includes(`--${name} `), false, name);
  }
  for (const name of ["how_many", "cluster_path"]) equal(editHelp.includes(`--${name} `), true);
  for (const name of ["results_dir", "format", "cluster_choice", "use_encoded_image", "ntest"]) {
    equal(editHelp.includes(`--${name} `) || editHelp.includes(`--${name}\n`), false, name);
  }
  equal(parseOptions("edit", []).options.phase, "test");
  equal(parseOptions("encode", []).options.phase, "train");
  throws(() => parseOptions("train", ["--port", "1"]), /it is a flag of edit/);
  throws(() => parseOptions("train", ["--load_features"]), /--instance_feat or --label_feat/);
  throws(
    () => parseOptions("train", ["--instance_feat", "--load_features", "--feat_num", "4"]),
    /--feat_num 3/,
  );
  for (
    const group of [
      "Experiment:",
      "Data:",
      "Generator:",
      "Discriminator and losses:",
      "Schedule and optimizer:",
    ]
  ) {
    ok(help.includes(`\n${group}\n`), group);
  }
  ok(helpText("test").includes("  --how_many <int> (default 50)"));
});

Deno.test("opt.txt as pix2pixHD writes it; opt.json round-trips", () => {
  const { options } = parseOptions("train", ["--gpu_ids", "-1", "--max_dataset_size", "3"]);
  const text = optText(options, "train");
  ok(text.startsWith("------------ Options -------------\nbatchSize: 1\nbeta1: 0.5\n"));
  ok(text.endsWith("\n-------------- End ----------------\n"));
  for (
    const line of [
      "gpu_ids: []",
      "max_dataset_size: 3",
      "lambda_feat: 10.0",
      "isTrain: True",
      "no_flip: False",
      "load_pretrain: ",
    ]
  ) {
    ok(text.includes(`\n${line}\n`), line);
  }
  ok(!text.includes("how_many"));
  const back = readOptJson(optJson(parseOptions("train", []).options), "opt.json");
  equal(back.max_dataset_size, Infinity);
  equal(back.netG, "global");
  throws(() => readOptJson("{", "ckpt/opt.json"), /Cannot read ckpt\/opt.json as it is not JSON/);
});
