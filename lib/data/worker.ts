/**
 * The loader's worker: loads the samples it is sent and posts them back, transferring their
 * arrays. Started by {@linkcode DataLoader}; not meant to be imported.
 *
 * @module
 */
import type { DatasetEntry } from "./layout.ts";
import { loadSample, type Sample, type SampleOptions } from "./sample.ts";

/** A request from the loader. */
export interface WorkerRequest {
  /** Request id, echoed in the reply. */
  id: number;
  /** The sample's files. */
  entry: DatasetEntry;
  /** How to load it. */
  options: SampleOptions;
}

/** A reply to the loader: the sample, or the error's class name and message. */
export interface WorkerReply {
  /** The request's id. */
  id: number;
  /** The sample, when loading succeeded. */
  sample?: Sample;
  /** The error, when it failed. */
  error?: { name: string; message: string };
}

/**
 * The buffers of a sample's arrays, each once, to transfer with the sample.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { sampleBuffers } from "./worker.ts";
 *
 * const label = new Uint8Array(4);
 * const sample = {
 *   width: 2, height: 2, label, labelChannels: 1, inst: new Int32Array(4),
 *   params: { cropX: 0, cropY: 0, flip: false }, entry: { key: "a", label: "a.png" },
 * };
 * equal(sampleBuffers(sample).length, 2);
 * ```
 *
 * @param sample The sample.
 * @returns Its distinct buffers.
 */
export function sampleBuffers(sample: Sample): ArrayBuffer[] {
  const arrays = [sample.label, sample.inst, sample.image, sample.feat];
  const buffers = new Set<ArrayBuffer>();
  for (const a of arrays) if (a) buffers.add(a.buffer as ArrayBuffer);
  return [...buffers];
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
}

if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  const scope = globalThis as unknown as WorkerScope;
  scope.onmessage = async (event) => {
    const { id, entry, options } = event.data;
    let reply: WorkerReply;
    try {
      const sample = await loadSample(entry, options);
      scope.postMessage({ id, sample }, sampleBuffers(sample));
      return;
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      reply = { id, error: { name, message } };
    }
    scope.postMessage(reply);
  };
}
