import { deepEqual, ok, throws } from "node:assert/strict";
import { decodeImage } from "./decode.ts";
import { decodeJpeg } from "./jpeg.ts";
import { decodePng } from "./png.ts";

const pil = new URL("../../fixtures/data/pil/", import.meta.url);

// jpeg-js upsamples 4:2:0 chroma by repetition where libjpeg interpolates ("fancy upsampling"),
// so colour files differ from Pillow by a few levels near colour edges; gray files by at most 1.
Deno.test("decodeJpeg is close to Pillow's libjpeg decoding", async () => {
  const cases = [
    { jpg: "photo.jpg", ref: "photo_jpg_pil.png", channels: 3, meanLimit: 4, maxLimit: 64 },
    { jpg: "gray.jpg", ref: "gray_jpg_pil.png", channels: 1, meanLimit: 0.1, maxLimit: 1 },
  ];
  for (const { jpg, ref, channels, meanLimit, maxLimit } of cases) {
    const got = decodeJpeg(await Deno.readFile(new URL(jpg, pil)));
    const want = decodePng(await Deno.readFile(new URL(ref, pil)));
    deepEqual([got.width, got.height, got.channels], [256, 128, channels]);
    let sum = 0;
    let max = 0;
    for (let i = 0; i < got.data.length; i++) {
      const d = Math.abs(got.data[i] - want.data[i]);
      sum += d;
      max = Math.max(max, d);
    }
    ok(sum / got.data.length < meanLimit, `mean difference ${sum / got.data.length}`);
    ok(max <= maxLimit, `max difference ${max}`);
  }
});

Deno.test("decodeImage picks the decoder by content and names a damaged JPEG", async () => {
  const bytes = await Deno.readFile(new URL("photo.jpg", pil));
  deepEqual(decodeImage(bytes, "a.jpg").channels, 3);
  const cut = bytes.slice(0, 600);
  throws(
    () => decodeImage(cut, "train_img/a.jpg"),
    (e: unknown) =>
      e instanceof SyntaxError && e.message.startsWith("Cannot decode train_img/a.jpg as"),
  );
  throws(() => decodeJpeg(new Uint8Array([1, 2, 3, 4])), SyntaxError);
});
