import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { bytesOf } from "../lib/io/dtype.ts";
import { loadCheckpoint, openCheckpoint } from "../lib/io/mod.ts";
import { fixture, goldenDir } from "../lib/io/_test_utils.ts";
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

Deno.test("convert refuses to drop values unless --tensors-only, then names each one", async () => {
  const dir = await Deno.makeTempDir();
  await rejects(
    run([fixture("views_zip.pth"), `${dir}/v.safetensors`]),
    /holds values that are not tensors \(pass --tensors-only to drop them\): current value is epoch, lr, name, flags, nothing$/,
  );
  const lines = await run([fixture("views_zip.pth"), `${dir}/v.safetensors`, "--tensors-only"]);
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
