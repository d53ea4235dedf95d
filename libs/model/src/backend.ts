/**
 * Backend selection: native TensorFlow (tfjs-node) when it loads, else wasm with the kernel
 * fixes, else the pure-JS cpu backend. The same model code runs on all three; the chosen name
 * goes into the run record because results are only repeatable on one backend.
 */
import * as tf from "@tensorflow/tfjs";
import { registerKernelFixes } from "./kernels.ts";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export const BACKEND_PREFERENCE: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

export interface BackendSelection {
  backend: BackendName;
  /** Why each earlier preference was skipped, for logs and the run record. */
  skipped: { backend: BackendName; reason: string }[];
}

async function tryTensorflow(): Promise<void> {
  // tfjs-node is an optional dependency that cannot install on machines without access to its
  // binaries host; a computed specifier keeps TypeScript and bundlers from requiring it.
  const specifier = ["@tensorflow", "tfjs-node"].join("/");
  await import(/* @vite-ignore */ specifier);
}

async function activate(name: BackendName): Promise<void> {
  if (name === "tensorflow") await tryTensorflow();
  if (name === "wasm") {
    await import("@tensorflow/tfjs-backend-wasm");
    registerKernelFixes("wasm");
  }
  if (name === "cpu") registerKernelFixes("cpu");
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed`);
  await tf.ready();
}

/**
 * Activates the first backend of `preference` that works and returns its name. Calling it again
 * with the active backend first is cheap.
 */
export async function selectBackend(preference: readonly BackendName[] = BACKEND_PREFERENCE): Promise<BackendSelection> {
  const skipped: BackendSelection["skipped"] = [];
  for (const name of preference) {
    try {
      await activate(name);
      return { backend: name, skipped };
    } catch (err) {
      skipped.push({ backend: name, reason: err instanceof Error ? err.message.split("\n")[0]! : String(err) });
    }
  }
  throw new Error(`no TensorFlow.js backend could be activated: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join("; ")}`);
}

/** The active backend's name, as recorded in runs. */
export function activeBackend(): string {
  return tf.getBackend();
}
