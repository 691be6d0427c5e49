import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { toRgb } from "./convert.ts";
import { decodeImage } from "./decode.ts";
import { listDataset } from "./layout.ts";
import { writeStreetDataset } from "./synthetic/make.ts";
import { decodePng, encodePng } from "./png.ts";
import { resizeBicubic, resizeNearest } from "./resize.ts";
import { loadSample } from "./sample.ts";
import { RESIZE_OR_CROP } from "./transform.ts";

const shared = resolve(
  Deno.env.get("PIX2PIXHD_SHARED") ?? fileURLToPath(new URL("../../../shared", import.meta.url)),
);
const tiny = join(shared, "golden", "tiny");
const city = new URL("../../fixtures/data/city", import.meta.url).pathname;

/** Reads a little-endian float32 or int32 .npy file (the golden tensors). */
async function readNpy(
  path: string,
): Promise<{ shape: number[]; data: Float32Array | Int32Array }> {
  const bytes = await Deno.readFile(path);
  const view = new DataView(bytes.buffer);
  const headerLength = view.getUint16(8, true);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
  const descr = /'descr': '([^']+)'/.exec(header)![1];
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1].split(",").filter((s) => s.trim()).map(
    Number,
  );
  const body = bytes.slice(10 + headerLength).buffer;
  if (descr === "<f4") return { shape, data: new Float32Array(body) };
  if (descr === "<i4") return { shape, data: new Int32Array(body) };
  throw new TypeError(
    `Cannot read the .npy file as its dtype is unsupported: current value is ${descr}`,
  );
}

Deno.test("golden: train pair 0 as pix2pixHD's loader gives it (resize_or_crop none)", async () => {
  const entries = await listDataset(join(tiny, "data"));
  equal(entries.length, 8);
  const sample = await loadSample(entries[0], {
    labelNc: 35,
    transform: { resizeOrCrop: "none", multiple: 16, flip: false },
    seed: 0,
  });
  deepEqual([sample.width, sample.height], [128, 64]);

  const image = await readNpy(join(tiny, "encoder", "E_input_image.npy"));
  deepEqual(image.shape, [1, 3, 64, 128]);
  const plane = 64 * 128;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      // torchvision: ToTensor (x / 255 in float32), then Normalize(0.5, 0.5)
      const x = Math.fround(Math.fround(Math.fround(sample.image![3 * i + c] / 255) - 0.5) / 0.5);
      if (x !== image.data[c * plane + i]) {
        throw new RangeError(`pixel ${i} channel ${c}: ${x} != ${image.data[c * plane + i]}`);
      }
    }
  }
  const inst = await readNpy(join(tiny, "encoder", "E_input_inst.npy"));
  deepEqual(inst.shape, [1, 1, 64, 128]);
  deepEqual(sample.inst, inst.data);
  ok(Math.max(...sample.inst!) >= 26000);
  ok(
    sample.label.every((v, i) =>
      v === Math.floor(sample.inst![i] >= 1000 ? sample.inst![i] / 1000 : sample.inst![i])
    ),
  );
});

Deno.test("one crop and flip decision is shared by label, instance and photo maps", async () => {
  const [entry] = await listDataset(city);
  const options = {
    labelNc: 35,
    transform: { resizeOrCrop: "crop", fineSize: 96, flip: true } as const,
  };
  const full = await loadSample(entry, {
    ...options,
    transform: { resizeOrCrop: "none" },
    seed: 0,
  });
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const s = await loadSample(entry, { ...options, seed });
    deepEqual([s.width, s.height], [96, 96]);
    const { cropX, cropY, flip } = s.params;
    for (let y = 0; y < 96; y++) {
      for (let x = 0; x < 96; x++) {
        const src = (cropY + y) * 256 + cropX + (flip ? 95 - x : x);
        const dst = y * 96 + x;
        if (s.label[dst] !== full.label[src] || s.inst![dst] !== full.inst![src]) {
          throw new RangeError(`seed ${seed}: maps disagree at (${x}, ${y})`);
        }
        for (let c = 0; c < 3; c++) equal(s.image![3 * dst + c], full.image![3 * src + c]);
      }
    }
    deepEqual(s, await loadSample(entry, { ...options, seed }), "same seed, same sample");
  }
});

Deno.test("scale_width resizes the photo bicubically and the maps by nearest neighbour", async () => {
  const [entry] = await listDataset(city);
  const s = await loadSample(entry, {
    labelNc: 35,
    transform: { resizeOrCrop: "scale_width", loadSize: 100 },
    seed: 0,
  });
  deepEqual([s.width, s.height], [100, 50]);
  const photo = decodePng(await Deno.readFile(entry.image!)) as {
    width: number;
    height: number;
    channels: number;
    data: Uint8Array;
  };
  deepEqual(s.image, resizeBicubic(photo, { width: 100, height: 50 }).data);
  const labels = decodePng(await Deno.readFile(entry.label)) as typeof photo;
  deepEqual(s.label, resizeNearest(labels, { width: 100, height: 50 }).data);
});

Deno.test("label_nc 0 reads an RGB label image bicubically, feature maps by nearest neighbour", async () => {
  const root = await Deno.makeTempDir();
  const rgb = new Uint8Array(8 * 4 * 3).map((_, i) => (i * 37) % 256);
  await Deno.mkdir(join(root, "train_A"));
  await Deno.mkdir(join(root, "train_B"));
  await Deno.mkdir(join(root, "train_feat"));
  for (const dir of ["train_A", "train_B", "train_feat"]) {
    await Deno.writeFile(
      join(root, dir, "p.png"),
      encodePng({ width: 8, height: 4, channels: 3, data: rgb }),
    );
  }
  const [entry] = await listDataset(root, { labelNc: 0, instance: false, features: true });
  const s = await loadSample(entry, {
    labelNc: 0,
    transform: { resizeOrCrop: "scale_width", loadSize: 4 },
    seed: 0,
  });
  equal(s.labelChannels, 3);
  const bicubic =
    resizeBicubic({ width: 8, height: 4, channels: 3, data: rgb }, { width: 4, height: 2 }).data;
  deepEqual(s.label, bicubic);
  deepEqual(s.image, bicubic);
  const expected = resizeNearest({ width: 8, height: 4, channels: 3, data: rgb }, {
    width: 4,
    height: 2,
  });
  deepEqual(s.feat, expected.data);
  deepEqual(s.feat!.subarray(0, 3), rgb.subarray(3 * 9, 3 * 9 + 3)); // source pixel (1, 1)
  await Deno.remove(root, { recursive: true });
});

Deno.test("a corrupt PNG or mismatched sizes raise an error naming the file", async () => {
  const root = await Deno.makeTempDir();
  await writeStreetDataset(root, { count: 2, width: 32, height: 16 });
  const [a, b] = await listDataset(root);
  const bytes = await Deno.readFile(a.image!);
  await Deno.writeFile(a.image!, bytes.slice(0, bytes.length - 40));
  const options = { labelNc: 35, transform: { resizeOrCrop: "none" } as const, seed: 0 };
  await rejects(
    () => loadSample(a, options),
    (e: unknown) => e instanceof SyntaxError && e.message.includes(a.image!),
  );
  await Deno.writeFile(
    b.inst!,
    encodePng({ width: 16, height: 16, channels: 1, data: new Uint16Array(256) }),
  );
  await rejects(
    () => loadSample(b, options),
    (e: unknown) => e instanceof RangeError && e.message.includes(b.inst!),
  );
  await Deno.remove(b.label);
  await rejects(
    () => loadSample(b, options),
    (e: unknown) => e instanceof Deno.errors.NotFound && e.message.includes(b.label),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("in every resize_or_crop mode the label and instance maps stay aligned", async () => {
  const entries = await listDataset(city);
  for (const resizeOrCrop of RESIZE_OR_CROP) {
    for (const [i, entry] of entries.slice(0, 4).entries()) {
      const s = await loadSample(entry, {
        labelNc: 35,
        transform: { resizeOrCrop, loadSize: 160, fineSize: 64, multiple: 32, flip: true },
        seed: i,
      });
      equal(s.label.length, s.width * s.height);
      equal(s.image!.length, 3 * s.width * s.height);
      for (let p = 0; p < s.label.length; p++) {
        const id = s.inst![p] >= 1000 ? Math.floor(s.inst![p] / 1000) : s.inst![p];
        if (id !== s.label[p]) throw new RangeError(`${resizeOrCrop}: maps disagree at ${p}`);
      }
    }
  }
});

Deno.test("a Cityscapes tree with JPEG photos loads, instance ids above 32767 stay positive", async () => {
  const root = await Deno.makeTempDir();
  await writeStreetDataset(root, {
    count: 1,
    width: 512,
    height: 256,
    seed: 1,
    layout: "cityscapes",
    photoFormat: "jpg",
  });
  const [entry] = await listDataset(root);
  ok(entry.image!.endsWith("leftImg8bit/train/synth/synth_000000_000019_leftImg8bit.jpg"));
  const s = await loadSample(entry, {
    labelNc: 35,
    transform: { resizeOrCrop: "scale_width", loadSize: 256 },
    seed: 0,
  });
  deepEqual([s.width, s.height], [256, 128]);
  const photo = toRgb(decodeImage(await Deno.readFile(entry.image!), entry.image!));
  deepEqual(
    s.image,
    resizeBicubic({ width: 512, height: 256, channels: 3, data: photo }, {
      width: 256,
      height: 128,
    })
      .data,
  );
  let bicycles = 0;
  for (let p = 0; p < s.label.length; p++) {
    const id = s.inst![p] >= 1000 ? Math.floor(s.inst![p] / 1000) : s.inst![p];
    if (id !== s.label[p]) throw new RangeError(`maps disagree at ${p}`);
    if (s.inst![p] >= 33000) bicycles++;
  }
  ok(bicycles > 0, "no bicycle pixels (ids 33000 and up)");
  await Deno.remove(root, { recursive: true });
});
