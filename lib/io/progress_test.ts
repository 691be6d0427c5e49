import { deepEqual, equal } from "node:assert/strict";
import { fmtTime, ProgressLine } from "./progress.ts";

Deno.test("fmtTime gives m:ss, h:mm:ss, and ? when unknown", () => {
  deepEqual([fmtTime(5), fmtTime(65), fmtTime(3725), fmtTime(Infinity)], [
    "0:05",
    "1:05",
    "1:02:05",
    "?",
  ]);
});

Deno.test("a progress line gives done of total, the rate and the time left", () => {
  let t = 0;
  const out: string[] = [];
  const bar = new ProgressLine({
    label: "test",
    total: 10,
    enabled: true,
    write: (s) => void out.push(s),
    now: () => t,
  });
  t = 2000;
  equal(bar.text(4), "test [########------------] 4/10 images, 0.50 s/image, ETA 0:03");
  bar.update(4);
  t = 2100;
  bar.update(5); // within 200 ms of the last redraw: skipped
  t = 2200;
  bar.update(10); // the last piece is always drawn
  bar.end();
  equal(out.length, 3);
  equal(out[0], "\rtest [########------------] 4/10 images, 0.50 s/image, ETA 0:03\x1b[K");
  equal(out[2], "\r\x1b[K");
});

Deno.test("a download's line is in MB, with or without its length", () => {
  const clock = { t: 0 };
  const known = new ProgressLine({
    label: "VGG19 download",
    total: 548_000_000,
    unit: "bytes",
    enabled: false,
    now: () => clock.t,
  });
  const unknown = new ProgressLine({
    label: "VGG19 download",
    total: null,
    unit: "bytes",
    enabled: false,
    now: () => clock.t,
  });
  clock.t = 10_000;
  equal(
    known.text(137_000_000),
    "VGG19 download [#####---------------] 137.0/548.0 MB, 13.7 MB/s, ETA 0:30",
  );
  equal(unknown.text(137_000_000), "VGG19 download 137.0 MB, 13.7 MB/s");
});

Deno.test("a line not enabled writes nothing", () => {
  const out: string[] = [];
  const bar = new ProgressLine({
    label: "x",
    total: 2,
    enabled: false,
    write: (s) => void out.push(s),
  });
  bar.update(1);
  bar.end();
  equal(out.length, 0);
});
