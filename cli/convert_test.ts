import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { bytesOf } from "../lib/io/dtype.ts";
import { loadCheckpoint, openCheckpoint } from "../lib/io/mod.ts";
import { PickleWriter } from "../lib/io/pickle_writer.ts";
import {
  fixture,
  goldenDir,
  inChild,
  ioModule,
  storedZip,
  tensorOf,
} from "../lib/io/_test_utils.ts";
import { main } from "./convert.ts";

async function run(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  await main(args, (line) => lines.push(line));
  return lines;
}

async function assertSameTensors(a: string, b: string): Promise<void> {
  const [x, y] = [await loadCheckpoint(a), await loadCheckpoint(b)];
  deepEqual([...x.keys()], [...y.keys()]);
  for (const [key, t] of x) {
    const u = y.get(key)!;
    deepEqual([u.dtype, u.shape], [t.dtype, t.shape], key);
    deepEqual(bytesOf(u.data), bytesOf(t.data), key);
  }
}

const golden = goldenDir();

Deno.test({
  name: "convert turns the golden G (legacy and zip) into safetensors and back, tensors identical",
  ignore: golden === undefined,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const sources = [
      `${golden}/tiny/legacy_net_G.pth`,
      `${golden}/tiny/checkpoints/golden/latest_net_G.pth`,
    ];
    for (const [i, source] of sources.entries()) {
      const lines = await run([source, `${dir}/G${i}.safetensors`]);
      ok(
        lines.at(-1)!.startsWith(`converted ${source} to ${dir}/G${i}.safetensors: 42 tensors in `),
      );
      await run([`${dir}/G${i}.safetensors`, `${dir}/G${i}.pth`]);
      await assertSameTensors(source, `${dir}/G${i}.safetensors`);
      await assertSameTensors(source, `${dir}/G${i}.pth`);
      using back = await openCheckpoint(`${dir}/G${i}.pth`);
      equal(back.format, "torch-zip");
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("convert --list prints every key with its dtype and shape", async () => {
  const lines = await run(["--list", fixture("views_legacy.pth")]);
  equal(lines[0], "net.base         float32   [4, 6]");
  ok(lines.includes("net.permuted     int64     [2, 4, 5, 3]"));
  ok(lines.includes("epoch            value     7"));
  equal(lines.at(-1), `${fixture("views_legacy.pth")}: torch-legacy, 12 tensors, 239 elements`);
  const safetensors = await run(["--list", fixture("official.safetensors")]);
  ok(safetensors.includes('__metadata__.format = "pt"'));
});

Deno.test("convert refuses to drop values unless --tensors_only, then names each one", async () => {
  const dir = await Deno.makeTempDir();
  await rejects(
    run([fixture("views_zip.pth"), `${dir}/v.safetensors`]),
    /holds values that are not tensors \(pass --tensors_only to drop them\): current value is epoch, lr, name, flags, nothing$/,
  );
  const lines = await run([fixture("views_zip.pth"), `${dir}/v.safetensors`, "--tensors_only"]);
  deepEqual(lines.slice(0, 5), [
    "dropped epoch",
    "dropped lr",
    "dropped name",
    "dropped flags",
    "dropped nothing",
  ]);
  await assertSameTensors(fixture("views_zip.pth"), `${dir}/v.safetensors`);
  await rejects(
    run([fixture("official.safetensors"), `${dir}/o.pth`]),
    /current value is __metadata__\.note, __metadata__\.format$/,
  );
  await run([fixture("official.safetensors"), `${dir}/o.safetensors`]);
  using kept = await openCheckpoint(`${dir}/o.safetensors`);
  equal(kept.metadata.format, "pt");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("convert fails clearly on bad arguments and bad files, writing nothing", async () => {
  const dir = await Deno.makeTempDir();
  await rejects(run([fixture("dtypes_zip.pth")]), /IN and OUT are both needed/);
  await rejects(run([fixture("dtypes_zip.pth"), `${dir}/x.onnx`]), /extension is not .pth/);
  await rejects(run(["--list"]), /--list takes one file/);
  await rejects(run(["--bogus", "a", "b"]), TypeError);
  await rejects(run([fixture("evil_system.pth"), `${dir}/x.safetensors`]), /posix\.system/);
  await rejects(run([fixture("complex.pth"), `${dir}/x.safetensors`]), /tensor 'c' .* unsupported/);
  deepEqual([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("convert exits with status 1 and a message on failure", async () => {
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./convert.ts", import.meta.url).pathname,
      fixture("module.pth"),
      "x.safetensors",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(result.code, 1);
  ok(new TextDecoder().decode(result.stderr).startsWith("TypeError: Cannot unpickle"));
});

const CONVERT = new URL("./convert.ts", import.meta.url).pathname;

Deno.test("convert --list prints shared, cyclic and long values within bounds", async () => {
  // In a child process: before each object was walked once, the shared tuples hung the listing.
  const dir = await Deno.makeTempDir();
  const result = await inChild(
    `import { PickleWriter } from "${ioModule("pickle_writer.ts")}";
    import { saveCheckpoint } from "${ioModule("save_checkpoint.ts")}";
    import { dictOf, selfList, sharedTuples, storedZip, tensorOf } from "${
      ioModule("_test_utils.ts")
    }";
    import { main } from "${new URL("./convert.ts", import.meta.url).href}";
    const pickle = dictOf([
      ["w", tensorOf("0", 4)],
      ["shared", sharedTuples(64, 100)],
      ["loop", selfList(300, (w) => w.int(7))],
      ["long", (w) => w.str("é".repeat(1_000_000))],
    ])(new PickleWriter()).stop();
    await Deno.writeFile("${dir}/x.pth", await storedZip([["a/data.pkl", pickle], ["a/data/0", new Uint8Array(16)]]));
    const w = { dtype: "float32", shape: [1], data: new Float32Array(1) } as const;
    await saveCheckpoint("${dir}/m.safetensors", new Map([["w", w]]), { metadata: { note: "n".repeat(1_000_000) } });
    for (const file of ["x.pth", "m.safetensors"]) await main(["--list", "${dir}/" + file]);`,
    20_000,
  );
  await Deno.remove(dir, { recursive: true });
  equal(result.timedOut, false, "timed out");
  equal(result.stderr, "");
  const lines = result.stdout.trim().split("\n");
  equal(lines[0], "w       float32   [4]");
  // 65 levels of tuples: the text opens all of them, then stops after 200 characters.
  ok(lines[1].startsWith(`shared  value     ${"[".repeat(65)}], []], [[], []]], `), lines[1]);
  ok(lines[1].endsWith("...") && lines[1].length === 18 + 203, lines[1]);
  deepEqual(lines.slice(2, 4), [
    "loop    value     [[...], 7]",
    `long    value     '${"é".repeat(199)}...`,
  ]);
  equal(lines[6], `__metadata__.note = "${"n".repeat(200)}..."`);
  ok(lines.every((line) => line.length < 300));
});

Deno.test("convert --list prints 200,000 keys", async () => {
  // One tensor tied to 200,000 keys, each a memo reference of a few bytes.
  const w = tensorOf("0", 4, 1)(new PickleWriter().emptyDict().mark().int(0));
  for (let i = 1; i < 200_000; i++) w.int(i).get(1);
  const pickle = w.setItems().stop();
  const zip = await storedZip([["a/data.pkl", pickle], ["a/data/0", new Uint8Array(16)]]);
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/many.pth`, zip);
  const lines = await run(["--list", `${dir}/many.pth`]);
  equal(lines.length, 200_001);
  deepEqual(lines.slice(-2), [
    "199999  float32   [4]",
    `${dir}/many.pth: torch-zip, 200000 tensors, 800000 elements`,
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("convert prints its usage only for usage errors, exiting 1 for every error", async () => {
  const convert = async (...args: string[]) => {
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CONVERT, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: result.code, stderr: new TextDecoder().decode(result.stderr) };
  };
  for (const args of [["--bogus", "a", "b"], ["only-one.pth"], ["--list"], ["a.pth", "b.onnx"]]) {
    const { code, stderr } = await convert(...args);
    equal(code, 1, args.join(" "));
    ok(stderr.includes("\nUsage: deno run -A cli/convert.ts IN OUT"), stderr);
  }
  const dir = await Deno.makeTempDir();
  for (
    const [args, message] of [
      [
        [fixture("module.pth"), `${dir}/x.safetensors`],
        /^TypeError: Cannot unpickle '.*module\.pth'/,
      ],
      [["--list", `${dir}/missing.pth`], /^NotFound: /],
      [[fixture("views_zip.pth"), `${dir}/v.safetensors`], /holds values that are not tensors/],
    ] as const
  ) {
    const { code, stderr } = await convert(...args);
    equal(code, 1, args.join(" "));
    ok(message.test(stderr), stderr);
    equal(stderr.split("\n").length, 2, stderr);
  }
  await Deno.remove(dir, { recursive: true });
});
