/**
 * Walks over unpickled values without recursion. A pickle's memo lets objects be shared (a DAG
 * with exponentially many paths) and hold themselves (cycles), so every walk here visits each
 * object once and keeps its own stack.
 *
 * @module
 */
import { PyDict, PyInstance } from "./py_objects.ts";

/** Whether `value` can hold other values: a list or tuple, a dict or an instance. */
function isContainer(
  value: unknown,
): value is unknown[] | Map<unknown, unknown> | PyInstance {
  return Array.isArray(value) || value instanceof Map || value instanceof PyInstance;
}

/**
 * What a container holds directly: a list's items, a dict's keys and values (and BUILD's
 * attributes), an instance's state.
 */
function childrenOf(value: unknown[] | Map<unknown, unknown> | PyInstance): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof PyInstance) return [value.state];
  const out = [...value.keys(), ...value.values()];
  if (value instanceof PyDict && value.hasAttributes) {
    for (const [key, item] of value.attributes) out.push(key, item);
  }
  return out;
}

interface Frame {
  node: object;
  children: unknown[];
  next: number;
  /** Deepest nesting found below it so far. */
  below: number;
}

/**
 * How deeply containers nest in `root`: 0 for a plain value, 1 for a list of plain values, and
 * so on; a cycle counts each container on it once. Stops as soon as the depth passes `limit`,
 * returning `limit + 1`. Each object is visited once and the walk keeps at most `limit` frames,
 * so any graph, however shared or deep, takes time linear in its size.
 *
 * @example Usage
 * ```ts
 * import { nestingDepth } from "./py_graph.ts";
 * import { equal } from "node:assert/strict";
 *
 * const cycle: unknown[] = [];
 * cycle.push(cycle, [1, [2]]);
 * equal(nestingDepth(cycle, 1000), 3);
 * equal(nestingDepth(cycle, 2), 3);
 * equal(nestingDepth(7, 1000), 0);
 * ```
 */
export function nestingDepth(root: unknown, limit: number): number {
  if (!isContainer(root)) return 0;
  if (limit < 1) return limit + 1;
  const finished = new Map<object, number>();
  const open = new Set<object>([root]);
  const frames: Frame[] = [{ node: root, children: childrenOf(root), next: 0, below: 0 }];
  while (true) {
    const frame = frames[frames.length - 1];
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++];
      if (!isContainer(child) || open.has(child)) continue;
      const known = finished.get(child);
      if (known !== undefined) {
        frame.below = Math.max(frame.below, known);
      } else if (frames.length >= limit) {
        return limit + 1;
      } else {
        open.add(child);
        frames.push({ node: child, children: childrenOf(child), next: 0, below: 0 });
      }
      continue;
    }
    frames.pop();
    open.delete(frame.node);
    const depth = frame.below + 1;
    if (depth > limit) return limit + 1;
    if (frames.length === 0) return depth;
    finished.set(frame.node, depth);
    const parent = frames[frames.length - 1];
    parent.below = Math.max(parent.below, depth);
  }
}
