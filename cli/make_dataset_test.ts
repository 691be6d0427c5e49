import { deepEqual, equal, rejects } from "node:assert/strict";
import { join } from "node:path";
import { listDataset } from "../lib/data/layout.ts";
import { main } from "./make_dataset.ts";

async function quietly<T>(run: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    return { value: await run(), lines };
  } finally {
    console.log = log;
  }
}

Deno.test("make_dataset writes the asked scenes, the same bytes for the same seed", async () => {
  const root = await Deno.makeTempDir();
  const args = ["--count", "2", "--width", "64", "--height", "32", "--seed", "5"];
  const { lines } = await quietly(() => main(["--out", join(root, "a"), ...args]));
  equal(lines.at(-1)?.startsWith(`wrote 2 64x32 scenes to ${join(root, "a")}`), true);
  await quietly(() => main(["--out", join(root, "b"), ...args]));
  const [a, b] = [await listDataset(join(root, "a")), await listDataset(join(root, "b"))];
  equal(a.length, 2);
  for (let i = 0; i < 2; i++) {
    for (const key of ["label", "inst", "image"] as const) {
      deepEqual(await Deno.readFile(a[i][key]!), await Deno.readFile(b[i][key]!));
    }
  }
  await quietly(() =>
    main(["--out", join(root, "c"), ...args, "--layout", "cityscapes", "--phase", "val"])
  );
  equal((await listDataset(join(root, "c"), { phase: "val" })).length, 2);
  await Deno.remove(root, { recursive: true });
});

Deno.test("make_dataset rejects missing and malformed arguments", async () => {
  await rejects(() => main(["--count", "2", "--width", "64", "--height", "32"]), {
    name: "TypeError",
    message: /--out is required/,
  });
  await rejects(
    () => main(["--out", "/tmp/x", "--count", "two", "--width", "64", "--height", "32"]),
    { name: "TypeError", message: /--count must be an integer: current value is two/ },
  );
  await rejects(() => main(["--out", "/tmp/x", "--colour"]), TypeError);
});
