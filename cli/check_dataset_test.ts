import { equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { writeStreetDataset } from "../lib/data/synthetic/make.ts";
import { main } from "./check_dataset.ts";

const city = new URL("../fixtures/data/city", import.meta.url).pathname;

async function quietly(run: () => Promise<number>): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    return { code: await run(), lines };
  } finally {
    console.log = log;
  }
}

Deno.test("check_dataset passes the fixture and prints its summary", async () => {
  const { code, lines } = await quietly(() => main(["--dataroot", city, "--label_nc", "35"]));
  equal(code, 0);
  equal(lines[0], "layout: aligned");
  equal(lines[1], "samples: 16");
  ok(lines.includes("problems: 0"));
  ok(lines.some((l) => l.startsWith("label values: 0 1 7 8")));
});

Deno.test("check_dataset lists every problem with its file and exits with 1", async () => {
  const root = await Deno.makeTempDir();
  await writeStreetDataset(root, { count: 3, width: 64, height: 32 });
  const photo = join(root, "train_img", "synth_000001_000019_leftImg8bit.png");
  await Deno.writeFile(photo, (await Deno.readFile(photo)).slice(0, 300));
  await Deno.remove(join(root, "train_inst", "synth_000002_000019_gtFine_instanceIds.png"));
  const { code, lines } = await quietly(() =>
    main(["--dataroot", root, "--label_nc", "20", "--resize_or_crop", "none", "--netG", "local"])
  );
  equal(code, 1);
  const problems = lines.slice(lines.findIndex((l) => l.startsWith("problems:")) + 1);
  ok(problems.some((l) => l.startsWith(`${photo}: it cannot be read`)));
  ok(
    problems.some((l) =>
      l.startsWith(join(root, "train_label", "synth_000002_000019_gtFine_labelIds.png")) &&
      l.includes("no partner")
    ),
  );
  ok(
    problems.some((l) =>
      l.startsWith(join(root, "train_label", "synth_000000_000019_gtFine_labelIds.png")) &&
      l.includes("outside 0..19")
    ),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("check_dataset rejects bad arguments", async () => {
  await rejects(() => main([]), { name: "TypeError", message: /--dataroot is required/ });
  await rejects(() => main(["--dataroot", city, "--resize_or_crop", "zoom"]), {
    name: "TypeError",
    message: /current value is zoom/,
  });
  await rejects(() => main(["--dataroot", city, "--label_nc", "-3"]), TypeError);
});
