import { deepEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { listDataset, pairingKey, scanDataset } from "./layout.ts";
import { writeStreetDataset } from "./synthetic/make.ts";

const city = new URL("../../fixtures/data/city", import.meta.url).pathname;

async function tree(files: string[]): Promise<string> {
  const root = await Deno.makeTempDir();
  for (const file of files) {
    await Deno.mkdir(join(root, file, ".."), { recursive: true });
    await Deno.writeFile(join(root, file), new Uint8Array());
  }
  return root;
}

Deno.test("aligned layout: the fixture's 16 pairs, sorted and complete", async () => {
  const entries = await listDataset(city);
  deepEqual(entries.length, 16);
  deepEqual(entries[0], {
    key: "synth_000000_000019",
    label: join(city, "train_label/synth_000000_000019_gtFine_labelIds.png"),
    inst: join(city, "train_inst/synth_000000_000019_gtFine_instanceIds.png"),
    image: join(city, "train_img/synth_000000_000019_leftImg8bit.png"),
  });
  const noInstance = await listDataset(city, { instance: false, image: false });
  deepEqual(noInstance[3], { key: "synth_000003_000019", label: entries[3].label });
});

Deno.test("aligned layout pairs by name, not by sorted position, and recurses into folders", async () => {
  const root = await tree([
    "train_label/b/x.png",
    "train_label/a.png",
    "train_img/a.jpg",
    "train_img/b/x.jpg",
    "train_inst/a.png",
    "train_inst/b/x.png",
    "train_img/notes.txt",
  ]);
  const entries = await listDataset(root);
  deepEqual(entries.map((e) => [e.key, e.image?.slice(root.length)]), [["a", "/train_img/a.jpg"], [
    "b/x",
    "/train_img/b/x.jpg",
  ]]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("label_nc 0 reads <phase>_A and <phase>_B, feature maps pair with label names", async () => {
  const root = await tree(["test_A/p.png", "test_B/p.png", "test_feat/p.png"]);
  const entries = await listDataset(root, {
    phase: "test",
    labelNc: 0,
    instance: false,
    features: true,
  });
  deepEqual(entries.map((e) => [e.label, e.image, e.feat].map((p) => p!.slice(root.length))), [[
    "/test_A/p.png",
    "/test_B/p.png",
    "/test_feat/p.png",
  ]]);
  await Deno.remove(root, { recursive: true });
  deepEqual(
    pairingKey("aachen/aachen_000000_000019_gtFine_labelIds.png"),
    "aachen/aachen_000000_000019",
  );
  deepEqual(pairingKey("x_leftImg8bit.jpg"), "x");
});

Deno.test("Cityscapes tree: gtFine and leftImg8bit by split and city, found automatically", async () => {
  const root = await Deno.makeTempDir();
  await writeStreetDataset(root, {
    count: 3,
    width: 32,
    height: 16,
    layout: "cityscapes",
    phase: "val",
  });
  await Deno.writeFile(
    join(root, "gtFine/val/synth/synth_000000_000019_gtFine_color.png"),
    new Uint8Array(),
  );
  const scan = await scanDataset(root, { phase: "val" });
  deepEqual(scan.layout, "cityscapes");
  deepEqual(scan.problems, []);
  deepEqual(scan.entries.map((e) => e.key), [
    "synth/synth_000000_000019",
    "synth/synth_000001_000019",
    "synth/synth_000002_000019",
  ]);
  ok(scan.entries[0].inst!.endsWith("gtFine/val/synth/synth_000000_000019_gtFine_instanceIds.png"));
  ok(scan.entries[0].image!.endsWith("leftImg8bit/val/synth/synth_000000_000019_leftImg8bit.png"));
  await rejects(() => scanDataset(root, { labelNc: 0 }), TypeError);
  await rejects(() => scanDataset(root, { features: true }), TypeError);
  await Deno.remove(root, { recursive: true });
});

Deno.test("every unpaired, duplicate or undecodable file and missing folder is named", async () => {
  const root = await tree([
    "train_label/a.png",
    "train_label/b.png",
    "train_label/c.png",
    "train_label/c.jpg",
    "train_label/d.bmp",
    "train_img/a.png",
    "train_img/c.png",
    "train_img/e.png",
  ]);
  const scan = await scanDataset(root);
  const problems = scan.problems.map((p) => `${p.file.slice(root.length)}: ${p.message}`);
  deepEqual(problems, [
    `/train_img/e.png: it has no partner named "e" in ${root}/train_label`,
    `/train_inst: the inst folder is missing`,
    `/train_label/b.png: it has no partner named "b" in ${root}/train_img`,
    `/train_label/c.png: it has the same name as ${root}/train_label/c.jpg`,
    `/train_label/d.bmp: only PNG and JPEG files can be decoded`,
  ]);
  await rejects(() => listDataset(root), (e: unknown) => {
    ok(e instanceof Deno.errors.NotFound);
    for (
      const name of [
        "train_img/e.png",
        "train_label/b.png",
        "train_label/c.png",
        "train_label/d.bmp",
        "train_inst",
      ]
    ) {
      ok(e.message.includes(name), `${name} missing from ${e.message}`);
    }
    return true;
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("listDataset rejects an empty dataset and bad options", async () => {
  const root = await tree(["train_label/.keep", "train_img/.keep", "train_inst/.keep"]);
  await rejects(() => listDataset(root), { name: "NotFound", message: /no samples/ });
  await rejects(() => scanDataset(root, { labelNc: -1 }), RangeError);
  await rejects(() => scanDataset(root, { layout: "coco" as "aligned" }), TypeError);
  await Deno.remove(root, { recursive: true });
});
