import { deepEqual, throws } from "node:assert/strict";
import { toInstanceIds, toLabelIds, toRgb } from "./convert.ts";
import { decodePng } from "./png.ts";

const pil = new URL("../../fixtures/data/pil/", import.meta.url);
const raster = (
  channels: number,
  data: Uint8Array | Uint16Array,
  width = data.length / channels,
) => ({
  width,
  height: 1,
  channels,
  data,
});

Deno.test("toRgb converts as Pillow's convert('RGB')", async () => {
  deepEqual(toRgb(raster(1, new Uint8Array([3, 250]))), new Uint8Array([3, 3, 3, 250, 250, 250]));
  deepEqual(
    toRgb(raster(2, new Uint8Array([3, 9, 250, 0]))),
    new Uint8Array([3, 3, 3, 250, 250, 250]),
  );
  deepEqual(
    toRgb(raster(4, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))),
    new Uint8Array([1, 2, 3, 5, 6, 7]),
  );
  deepEqual(
    toRgb(raster(3, new Uint16Array([0x1234, 0xff00, 0x00ff]))),
    new Uint8Array([0x12, 0xff, 0x00]),
  );
  // 16-bit gray is Pillow's mode I: clipped to 0..255, not scaled.
  deepEqual(toRgb(raster(1, new Uint16Array([7, 300]))), new Uint8Array([7, 7, 7, 255, 255, 255]));
  const rgb = new Uint8Array([1, 2, 3]);
  deepEqual(toRgb(raster(3, rgb)) === rgb, true);
  const palette = decodePng(await Deno.readFile(new URL("palette.png", pil)));
  deepEqual(palette.channels, 1);
  deepEqual(toRgb(palette), decodePng(await Deno.readFile(new URL("palette_rgb.png", pil))).data);
});

Deno.test("toLabelIds takes 8-bit ids and palette indices, rejects colour and wide values", () => {
  deepEqual(toLabelIds(raster(1, new Uint8Array([0, 33])), "a.png"), new Uint8Array([0, 33]));
  deepEqual(toLabelIds(raster(1, new Uint16Array([0, 255])), "a.png"), new Uint8Array([0, 255]));
  throws(
    () => toLabelIds(raster(3, new Uint8Array([1, 2, 3])), "train_label/a.png"),
    {
      name: "TypeError",
      message: /train_label\/a\.png as a label map as it must have one channel: current value is 3/,
    },
  );
  throws(() => toLabelIds(raster(1, new Uint16Array([7, 300])), "a.png"), {
    name: "RangeError",
    message: /current value is 300 at \(1, 0\)/,
  });
});

Deno.test("toInstanceIds keeps 16-bit ids above 32767 positive", () => {
  deepEqual(
    toInstanceIds(raster(1, new Uint16Array([7, 26001, 33002, 65535])), "a.png"),
    new Int32Array([7, 26001, 33002, 65535]),
  );
  deepEqual(toInstanceIds(raster(1, new Uint8Array([7, 26])), "a.png"), new Int32Array([7, 26]));
  throws(() => toInstanceIds(raster(2, new Uint8Array([7, 26])), "a.png"), TypeError);
});
