/**
 * pix2pixhd: NVIDIA's pix2pixHD (high-resolution image synthesis with conditional GANs) in
 * TypeScript, running on WebGPU with hand-written WGSL for every forward pass, backward pass
 * and optimizer step.
 *
 * @module
 */
