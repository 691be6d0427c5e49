import { deepEqual, ok, throws } from "node:assert/strict";
import { Rng } from "./rng.ts";
import {
  applyPlan,
  drawParams,
  planTransform,
  RESIZE_OR_CROP,
  type ResizeOrCrop,
  sizeMultiple,
  type TransformOptions,
} from "./transform.ts";

const CITY = { width: 2048, height: 1024 };
const NO_PARAMS = { cropX: 0, cropY: 0, flip: false };

function outSize(size: { width: number; height: number }, options: TransformOptions) {
  const plan = planTransform(size, options, drawParams(size, options, new Rng(1)));
  return [plan.crop.width, plan.crop.height];
}

Deno.test("every resize_or_crop mode gives pix2pixHD's sizes", () => {
  const o = { loadSize: 1024, fineSize: 512 };
  deepEqual(outSize(CITY, { resizeOrCrop: "resize_and_crop", ...o }), [512, 512]);
  deepEqual(outSize(CITY, { resizeOrCrop: "crop", ...o }), [512, 512]);
  deepEqual(outSize(CITY, { resizeOrCrop: "scale_width", ...o }), [1024, 512]);
  deepEqual(outSize(CITY, { resizeOrCrop: "scale_width_and_crop", ...o }), [512, 512]);
  deepEqual(outSize(CITY, { resizeOrCrop: "none", ...o }), [2048, 1024]);
  // 1024p on a smaller GPU: crops of the full-resolution image
  deepEqual(outSize(CITY, { resizeOrCrop: "crop", fineSize: 1024 }), [1024, 1024]);
  // scale_width keeps an image already loadSize wide, and truncates the height like int()
  deepEqual(
    planTransform({ width: 1024, height: 500 }, { resizeOrCrop: "scale_width" }, NO_PARAMS).resize,
    undefined,
  );
  deepEqual(outSize({ width: 300, height: 199 }, { resizeOrCrop: "scale_width", loadSize: 100 }), [
    100,
    66,
  ]);
  // crops happen only for images larger than fineSize
  deepEqual(outSize({ width: 400, height: 300 }, { resizeOrCrop: "crop", fineSize: 512 }), [
    400,
    300,
  ]);
});

Deno.test("none rounds each side to the nearest multiple, halves to even as Python's round", () => {
  const none = (width: number, height: number, multiple = 16) =>
    planTransform({ width, height }, { resizeOrCrop: "none", multiple }, NO_PARAMS);
  deepEqual(none(2048, 1024).resize, undefined);
  deepEqual(none(2056, 1000).resize, { width: 2048, height: 992 }); // 128.5 -> 128, 62.5 -> 62
  deepEqual(none(2072, 1016).resize, { width: 2080, height: 1024 }); // 129.5 -> 130, 63.5 -> 64
  deepEqual(none(100, 60, 32).resize, { width: 96, height: 64 });
  throws(() => none(7, 64), {
    name: "RangeError",
    message: /rounds to zero: current value is 7x64/,
  });
});

Deno.test("crop never reaches past the image when fineSize exceeds one side", () => {
  const plan = planTransform(
    { width: 1024, height: 512 },
    { resizeOrCrop: "crop", fineSize: 768 },
    {
      cropX: 100,
      cropY: 0,
      flip: false,
    },
  );
  deepEqual(plan.crop, { x: 100, y: 0, width: 768, height: 512 });
});

Deno.test("drawParams draws crops uniformly within range and flips about half the time", () => {
  const options = {
    resizeOrCrop: "scale_width_and_crop",
    loadSize: 1024,
    fineSize: 512,
    flip: true,
  } as const;
  const rng = new Rng(4);
  let flips = 0;
  const xs = new Set<number>();
  for (let i = 0; i < 400; i++) {
    const p = drawParams(CITY, options, rng);
    ok(p.cropX >= 0 && p.cropX <= 512 && p.cropY === 0);
    xs.add(p.cropX);
    if (p.flip) flips++;
  }
  ok(flips > 150 && flips < 250, `${flips} flips`);
  ok(xs.size > 200);
  deepEqual(drawParams(CITY, options, new Rng(9)), drawParams(CITY, options, new Rng(9)));
});

Deno.test("the flip is applied only when the options allow it", () => {
  const params = { cropX: 0, cropY: 0, flip: true };
  deepEqual(planTransform(CITY, { resizeOrCrop: "none" }, params).flip, false);
  deepEqual(planTransform(CITY, { resizeOrCrop: "none", flip: true }, params).flip, true);
});

Deno.test("applyPlan crops and flips every channel of a pixel together", () => {
  // 3x2 RGB with distinct values
  const data = new Uint8Array(18).map((_, i) => i);
  const out = applyPlan({ width: 3, height: 2, channels: 3, data }, {
    crop: { x: 1, y: 1, width: 2, height: 1 },
    flip: true,
  }, "bicubic");
  deepEqual(out.data, new Uint8Array([15, 16, 17, 12, 13, 14]));
  throws(
    () =>
      applyPlan({ width: 1, height: 1, channels: 1, data: new Int32Array(1) }, {
        resize: { width: 2, height: 2 },
        crop: { x: 0, y: 0, width: 2, height: 2 },
        flip: false,
      }, "bicubic"),
    TypeError,
  );
});

Deno.test("sizeMultiple and option checks", () => {
  deepEqual(sizeMultiple(), 16);
  deepEqual(sizeMultiple({ netG: "local", nDownsampleGlobal: 3, nLocalEnhancers: 1 }), 16);
  deepEqual(sizeMultiple({ netG: "local" }), 32);
  deepEqual(RESIZE_OR_CROP.length, 5);
  throws(
    () => planTransform(CITY, { resizeOrCrop: "zoom" as ResizeOrCrop }, NO_PARAMS),
    { name: "TypeError", message: /current value is zoom/ },
  );
  throws(() => planTransform(CITY, { resizeOrCrop: "crop", fineSize: 0 }, NO_PARAMS), RangeError);
});
