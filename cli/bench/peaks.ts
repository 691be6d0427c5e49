/**
 * FP32 peaks of known GPUs, for the fraction of peak on conv lines: boost clock × 2 FLOPs per FMA
 * × FP32 lanes, from each vendor's datasheet (the SXM parts for the data-centre GPUs).
 *
 * @module
 */

/** TFLOP/s (FP32, no tensor cores) by the adapter's description. */
export const FP32_PEAK_TFLOPS: Readonly<Record<string, number>> = {
  "NVIDIA H200": 67,
  "NVIDIA H100 80GB HBM3": 67,
  "NVIDIA H100 PCIe": 51,
  "NVIDIA A100-SXM4-80GB": 19.5,
  "NVIDIA A100-SXM4-40GB": 19.5,
  "NVIDIA A100 80GB PCIe": 19.5,
  "NVIDIA L4": 30.3,
  "NVIDIA GeForce RTX 4090": 82.6,
  "NVIDIA GeForce RTX 3090": 35.6,
};

/** The adapter's FP32 peak in TFLOP/s, or null when it is not a known GPU. */
export function fp32Peak(adapter: string): number | null {
  return FP32_PEAK_TFLOPS[adapter] ?? null;
}
