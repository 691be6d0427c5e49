/**
 * The results pages: `web/index.html` of a training run (images per epoch, newest first, and the
 * losses drawn as an SVG plot) and `index.html` of a test run.
 *
 * @module
 */

/** One image on a page: a caption and a path relative to the page. */
export interface PageImage {
  caption: string;
  src: string;
}

/** A row of images under a heading. */
export interface PageRow {
  heading: string;
  images: PageImage[];
}

/** One logged step's losses, as in `loss_log.jsonl`. */
export interface LossPoint {
  /** Images trained on so far. */
  step: number;
  /** The epoch of the step, when known. */
  epoch?: number;
  /** Each loss by name. */
  [loss: string]: number | undefined;
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Up to `most` round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, most: number): number[] {
  const raw = (hi - lo) / most;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

/**
 * The losses over training as an SVG: one panel per loss in `names` that was ever on (a loss that
 * is off, 0 throughout, is left out), each scaled to its own range so that no curve hides another.
 * The x axis counts epochs when the points carry theirs (`loss_log.jsonl` does), else steps.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { lossPlot } from "./html.ts";
 *
 * const svg = lossPlot([{ step: 1, G_GAN: 2, G_VGG: 0 }, { step: 2, G_GAN: 1, G_VGG: 0 }], [
 *   "G_GAN",
 *   "G_VGG",
 * ]);
 * equal(svg.match(/<polyline/g)?.length, 1);
 * ```
 */
export function lossPlot(points: readonly LossPoint[], names: readonly string[]): string {
  const used = names.filter((k) => points.some((p) => p[k] !== 0 && Number.isFinite(p[k])));
  const panelW = 360, panelH = 170, left = 52, right = 12, top = 22, bottom = 30;
  const columns = Math.min(2, Math.max(1, used.length));
  const rows = Math.ceil(used.length / columns);
  const width = panelW * columns, height = panelH * Math.max(1, rows);
  const plotW = panelW - left - right, plotH = panelH - top - bottom;
  const steps = points.map((p) => p.step);
  const x0 = Math.min(...steps), x1 = Math.max(...steps, x0 + 1);
  // Ticks at the first step of evenly spaced epochs, or round step counts.
  const epochStarts = new Map<number, number>();
  for (const p of points) {
    const e = p.epoch;
    if (e !== undefined && Number.isFinite(e) && !epochStarts.has(e)) epochStarts.set(e, p.step);
  }
  const epochs = [...epochStarts.keys()];
  const xTicks: { at: number; label: string }[] = epochs.length > 0
    ? ticks(Math.min(...epochs), Math.max(...epochs), 6).filter((e) => epochStarts.has(e))
      .map((e) => ({ at: epochStarts.get(e)!, label: String(e) }))
    : ticks(x0, x1, 5).map((s) => ({ at: s, label: String(s) }));
  const xTitle = epochs.length > 0 ? "epoch" : "step";
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" style="width:100%;max-width:${width}px" font-family="sans-serif" font-size="11">`,
  ];
  used.forEach((k, i) => {
    const ox = (i % columns) * panelW, oy = Math.floor(i / columns) * panelH;
    const color = COLORS[i % COLORS.length];
    const values = points.map((p) => p[k]).filter((v): v is number => Number.isFinite(v));
    // The loss's own range, padded by a twentieth so that the curve clears the frame.
    const lo = Math.min(...values), hi = Math.max(...values);
    const pad = hi > lo ? (hi - lo) / 20 : Math.max(Math.abs(hi) / 20, 1e-3);
    const y0 = lo - pad, y1 = hi + pad;
    const x = (s: number) => Number((ox + left + (s - x0) / (x1 - x0) * plotW).toFixed(1));
    const y = (v: number) => Number((oy + top + (1 - (v - y0) / (y1 - y0)) * plotH).toFixed(1));
    parts.push(
      `<text x="${ox + left}" y="${oy + 14}" font-weight="bold" fill="${color}">${
        escape(k)
      }</text>`,
      `<rect x="${ox + left}" y="${
        oy + top
      }" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    );
    for (const v of ticks(y0, y1, 5)) {
      parts.push(
        `<line x1="${ox + left}" x2="${ox + left + plotW}" y1="${y(v)}" y2="${
          y(v)
        }" stroke="#eee"/>`,
        `<text x="${ox + left - 4}" y="${y(v) + 4}" text-anchor="end">${v}</text>`,
      );
    }
    for (const t of xTicks) {
      parts.push(
        `<line x1="${x(t.at)}" x2="${x(t.at)}" y1="${oy + top + plotH}" y2="${
          oy + top + plotH + 4
        }" stroke="#888"/>`,
        `<text x="${x(t.at)}" y="${oy + top + plotH + 15}" text-anchor="middle">${t.label}</text>`,
      );
    }
    parts.push(
      `<text x="${ox + left + plotW}" y="${oy + panelH - 2}" text-anchor="end">${xTitle}</text>`,
    );
    const line = points.filter((p) => Number.isFinite(p[k]))
      .map((p) => `${x(p.step).toFixed(1)},${y(p[k]!).toFixed(1)}`).join(" ");
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${line}"><title>${k}</title></polyline>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** A page of image rows, with an optional block of HTML (a plot) at the top. */
export function imagePage(options: {
  title: string;
  rows: readonly PageRow[];
  width: number;
  top?: string;
  refresh?: number;
}): string {
  const { title, rows, width, top = "", refresh } = options;
  const body = rows.map((row) => {
    const cells = row.images.map((im) =>
      `<td style="text-align:center;vertical-align:top"><a href="${escape(im.src)}"><img src="${
        escape(im.src)
      }" style="width:100%;max-width:${width}px"></a><br>${escape(im.caption)}</td>`
    ).join("");
    return `<h3>${
      escape(row.heading)
    }</h3>\n<table style="width:100%;table-layout:fixed"><tr>${cells}</tr></table>`;
  }).join("\n");
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8">${
    refresh ? `<meta http-equiv="refresh" content="${refresh}">` : ""
  }<title>${escape(title)}</title></head>
<body>
<h1>${escape(title)}</h1>
${top}
${body}
</body></html>
`;
}
