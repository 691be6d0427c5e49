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
  step: number;
  [loss: string]: number;
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The losses over steps as an SVG line plot, one line per loss in `names`, with axes and a legend.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { lossPlot } from "./html.ts";
 *
 * const svg = lossPlot([{ step: 1, G_GAN: 2 }, { step: 2, G_GAN: 1 }], ["G_GAN"]);
 * ok(svg.startsWith("<svg") && svg.includes("<polyline"));
 * ```
 */
export function lossPlot(points: readonly LossPoint[], names: readonly string[]): string {
  const width = 720, height = 300, left = 56, right = 150, top = 12, bottom = 36;
  const plotW = width - left - right, plotH = height - top - bottom;
  const used = names.filter((k) => points.some((p) => p[k] !== 0 && Number.isFinite(p[k])));
  const steps = points.map((p) => p.step);
  const values = points.flatMap((p) => used.map((k) => p[k])).filter(Number.isFinite);
  const x0 = Math.min(...steps), x1 = Math.max(...steps, x0 + 1);
  const y0 = Math.min(0, ...values), y1 = Math.max(...values, y0 + 1e-6);
  const x = (s: number) => left + (s - x0) / (x1 - x0) * plotW;
  const y = (v: number) => top + (1 - (v - y0) / (y1 - y0)) * plotH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = y0 + (y1 - y0) * t / 4;
    parts.push(
      `<text x="${left - 4}" y="${y(v) + 4}" text-anchor="end">${v.toPrecision(3)}</text>`,
      `<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
    );
  }
  parts.push(
    `<text x="${left}" y="${height - 8}">step ${x0}</text>`,
    `<text x="${left + plotW}" y="${height - 8}" text-anchor="end">step ${x1}</text>`,
  );
  used.forEach((k, i) => {
    const color = COLORS[i % COLORS.length];
    const line = points.filter((p) => Number.isFinite(p[k]))
      .map((p) => `${x(p.step).toFixed(1)},${y(p[k]).toFixed(1)}`).join(" ");
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${line}"><title>${k}</title></polyline>`,
      `<rect x="${width - right + 12}" y="${
        top + 16 * i
      }" width="10" height="10" fill="${color}"/>`,
      `<text x="${width - right + 28}" y="${top + 16 * i + 9}">${escape(k)}</text>`,
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
      }" style="width:${width}px"></a><br>${escape(im.caption)}</td>`
    ).join("");
    return `<h3>${escape(row.heading)}</h3>\n<table><tr>${cells}</tr></table>`;
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
