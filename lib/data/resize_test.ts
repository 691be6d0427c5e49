import { deepEqual, throws } from "node:assert/strict";
import { toInstanceIds } from "./convert.ts";
import { decodePng } from "./png.ts";
import { type Plane, resizeBicubic, resizeNearest } from "./resize.ts";

const pil = new URL("../../fixtures/data/pil/", import.meta.url);
const city = new URL("../../fixtures/data/city/", import.meta.url);
const SIZES = [[128, 64], [100, 37], [301, 157], [256, 256]];

async function read(url: URL) {
  return decodePng(await Deno.readFile(url));
}

const photo = await read(new URL("train_img/synth_000000_000019_leftImg8bit.png", city)) as Plane<
  Uint8Array
>;
const label = await read(
  new URL("train_label/synth_000000_000019_gtFine_labelIds.png", city),
) as Plane<Uint8Array>;
const instRaster = await read(
  new URL("train_inst/synth_000000_000019_gtFine_instanceIds.png", city),
);
const inst = { ...instRaster, data: toInstanceIds(instRaster, "inst") };

Deno.test("resizeBicubic is bit-exact with Pillow's Image.resize(BICUBIC)", async () => {
  for (const [width, height] of SIZES) {
    const want = await read(new URL(`bicubic_${width}x${height}.png`, pil));
    deepEqual(resizeBicubic(photo, { width, height }).data, want.data, `${width}x${height}`);
  }
});

Deno.test("resizeNearest is bit-exact with Pillow's Image.resize(NEAREST), 8 and 32 bits", async () => {
  for (const [width, height] of SIZES) {
    const wantLabel = await read(new URL(`nearest_label_${width}x${height}.png`, pil));
    deepEqual(
      resizeNearest(label, { width, height }).data,
      wantLabel.data,
      `label ${width}x${height}`,
    );
    const wantInst = await read(new URL(`nearest_inst_${width}x${height}.png`, pil));
    deepEqual(
      resizeNearest(inst, { width, height }).data,
      Int32Array.from(wantInst.data),
      `inst ${width}x${height}`,
    );
  }
});

Deno.test("a window of a resize equals the same crop of the full resize", () => {
  const crop = <T extends Uint8Array | Int32Array>(
    p: Plane<T>,
    x: number,
    y: number,
    w: number,
    h: number,
  ) => {
    const out = new (p.data.constructor as { new (n: number): T })(w * h * p.channels);
    for (let r = 0; r < h; r++) {
      const src = ((y + r) * p.width + x) * p.channels;
      out.set(p.data.subarray(src, src + w * p.channels), r * w * p.channels);
    }
    return out;
  };
  for (const [width, height] of [...SIZES, [1024, 512]]) {
    const window = {
      x: Math.floor(width / 5),
      y: Math.floor(height / 3),
      width: Math.ceil(width / 2),
      height: Math.ceil(height / 2),
    };
    const full = resizeBicubic(photo, { width, height });
    const part = resizeBicubic(photo, { width, height, window });
    deepEqual(part.data, crop(full, window.x, window.y, window.width, window.height));
    const fullIds = resizeNearest(inst, { width, height });
    deepEqual(
      resizeNearest(inst, { width, height, window }).data,
      crop(fullIds, window.x, window.y, window.width, window.height),
    );
  }
});

Deno.test("resizing to the same size keeps the image", () => {
  deepEqual(resizeBicubic(photo, { width: 256, height: 128 }).data, photo.data);
  deepEqual(resizeNearest(inst, { width: 256, height: 128 }).data, inst.data);
});

Deno.test("resize rejects bad sizes and windows", () => {
  throws(() => resizeBicubic(photo, { width: 0, height: 5 }), {
    name: "RangeError",
    message: /current value is 0x5/,
  });
  throws(
    () =>
      resizeNearest(label, { width: 10, height: 10, window: { x: 5, y: 0, width: 6, height: 1 } }),
    RangeError,
  );
  throws(
    () => resizeNearest({ ...label, data: new Uint8Array(3) }, { width: 10, height: 10 }),
    RangeError,
  );
});
