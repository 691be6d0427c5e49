/**
 * GPU self-check: prints the adapter and its limits, then trains a tiny conv net (reflection pad,
 * conv, instance norm, ReLU, conv, tanh, MSE) for a few Adam steps and checks that the loss falls
 * and that one gradient matches a central difference computed on the GPU.
 *
 *   deno run -A cli/selfcheck.ts
 *
 * Without a WebGPU adapter it says so in one line, as every command does.
 *
 * @module
 */

import { initGpu, runtime } from "../lib/gpu/kernel.ts";
import { runCli } from "./run_cli.ts";
import { conv2d } from "../lib/ops/conv2d.ts";
import { relu, tanh } from "../lib/ops/elementwise.ts";
import { instanceNorm2d } from "../lib/ops/instance_norm2d.ts";
import { reflectionPad2d } from "../lib/ops/reflection_pad2d.ts";
import { mseLoss } from "../lib/ops/reduce.ts";
import { Adam } from "../lib/optim/adam.ts";
import { noGrad } from "../lib/tensor/autograd.ts";
import { Tensor, tidy } from "../lib/tensor/tensor.ts";
import { adapterLine } from "../lib/gpu/device.ts";

function seeded(n: number, seed: number, scale: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

function parameter(shape: number[], seed: number, scale: number): Tensor {
  const t = Tensor.from(seeded(shape.reduce((a, b) => a * b), seed, scale), shape);
  t.requiresGrad = true;
  return t;
}

const USAGE = `Usage: deno run -A cli/selfcheck.ts
Prints the WebGPU adapter and its limits, then trains a tiny conv net on it and checks that its
loss falls and that one gradient matches a central difference.`;

/** Runs the self-check; `--help` prints its usage. */
export async function main(args: readonly string[]): Promise<number> {
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    console.log(USAGE);
    return 0;
  }
  if (args.length > 0) {
    throw new TypeError(
      `Cannot run the self-check with arguments as it takes none: current value is ${
        args.join(" ")
      }`,
    );
  }
  const t0 = performance.now();
  const rt = await initGpu();
  const { limits } = rt.gpu;
  console.log(adapterLine(rt.gpu));
  console.log(
    `limits: storage binding ${limits.maxStorageBufferBindingSize} B, buffer ${limits.maxBufferSize} B, ` +
      `${limits.maxStorageBuffersPerShaderStage} storage buffers per stage, ` +
      `${limits.maxComputeWorkgroupStorageSize} B workgroup memory; ` +
      `shader-f16 ${rt.gpu.hasF16 ? "yes" : "no"}, timestamps ${
        rt.gpu.hasTimestamps ? "yes" : "no"
      }`,
  );
  const x = Tensor.from(seeded(2 * 3 * 32 * 32, 1, 1), [2, 3, 32, 32]);
  const target = Tensor.from(seeded(2 * 3 * 32 * 32, 2, 0.8), [2, 3, 32, 32]);
  const w1 = parameter([16, 3, 3, 3], 3, 0.2);
  const b1 = parameter([16], 4, 0.1);
  const w2 = parameter([3, 16, 3, 3], 5, 0.1);
  const b2 = parameter([3], 6, 0.1);
  const net = () =>
    tidy(() => {
      const h = relu(instanceNorm2d(conv2d(reflectionPad2d(x, 1), w1, b1, { padding: 0 })));
      return mseLoss(tanh(conv2d(h, w2, b2, { padding: 1 })), target);
    });
  const opt = new Adam([w1, b1, w2, b2], { lr: 0.01, betas: [0.5, 0.999] });
  const losses: number[] = [];
  for (let step = 0; step < 20; step++) {
    const loss = net();
    loss.backward();
    if (step === 0) await checkGradient(net, w2);
    losses.push((await loss.floats())[0]);
    loss.dispose();
    opt.step();
    opt.zeroGrad();
  }
  console.log(`loss: ${losses[0].toFixed(5)} at step 1, ${losses.at(-1)!.toFixed(5)} at step 20`);
  if (!(losses.at(-1)! < losses[0] * 0.9)) {
    throw new Error(`Self-check failed: the loss did not fall (${losses[0]} -> ${losses.at(-1)})`);
  }
  console.log(
    `ok: forward, backward and Adam on the GPU in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s`,
  );
  return 0;
}

/** Compares one backward gradient entry with a GPU central difference. */
async function checkGradient(net: () => Tensor, w: Tensor): Promise<void> {
  const analytic = (await w.grad!.floats())[0];
  const values = await w.floats();
  const h = 1e-2;
  const at = async (v: number) => {
    values[0] = v;
    runtime().write(w.buffer, values);
    const l = noGrad(net);
    const out = (await l.floats())[0];
    l.dispose();
    return out;
  };
  const keep = values[0];
  const numeric = ((await at(keep + h)) - (await at(keep - h))) / (2 * h);
  await at(keep);
  const err = Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(numeric));
  console.log(
    `gradient check: backward ${analytic.toExponential(4)}, central difference ${
      numeric.toExponential(4)
    }`,
  );
  if (err > 0.05) throw new Error(`Self-check failed: gradient mismatch (relative error ${err})`);
}

if (import.meta.main) await runCli(main);
