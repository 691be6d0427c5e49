/**
 * Tape-based reverse-mode autograd. Ops record a {@linkcode Node} when grad mode is on and an
 * input requires a gradient; {@linkcode backward} walks the nodes reachable from a scalar in
 * reverse order, frees each node's saved buffers as soon as its backward ran, and accumulates into
 * the `.grad` of the leaves.
 *
 * @module
 */

import { runtime } from "../gpu/kernel.ts";
import { type Node, Tensor } from "./tensor.ts";
import src from "./autograd.wgsl" with { type: "text" };

const FILL = { name: "fill", code: src, entry: "fill" };
const ACCUMULATE = { name: "accumulate", code: src, entry: "accumulate" };

let enabled = true;
let tape: Node[] = [];

/** Whether ops record for autograd now. */
export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Runs `fn` with recording off: no tape, no saved activations.
 *
 * @example
 * ```ts ignore
 * const image = noGrad(() => generator.forward(input));
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const before = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = before;
  }
}

/**
 * Records an op's node for `output` if grad mode is on and an input requires a gradient; else
 * lets go of `saved` at once. Returns `output`.
 */
export function record(
  output: Tensor,
  name: string,
  inputs: readonly Tensor[],
  saved: readonly Tensor[],
  backward: (
    dy: Tensor,
    saved: readonly Tensor[],
    into: readonly (Tensor | null)[],
  ) => (Tensor | null)[],
): Tensor {
  if (!enabled || !inputs.some((t) => t.requiresGrad)) return output;
  const node: Node = {
    name,
    inputs,
    backward,
    saved: saved.map((t) => new Tensor(t.storage.retain(), t.shape, t.dtype).keep()),
    output,
  };
  output.requiresGrad = true;
  output.node = node;
  tape.push(node);
  return output;
}

/** A tensor of the given shape filled with `value`. */
export function full(shape: readonly number[], value: number): Tensor {
  const y = Tensor.empty(shape);
  const rt = runtime();
  rt.dispatch(FILL, [y.buffer], [y.size, f32(value)], [...rt.grid(Math.ceil(y.size / 256))]);
  return y;
}

/** Adds `x` into `into` in place (same size). */
export function accumulate(into: Tensor, x: Tensor): void {
  if (into.size !== x.size) {
    throw new RangeError(
      `Cannot accumulate a gradient of ${x.size} elements into one of ${into.size}`,
    );
  }
  const rt = runtime();
  rt.dispatch(ACCUMULATE, [x.buffer, into.buffer], [x.size], [
    ...rt.grid(Math.ceil(x.size / 256)),
  ]);
}

function f32(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0];
}

function addGrad(grads: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  if (g.size !== t.size) {
    throw new RangeError(
      `Cannot accumulate the gradient of a tensor of shape [${t.shape}]: current value is a gradient of shape [${g.shape}], expected ${t.size} elements`,
    );
  }
  const leaf = t.node === null;
  const current = leaf ? t.grad : grads.get(t);
  if (current === g) return; // the op added its gradient into it (see Node.backward's `into`)
  if (current) {
    accumulate(current, g);
    g.dispose();
    return;
  }
  const owned = g.shape.every((d, i) => d === t.shape[i]) ? g : g.reshape(t.shape);
  if (owned !== g) g.dispose();
  owned.keep();
  if (leaf) t.grad = owned;
  else grads.set(t, owned);
}

/**
 * Back-propagates from `loss` (a one-element tensor, or any tensor given `dy`), filling `.grad`
 * of every leaf that requires one. The nodes it walks are freed; walking them again throws.
 */
export function backward(loss: Tensor, dy?: Tensor): void {
  if (!loss.requiresGrad) {
    throw new TypeError(
      "Cannot run backward from a tensor that does not require a gradient: current value is requiresGrad false",
    );
  }
  if (!dy && loss.size !== 1) {
    throw new RangeError(
      `Cannot run backward from a tensor of shape [${loss.shape}] without a gradient: only one-element tensors have an implicit one`,
    );
  }
  if (loss.node === null) {
    addGrad(new Map(), loss, dy ? copyOf(dy) : full(loss.shape, 1));
    return;
  }
  const reachable = new Set<Node>();
  const stack: Node[] = [loss.node];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (reachable.has(node)) continue;
    if (node.released) {
      throw new TypeError(
        `Cannot run backward through '${node.name}' again as its saved tensors were freed by an earlier backward pass`,
      );
    }
    reachable.add(node);
    for (const t of node.inputs) if (t.node) stack.push(t.node);
  }
  const grads = new Map<Tensor, Tensor>();
  const before = enabled;
  enabled = false;
  try {
    grads.set(loss, dy ? copyOf(dy).keep() : full(loss.shape, 1).keep());
    for (let i = tape.length - 1; i >= 0; i--) {
      const node = tape[i];
      if (!reachable.has(node)) continue;
      const g = grads.get(node.output);
      grads.delete(node.output);
      if (g) {
        // Each input's gradient so far, which the op may add into in place; once per input, so
        // that an input the op takes twice gets its second gradient added separately.
        const seen = new Set<Tensor>();
        const into = node.inputs.map((t) => {
          if (!t.requiresGrad || seen.has(t)) return null;
          seen.add(t);
          return (t.node === null ? t.grad : grads.get(t)) ?? null;
        });
        const dxs = node.backward(g, node.saved, into);
        g.dispose();
        node.inputs.forEach((t, k) => {
          const dx = dxs[k];
          if (dx && t.requiresGrad) addGrad(grads, t, dx);
          else dx?.dispose();
        });
      }
      release(node);
    }
  } finally {
    enabled = before;
    tape = tape.filter((n) => !n.released);
    for (const g of grads.values()) g.dispose();
  }
}

function copyOf(t: Tensor): Tensor {
  const y = Tensor.empty(t.shape);
  runtime().copy(t.buffer, 0, y.buffer, 0, t.size * 4);
  return y;
}

function release(node: Node): void {
  node.released = true;
  for (const t of node.saved) t.dispose();
  node.saved.length = 0;
}

/** Frees every recorded node that no backward pass walked (for example after a forward-only pass with grad on). */
export function clearTape(): void {
  for (const node of tape) release(node);
  tape = [];
}

/** Number of nodes on the tape, for tests and leak checks. */
export function tapeLength(): number {
  return tape.length;
}
