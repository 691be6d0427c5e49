import { deepEqual, throws } from "node:assert/strict";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { deflateSync } from "node:zlib";
import { encode } from "fast-png";
import { decodePng, encodePng, readPngHeader } from "./png.ts";

/** Matches an error of the class whose message contains the text. */
function like(Class: new (...args: never[]) => Error, text: string) {
  return (error: unknown): boolean => {
    if (error instanceof Class && error.message.includes(text)) return true;
    throw new Error(`expected ${Class.name} with ${JSON.stringify(text)}, got ${error}`);
  };
}

const shared = resolve(
  Deno.env.get("PIX2PIXHD_SHARED") ?? fileURLToPath(new URL("../../../shared", import.meta.url)),
);
const golden = pathToFileURL(join(shared, "golden", "tiny", "data") + "/");
const city = new URL("../../fixtures/data/city/", import.meta.url);

/** Builds a PNG from raw scanlines (each with its filter byte). CRCs are not checked on read. */
function makePng(
  header: { width: number; height: number; depth: number; colorType: number; interlace?: number },
  raw: Uint8Array,
  extra: { type: string; data: Uint8Array }[] = [],
): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    new DataView(out.buffer).setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    return out;
  };
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, header.width);
  view.setUint32(4, header.height);
  ihdr.set([header.depth, header.colorType, 0, 0, header.interlace ?? 0], 8);
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    ...extra.map((c) => chunk(c.type, c.data)),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

Deno.test("decodePng reads pix2pixHD's 8-bit label and 16-bit instance PNGs", async () => {
  const label = decodePng(
    await Deno.readFile(new URL("train_label/synth_000000_000019_gtFine_labelIds.png", golden)),
  );
  deepEqual([label.width, label.height, label.channels], [128, 64, 1]);
  deepEqual(label.data instanceof Uint8Array, true);
  deepEqual(Math.max(...label.data) <= 34, true);
  const inst = decodePng(
    await Deno.readFile(new URL("train_inst/synth_000000_000019_gtFine_instanceIds.png", golden)),
  );
  deepEqual(inst.data instanceof Uint16Array, true);
  deepEqual(Math.max(...inst.data) >= 26000, true);
});

Deno.test("decodePng keeps 16-bit ids above 32767 (bicycles) positive", async () => {
  const inst = decodePng(
    await Deno.readFile(new URL("train_inst/synth_000000_000019_gtFine_instanceIds.png", city)),
  );
  deepEqual(Math.max(...inst.data), 33002);
});

Deno.test("decodePng round-trips every colour type at 8 and 16 bits", () => {
  for (const channels of [1, 2, 3, 4]) {
    for (const Array of [Uint8Array, Uint16Array]) {
      const data = new Array(5 * 3 * channels).map((_, i) =>
        (i * 7919) % (Array === Uint8Array ? 256 : 65536)
      );
      const png = encodePng({ width: 5, height: 3, channels, data });
      const back = decodePng(png);
      deepEqual([back.width, back.height, back.channels], [5, 3, channels]);
      deepEqual(back.data, data);
    }
  }
});

Deno.test("decodePng reverses the Sub, Up, Average and Paeth filters", () => {
  const width = 4;
  const pixels = [[10, 200, 30, 250], [40, 5, 90, 100], [255, 0, 128, 64], [1, 2, 3, 4], [
    9,
    9,
    9,
    9,
  ]];
  const raw = new Uint8Array(pixels.length * (width + 1));
  const paeth = (a: number, b: number, c: number) => {
    const p = a + b - c;
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  };
  pixels.forEach((row, y) => {
    const filter = y; // 0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth
    raw[y * (width + 1)] = filter;
    row.forEach((v, x) => {
      const a = x > 0 ? row[x - 1] : 0;
      const b = y > 0 ? pixels[y - 1][x] : 0;
      const c = x > 0 && y > 0 ? pixels[y - 1][x - 1] : 0;
      const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      raw[y * (width + 1) + 1 + x] = (v - pred) & 255;
    });
  });
  const png = makePng({ width, height: pixels.length, depth: 8, colorType: 0 }, raw);
  deepEqual(decodePng(png).data, new Uint8Array(pixels.flat()));
});

Deno.test("decodePng reads interlaced images, palettes and 1/2/4-bit samples", () => {
  const data = new Uint8Array(7 * 5 * 3).map((_, i) => (i * 31) % 256);
  const interlaced = encode({ width: 7, height: 5, channels: 3, depth: 8, data }, {
    interlace: "Adam7",
  });
  deepEqual(readPngHeader(interlaced).interlaced, true);
  deepEqual(decodePng(interlaced).data, data);

  // 2-bit gray, one row [0, 1, 2, 3, 3]: Pillow scales gray to 0..255.
  const gray2 = makePng(
    { width: 5, height: 1, depth: 2, colorType: 0 },
    new Uint8Array([0, 0b00011011, 0b11000000]),
  );
  deepEqual(decodePng(gray2).data, new Uint8Array([0, 85, 170, 255, 255]));
  // 4-bit palette indices stay indices; the palette comes along.
  const plte = { type: "PLTE", data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
  const pal = makePng(
    { width: 3, height: 1, depth: 4, colorType: 3 },
    new Uint8Array([0, 0x10, 0x10]),
    [plte],
  );
  const decoded = decodePng(pal);
  deepEqual(decoded.data, new Uint8Array([1, 0, 1]));
  deepEqual(decoded.palette, new Uint8Array([1, 2, 3, 4, 5, 6]));
});

Deno.test("decodePng names the file for a damaged PNG", async () => {
  const bytes = await Deno.readFile(
    new URL("train_img/synth_000000_000019_leftImg8bit.png", city),
  );
  const name = "train_img/a.png";
  throws(
    () => decodePng(bytes.slice(0, bytes.length / 2), { name }),
    like(SyntaxError, `Cannot decode ${name} as`),
  );
  const damaged = bytes.slice();
  for (let i = 100; i < 400; i++) damaged[i] ^= 0x5a;
  throws(() => decodePng(damaged, { name }), like(SyntaxError, name));
  const notPng = bytes.slice();
  notPng[1] = 0;
  throws(() => decodePng(notPng, { name }), like(SyntaxError, "signature"));
  const badFilter = makePng(
    { width: 1, height: 1, depth: 8, colorType: 0 },
    new Uint8Array([7, 0]),
  );
  throws(
    () => decodePng(badFilter, { name }),
    like(SyntaxError, "filter 0..4: current value is 7"),
  );
  const badDepth = makePng({ width: 1, height: 1, depth: 4, colorType: 2 }, new Uint8Array([0, 0]));
  throws(() => decodePng(badDepth, { name }), like(SyntaxError, "allows depths"));
});

Deno.test("decodePng refuses image data that inflates far past its header's size", () => {
  // A 32×16 header over 32 MB of zeros (a 32 KB file): refused without inflating it all.
  const zeros = new Uint8Array(32 << 20);
  const expected = 16 * 33;
  for (const interlace of [0, 1]) {
    const bomb = makePng({ width: 32, height: 16, depth: 8, colorType: 0, interlace }, zeros);
    const limit = interlace ? "" : ` ${expected + (1 << 20)}`;
    throws(
      () => decodePng(bomb, { name: "bomb.png" }),
      like(
        SyntaxError,
        `Cannot decode bomb.png as its image data must inflate to at most${limit}`,
      ),
    );
  }
  // A little trailing data, as some encoders leave, still decodes.
  const trailing = makePng(
    { width: 32, height: 16, depth: 8, colorType: 0 },
    new Uint8Array(expected + 1000),
  );
  deepEqual(decodePng(trailing).data, new Uint8Array(32 * 16));
});

Deno.test("encodePng rejects a palette and a wrong sample count", () => {
  const palette = new Uint8Array(3);
  throws(
    () => encodePng({ width: 1, height: 1, channels: 1, data: new Uint8Array(1), palette }),
    TypeError,
  );
  throws(
    () => encodePng({ width: 2, height: 1, channels: 3, data: new Uint8Array(3) }),
    RangeError,
  );
});
