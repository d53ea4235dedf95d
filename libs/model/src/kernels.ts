/**
 * Kernel fixes that make TF.js train an embedding language model at a useful speed without
 * tfjs-node (see shared/ENVIRONMENT.md, measured on these machines):
 *
 * - `UnsortedSegmentSum` is the gradient of `gather` (the embedding lookup). The wasm backend has
 *   no such kernel, so an Embedding cannot train there at all, and the cpu backend's kernel is
 *   pathologically slow (it builds a one-hot mask per segment). A plain typed-array loop is
 *   registered for both.
 * - wasm `BatchMatMul` / `_FusedMatMul` with `transposeA`/`transposeB` (what backprop calls) are
 *   ~10× slower than transposing first and calling the plain kernel; the wrapper does that
 *   (bit-identical without a fused bias; with one, equal up to the order the bias is added in).
 * - wasm `BatchMatMul` with a batch dimension > 1 (attention) also takes the slow generic loop; only
 *   batch 1 goes to XNNPACK. The wrapper multiplies batch by batch through the fast path (3–5×
 *   faster for attention-sized operands; equal up to float32 summation order).
 * - wasm `Slice`, and `SplitV`/`Unpack` built on it, copy the *whole* input out of the wasm heap
 *   for every slice (readSync), so unstacking a [32,200,384] tensor into 200 steps copies 2 GB.
 *   Replacements read the heap through views (bit-identical: they only move bytes).
 *
 * Kernels live in TF.js's global registry, so these functions are idempotent and reversible
 * (`restoreReferenceKernels`, used by tests to compare against the stock kernels).
 */
import * as tf from "@tensorflow/tfjs";
import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs";

type DataId = TensorInfo["dataId"];
type Values = Float32Array | Int32Array | Uint8Array;

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Values;
  disposeData(dataId: DataId): boolean;
}

interface CpuBackendLike {
  readSync(dataId: DataId): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values: Values): TensorInfo;
  disposeData(dataId: DataId): boolean;
}

type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

/** Backends whose kernels this module patches. */
export type PatchedBackend = "wasm" | "cpu";

const references = new Map<string, KernelConfig | null>();

function key(kernelName: string, backendName: string): string {
  return `${backendName}/${kernelName}`;
}

function replaceKernel(config: KernelConfig): void {
  const k = key(config.kernelName, config.backendName);
  if (!references.has(k)) references.set(k, tf.getKernel(config.kernelName, config.backendName) ?? null);
  if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/**
 * Sums rows of `x` into `numSegments` segments. Segment ids outside [0, numSegments) are dropped,
 * as TensorFlow does. Rows are accumulated in row order in the output's precision.
 */
export function unsortedSegmentSumValues(
  x: Float32Array | Int32Array,
  xShape: readonly number[],
  segmentIds: Int32Array | Float32Array,
  numSegments: number,
): { values: Float32Array | Int32Array; shape: number[] } {
  const idCount = segmentIds.length;
  const rowShape = xShape.slice(segmentIdsRank(xShape, idCount));
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const out = x instanceof Int32Array ? new Int32Array(numSegments * rowSize) : new Float32Array(numSegments * rowSize);
  for (let r = 0; r < idCount; r++) {
    const segment = segmentIds[r]!;
    if (segment < 0 || segment >= numSegments) continue;
    const src = r * rowSize;
    const dst = segment * rowSize;
    for (let j = 0; j < rowSize; j++) out[dst + j] = out[dst + j]! + x[src + j]!;
  }
  return { values: out, shape: [numSegments, ...rowShape] };
}

// segmentIds cover a leading block of x's dimensions; find how many from the element count.
function segmentIdsRank(xShape: readonly number[], idCount: number): number {
  let size = 1;
  for (let d = 0; d < xShape.length; d++) {
    if (size === idCount) return d;
    size *= xShape[d]!;
  }
  if (size === idCount) return xShape.length;
  throw new Error(`UnsortedSegmentSum: ${idCount} segment ids do not cover a leading block of shape [${xShape}]`);
}

function unsortedSegmentSumWasm({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const x = inputs["x"]!;
  const ids = inputs["segmentIds"]!;
  const numSegments = Number(attrs?.["numSegments"]);
  const rowShape = x.shape.slice(
    segmentIdsRank(
      x.shape,
      ids.shape.reduce((p, q) => p * q, 1),
    ),
  );
  const out = b.makeOutput([numSegments, ...rowShape], x.dtype);
  // Views are taken after makeOutput: allocating may grow (and detach) the wasm heap.
  const { values } = unsortedSegmentSumValues(
    b.typedArrayFromHeap(x) as Float32Array | Int32Array,
    x.shape,
    b.typedArrayFromHeap(ids) as Int32Array,
    numSegments,
  );
  (b.typedArrayFromHeap(out) as Float32Array | Int32Array).set(values);
  return out;
}

function unsortedSegmentSumCpu({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as CpuBackendLike;
  const x = inputs["x"]!;
  const ids = inputs["segmentIds"]!;
  const { values, shape } = unsortedSegmentSumValues(
    b.readSync(x.dataId) as Float32Array | Int32Array,
    x.shape,
    b.readSync(ids.dataId) as Int32Array,
    Number(attrs?.["numSegments"]),
  );
  return b.makeTensorInfo(shape, x.dtype, values);
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Copies the box `begin`/`size` of a row-major array of shape `shape` into `dst` (row-major),
 * moving the longest contiguous runs at once.
 */
export function copyBox(src: Values, shape: readonly number[], begin: readonly number[], size: readonly number[], dst: Values): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0]!;
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  // Dimensions k..rank-1 form one contiguous run when every dimension after k is taken whole.
  let k = rank - 1;
  let run = size[k]!;
  while (k > 0 && size[k] === shape[k]) {
    k--;
    run *= size[k]!;
  }
  const outer = sizeOf(size.slice(0, k));
  const index = new Array<number>(k).fill(0);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    let offset = begin[k]! * strides[k]!;
    for (let d = 0; d < k; d++) offset += (begin[d]! + index[d]!) * strides[d]!;
    dst.set(src.subarray(offset, offset + run), at);
    at += run;
    for (let d = k - 1; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
}

function sliceFromHeap(b: WasmBackendLike, x: TensorInfo, begin: readonly number[], size: number[], outShape = size): TensorInfo {
  const out = b.makeOutput(outShape, x.dtype);
  if (sizeOf(size) > 0) copyBox(b.typedArrayFromHeap(x), x.shape, begin, size, b.typedArrayFromHeap(out));
  return out;
}

function sliceWasm(reference: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs["x"]!;
    if (x.dtype === "string") return reference.kernelFunc(args);
    const [begin, size] = tf.slice_util.parseSliceParams(x, args.attrs?.["begin"] as number[], args.attrs?.["size"] as number[]);
    return sliceFromHeap(args.backend as WasmBackendLike, x, begin!, size!);
  };
}

function splitVWasm(reference: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs["x"]!;
    if (x.dtype === "string") return reference.kernelFunc(args);
    const axis = tf.util.parseAxisParam(args.attrs?.["axis"] as number, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x, args.attrs?.["numOrSizeSplits"] as number[] | number, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const out = sliceFromHeap(args.backend as WasmBackendLike, x, begin, size);
      begin[axis]! += s;
      return out;
    });
  };
}

function unpackWasm(reference: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs["value"]!;
    if (x.dtype === "string") return reference.kernelFunc(args);
    let axis = Number(args.attrs?.["axis"] ?? 0);
    if (axis < 0) axis += x.shape.length;
    const outShape = x.shape.filter((_, d) => d !== axis);
    const size = [...x.shape];
    size[axis] = 1;
    const begin = new Array<number>(x.shape.length).fill(0);
    return Array.from({ length: x.shape[axis]! }, (_, i) => {
      begin[axis] = i;
      return sliceFromHeap(args.backend as WasmBackendLike, x, begin, size, outShape);
    });
  };
}

/**
 * Runs a rank-≥3 float32 BatchMatMul (no transposes) one batch element at a time through the
 * reference kernel's batch-1 path. Returns null when the batch dimensions broadcast in a way this
 * does not handle (then the caller uses the reference kernel).
 */
function matMulBySlices(reference: KernelConfig, a: TensorInfo, bIn: TensorInfo, backend: WasmBackendLike): TensorInfo | null {
  const ra = a.shape.length;
  const rb = bIn.shape.length;
  if (ra < 3 || rb < 3 || a.dtype !== "float32" || bIn.dtype !== "float32") return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = bIn.shape.slice(0, -2);
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  const outer = batchA >= batchB ? outerA : outerB;
  const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (!(sameOuter || batchA === 1 || batchB === 1)) return null;
  const batch = Math.max(batchA, batchB);
  if (batch <= 1) return null;
  const [M, K] = a.shape.slice(-2) as [number, number];
  const N = bIn.shape[rb - 1]!;
  const out = backend.makeOutput([...outer, M, N], "float32");
  for (let i = 0; i < batch; i++) {
    // Fresh tensors per slice: XNNPACK caches packed weights by tensor id, so an id must never
    // be reused with different contents.
    const ai = sliceFromHeap(backend, a, [batchA === 1 ? 0 : i, 0, 0], [1, M, K], [1, M, K]);
    const bi = sliceFromHeap(backend, bIn, [batchB === 1 ? 0 : i, 0, 0], [1, K, N], [1, K, N]);
    const oi = reference.kernelFunc({ inputs: { a: ai, b: bi }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(oi), i * M * N);
    backend.disposeData(ai.dataId);
    backend.disposeData(bi.dataId);
    backend.disposeData(oi.dataId);
  }
  return out;
}

// Views of a rank-r tensor as [batch, rows, cols] for slicing (same data, reshaped metadata).
function as3d(t: TensorInfo): TensorInfo {
  const r = t.shape.length;
  return { dataId: t.dataId, dtype: t.dtype, shape: [sizeOf(t.shape.slice(0, -2)), t.shape[r - 2]!, t.shape[r - 1]!] };
}

/**
 * Wraps a wasm matmul kernel: transposed operands are transposed explicitly first, and (for
 * BatchMatMul) batches > 1 go through the batch-1 fast path slice by slice.
 */
function transposingMatMul(reference: KernelConfig, transposeKernel: KernelConfig, bySlices: boolean): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const transposeA = Boolean(attrs?.["transposeA"]);
    const transposeB = Boolean(attrs?.["transposeB"]);
    const b = backend as WasmBackendLike;
    const sliced = (a: TensorInfo, bb: TensorInfo): TensorInfo | null => {
      if (!bySlices) return null;
      const out = matMulBySlices(reference, as3d(a), as3d(bb), b);
      if (out) {
        const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), bb.shape.slice(0, -2));
        out.shape = [...outer, a.shape.at(-2)!, bb.shape.at(-1)!];
      }
      return out;
    };
    if (!transposeA && !transposeB) return sliced(inputs["a"]!, inputs["b"]!) ?? reference.kernelFunc(args);
    const temporaries: TensorInfo[] = [];
    const swapLastTwo = (t: TensorInfo): TensorInfo => {
      const rank = t.shape.length;
      const perm = [...Array(rank).keys()];
      perm[rank - 2] = rank - 1;
      perm[rank - 1] = rank - 2;
      const out = transposeKernel.kernelFunc({ inputs: { x: t }, backend, attrs: { perm } }) as TensorInfo;
      temporaries.push(out);
      return out;
    };
    const newInputs: NamedTensorInfoMap = { ...inputs };
    if (transposeA) newInputs["a"] = swapLastTwo(inputs["a"]!);
    if (transposeB) newInputs["b"] = swapLastTwo(inputs["b"]!);
    try {
      return (
        sliced(newInputs["a"]!, newInputs["b"]!) ??
        reference.kernelFunc({ inputs: newInputs, backend, attrs: { ...attrs, transposeA: false, transposeB: false } })
      );
    } finally {
      for (const t of temporaries) b.disposeData(t.dataId);
    }
  };
}

/**
 * Registers the fixes for `backendName`. Call after the backend's package has been imported (so
 * its stock kernels are registered) and before or after `tf.setBackend` — the engine looks
 * kernels up on every call.
 */
export function registerKernelFixes(backendName: PatchedBackend): void {
  if (backendName === "wasm") {
    replaceKernel({ kernelName: "UnsortedSegmentSum", backendName: "wasm", kernelFunc: unsortedSegmentSumWasm as KernelFunc });
    const transpose = tf.getKernel("Transpose", "wasm");
    if (!transpose) throw new Error("wasm backend has no Transpose kernel: import @tensorflow/tfjs-backend-wasm first");
    const wrappers: [string, (reference: KernelConfig) => KernelFunc][] = [
      ["BatchMatMul", (r) => transposingMatMul(r, transpose, true)],
      // Fused matmuls carry a bias/activation per batch; they stay on the reference for batch > 1.
      ["_FusedMatMul", (r) => transposingMatMul(r, transpose, false)],
      ["Slice", sliceWasm],
      ["SplitV", splitVWasm],
      ["Unpack", unpackWasm],
    ];
    for (const [kernelName, wrap] of wrappers) {
      const k = key(kernelName, "wasm");
      const reference = references.has(k) ? references.get(k) : tf.getKernel(kernelName, "wasm");
      if (!reference) throw new Error(`wasm backend has no ${kernelName} kernel`);
      const config: KernelConfig = { kernelName, backendName: "wasm", kernelFunc: wrap(reference) };
      // The stock kernel's setup (binding the wasm function) must still run if the backend is
      // initialised after this registration.
      if (reference.setupFunc) config.setupFunc = reference.setupFunc;
      replaceKernel(config);
    }
  } else {
    replaceKernel({ kernelName: "UnsortedSegmentSum", backendName: "cpu", kernelFunc: unsortedSegmentSumCpu as KernelFunc });
  }
}

/** Puts the stock kernels back (for comparisons in tests). */
export function restoreReferenceKernels(backendName: PatchedBackend): void {
  for (const [k, reference] of [...references]) {
    const [backend, kernelName] = k.split("/") as [string, string];
    if (backend !== backendName) continue;
    if (tf.getKernel(kernelName, backend)) tf.unregisterKernel(kernelName, backend);
    if (reference) tf.registerKernel(reference);
    references.delete(k);
  }
}
