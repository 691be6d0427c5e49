/**
 * The workgroup-tiled implicit-GEMM kernels of the conv family (conv_tiled.wgsl), for GPUs: the
 * register tiles and the straight-line multiply-add block they compile to.
 *
 * @module
 */

import type { Kernel } from "../gpu/kernel.ts";
import shared from "../../shaders/gather_epilogue.wgsl" with { type: "text" };
import src from "./conv_tiled.wgsl" with { type: "text" };

/**
 * The shape of a tiled kernel: results a thread keeps (TM × TN, 4 or 8 each), the stride,
 * whether the padding mirrors the input (1) or reads zeros (0), and whether the weight gradient
 * also takes the bias gradient (`bg` 1; 0 when absent).
 */
export interface TiledTile {
  readonly tm: 4 | 8;
  readonly tn: 4 | 8;
  readonly s: number;
  readonly rf: number;
  readonly bg?: number;
}

/**
 * `store_bias` of both weight-gradient kernels (filled in at `// @bias_grad` in conv_tiled.wgsl
 * and conv2d.wgsl, whose parameters `g` both have `cout` and `baccum`): with its binding, or none.
 */
export const BIAS_GRAD = {
  off: "fn store_bias(split: u32, co: u32, v: vec4f) {}",
  on: `@group(0) @binding(4) var<storage, read_write> bpart: array<f32>;
fn store_bias(split: u32, co: u32, v: vec4f) {
  for (var c = 0u; c < 4u; c++) {
    if (co + c >= g.cout) { return; }
    let at = split * g.cout + co + c;
    if (g.baccum != 0u) { bpart[at] = v[c] + bpart[at]; } else { bpart[at] = v[c]; }
  }
}`,
};

const sources = new Map<string, string>();

/** The multiply-add of one staged row kk: acc[(i·4 + c)·TN/4 + j] += a_i[c] · b_j. */
function macBlock(tm: number, tn: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < tm / 4; i++) lines.push(`let a${i} = As[kk * AW + ty + ${16 * i}u];`);
  for (let j = 0; j < tn / 4; j++) lines.push(`let b${j} = Bs[kk * BW + tx + ${16 * j}u];`);
  for (let i = 0; i < tm / 4; i++) {
    for (let c = 0; c < 4; c++) {
      for (let j = 0; j < tn / 4; j++) {
        const at = (i * 4 + c) * (tn / 4) + j;
        lines.push(`acc[${at}] = fma(vec4f(a${i}.${"xyzw"[c]}), b${j}, acc[${at}]);`);
      }
    }
  }
  return lines;
}

/** The stores of the results: vec4 column j (4 pixels or weights), rows (ty + 16·i)·4 + c. */
function storeBlock(entry: Entry, tm: number, tn: number): string[] {
  const lines: string[] = [];
  for (let j = 0; j < tn / 4; j++) {
    const col = `(tx + ${16 * j}u) * 4u`;
    if (entry === "tiled_correlate") {
      lines.push(`let qs${j} = q0 + ${col};`);
      lines.push(`let o${j} = out4(qs${j}, ph) + base;`);
      lines.push(`let ok${j} = (vec4u(qs${j}) + vec4u(0u, 1u, 2u, 3u)) < vec4u(ph.pixels);`);
    } else {
      lines.push(`let ks${j} = n0 + ${col};`);
      lines.push(`let ok${j} = (vec4u(ks${j}) + vec4u(0u, 1u, 2u, 3u)) < vec4u(g.k_total);`);
    }
    for (let i = 0; i < tm / 4; i++) {
      for (let c = 0; c < 4; c++) {
        const co = `m0 + (ty + ${16 * i}u) * 4u + ${c}u`;
        const at = (i * 4 + c) * (tn / 4) + j;
        lines.push(
          entry === "tiled_correlate"
            ? `put_y(${co}, o${j}, ok${j}, acc[${at}], split);`
            : `put_g(${co}, ks${j}, ok${j}, acc[${at}], base);`,
        );
      }
    }
  }
  return lines;
}

type Entry = "tiled_correlate" | "tiled_weight_grad";

/** `src` with the line `// @name` replaced by `lines`, at its indentation. */
function fill(src: string, name: string, lines: string[]): string {
  return src.replace(
    new RegExp(`^( *)// @${name}$`, "gm"),
    (_, indent: string) => lines.map((l) => indent + l).join("\n"),
  );
}

/** The kernel `entry` (tiled_correlate or tiled_weight_grad) of conv_tiled.wgsl for `tile`. */
export function tiledKernel(entry: Entry, t: TiledTile): Kernel {
  const key = `${t.tm},${t.tn},${t.s},${t.rf},${t.bg ?? 0}`;
  let code = sources.get(key);
  if (!code) {
    const consts = `const TM = ${t.tm}u;\nconst TN = ${t.tn}u;\nconst S = ${t.s}u;\n` +
      `const RF = ${t.rf}u;\nconst BK = ${TILED_BK}u;\n\n`;
    let body = fill(src, "mac", macBlock(t.tm, t.tn));
    body = fill(body, "bias_grad", (t.bg ? BIAS_GRAD.on : BIAS_GRAD.off).split("\n"));
    body = fill(body, "store_y", storeBlock("tiled_correlate", t.tm, t.tn));
    body = fill(body, "store_g", storeBlock("tiled_weight_grad", t.tm, t.tn));
    code = consts + shared + body;
    sources.set(key, code);
  }
  return { name: `conv2d.${entry}`, code, entry };
}

/** Rows (BM) and columns (BN) of the block a workgroup of `tile` computes. */
export function tiledBlock(t: TiledTile): { bm: number; bn: number } {
  return { bm: 16 * t.tm, bn: 16 * t.tn };
}

/** Values of the K dimension staged at a time. */
export const TILED_BK = 16;
