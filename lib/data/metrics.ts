/**
 * How close a synthesized photo is to the real one: PSNR, SSIM, and the per-class mean colour
 * error (for each label class, the distance between the mean colour of its pixels in the two
 * photos). Photos are RGB bytes (H, W, 3) of the same size; label ids are (H, W).
 *
 * @module
 */

function checkPair(a: Uint8Array, b: Uint8Array, width: number, height: number): void {
  const n = 3 * width * height;
  if (a.length !== n || b.length !== n) {
    throw new RangeError(
      `Cannot compare the photos as a ${width}×${height} RGB image has ${n} bytes: current value is ${a.length} and ${b.length}`,
    );
  }
}

/**
 * Peak signal-to-noise ratio in dB over all three channels, 10·log10(255² / MSE); Infinity for
 * identical photos.
 */
export function psnr(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  checkPair(a, b, width, height);
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    se += d * d;
  }
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** Luma (ITU-R BT.601, as PIL's "L") of RGB bytes, as floats in 0..255. */
function luma(rgb: Uint8Array, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = 0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2];
  }
  return y;
}

/** The side of SSIM's window: photos smaller than it in width or height have no SSIM. */
export const SSIM_WINDOW = 11;
const SIGMA = 1.5;

function gaussian(): Float64Array {
  const g = new Float64Array(SSIM_WINDOW);
  let sum = 0;
  for (let i = 0; i < SSIM_WINDOW; i++) {
    const d = i - (SSIM_WINDOW - 1) / 2;
    g[i] = Math.exp(-(d * d) / (2 * SIGMA * SIGMA));
    sum += g[i];
  }
  return g.map((v) => v / sum);
}

/** The Gaussian-weighted mean of `x` over each 11×11 window inside the image ('valid'). */
function blur(x: Float64Array, width: number, height: number, g: Float64Array): Float64Array {
  const ow = width - SSIM_WINDOW + 1;
  const oh = height - SSIM_WINDOW + 1;
  const rows = new Float64Array(height * ow);
  for (let y = 0; y < height; y++) {
    for (let x0 = 0; x0 < ow; x0++) {
      let s = 0;
      for (let k = 0; k < SSIM_WINDOW; k++) s += g[k] * x[y * width + x0 + k];
      rows[y * ow + x0] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y0 = 0; y0 < oh; y0++) {
    for (let x0 = 0; x0 < ow; x0++) {
      let s = 0;
      for (let k = 0; k < SSIM_WINDOW; k++) s += g[k] * rows[(y0 + k) * ow + x0];
      out[y0 * ow + x0] = s;
    }
  }
  return out;
}

/**
 * Mean structural similarity (Wang et al. 2004) of the two photos' luma: an 11×11 Gaussian window
 * of σ 1.5 over every position where it fits, C1 = (0.01·255)², C2 = (0.03·255)². 1 for identical
 * photos. Photos smaller than the window in either side are refused.
 */
export function ssim(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  checkPair(a, b, width, height);
  if (width < SSIM_WINDOW || height < SSIM_WINDOW) {
    throw new RangeError(
      `Cannot compute SSIM as its ${SSIM_WINDOW}×${SSIM_WINDOW} window needs a photo at least that large: current value is ${width}×${height}`,
    );
  }
  const n = width * height;
  const x = luma(a, n);
  const y = luma(b, n);
  const g = gaussian();
  const xx = x.map((v) => v * v);
  const yy = y.map((v) => v * v);
  const xy = x.map((v, i) => v * y[i]);
  const [mx, my, sxx, syy, sxy] = [x, y, xx, yy, xy].map((t) => blur(t, width, height, g));
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  for (let i = 0; i < mx.length; i++) {
    const vx = sxx[i] - mx[i] * mx[i];
    const vy = syy[i] - my[i] * my[i];
    const cov = sxy[i] - mx[i] * my[i];
    total += ((2 * mx[i] * my[i] + c1) * (2 * cov + c2)) /
      ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
  }
  return total / mx.length;
}

/** Per label class: its pixel count and the summed RGB of its pixels in each photo. */
export interface ClassColours {
  /** Pixels of the class. */
  pixels: number;
  /** Σ RGB over its pixels in the synthesized photo. */
  fake: [number, number, number];
  /** Σ RGB over its pixels in the real photo. */
  real: [number, number, number];
}

/** Accumulates each class's colour sums into `into` (by label id), for one pair of photos. */
export function addClassColours(
  into: Map<number, ClassColours>,
  labels: Uint8Array,
  fake: Uint8Array,
  real: Uint8Array,
  width: number,
  height: number,
): Map<number, ClassColours> {
  checkPair(fake, real, width, height);
  if (labels.length !== width * height) {
    throw new RangeError(
      `Cannot sum colours per class as a ${width}×${height} label map has ${
        width * height
      } ids: current value is ${labels.length}`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    let c = into.get(labels[i]);
    if (!c) into.set(labels[i], c = { pixels: 0, fake: [0, 0, 0], real: [0, 0, 0] });
    c.pixels++;
    for (let k = 0; k < 3; k++) {
      c.fake[k] += fake[3 * i + k];
      c.real[k] += real[3 * i + k];
    }
  }
  return into;
}

/** The distance (0 to 441.7) between a class's mean colours in the two photos. */
export function classColourError(c: ClassColours): number {
  let s = 0;
  for (let k = 0; k < 3; k++) s += ((c.fake[k] - c.real[k]) / c.pixels) ** 2;
  return Math.sqrt(s);
}

/** The mean of {@linkcode classColourError} over the classes present (each class once). */
export function meanClassColourError(classes: Map<number, ClassColours>): number {
  if (classes.size === 0) return NaN;
  let s = 0;
  for (const c of classes.values()) s += classColourError(c);
  return s / classes.size;
}
