import type { DynamicsMatrix } from "../dynamics.ts";
import { DynamicsReadError } from "../errors.ts";

/** Most epochs a per-cell file may declare; guards against a typo allocating N × 10⁹ cells. */
const MAX_EPOCHS = 1_000_000;

function grow<A extends Int32Array | Float32Array>(array: A, make: (n: number) => A): A {
  const bigger = make(array.length * 2);
  bigger.set(array);
  return bigger;
}

/**
 * Collects (id, epoch, loss, acc) cells in any order for the per-cell layouts (JSONL lines
 * and CSV rows), then places them into the row-major matrix, checking that every id has
 * every epoch 0 … T−1 exactly once. Ids keep first-seen order.
 */
export class DynamicsCells {
  private readonly ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  private rowCells = new Int32Array(1024);
  private row = new Int32Array(1 << 16);
  private epoch = new Int32Array(1 << 16);
  private loss = new Float32Array(1 << 16);
  private acc = new Float32Array(1 << 16);
  private line = new Int32Array(1 << 16);
  private count = 0;
  private maxEpoch = -1;

  constructor(private readonly file: string) {}

  add(id: string, epoch: number, loss: number, acc: number, line: number): void {
    if (epoch >= MAX_EPOCHS) throw new DynamicsReadError(this.file, line, "epoch", `${epoch} is beyond the ${MAX_EPOCHS} epochs supported`);
    let r = this.rowOf.get(id);
    if (r === undefined) {
      r = this.ids.length;
      this.rowOf.set(id, r);
      this.ids.push(id);
      if (r === this.rowCells.length) this.rowCells = grow(this.rowCells, (n) => new Int32Array(n));
    }
    const c = this.count;
    if (c === this.row.length) {
      this.row = grow(this.row, (n) => new Int32Array(n));
      this.epoch = grow(this.epoch, (n) => new Int32Array(n));
      this.loss = grow(this.loss, (n) => new Float32Array(n));
      this.acc = grow(this.acc, (n) => new Float32Array(n));
      this.line = grow(this.line, (n) => new Int32Array(n));
    }
    this.row[c] = r;
    this.epoch[c] = epoch;
    this.loss[c] = loss;
    this.acc[c] = acc;
    this.line[c] = line;
    this.rowCells[r]!++;
    this.count = c + 1;
    if (epoch > this.maxEpoch) this.maxEpoch = epoch;
  }

  toMatrix(): DynamicsMatrix {
    const N = this.ids.length;
    if (N === 0) throw new DynamicsReadError(this.file, null, null, "no training-dynamics rows");
    const T = this.maxEpoch + 1;
    for (let r = 0; r < N; r++) {
      if (this.rowCells[r]! < T) this.throwMissing(r, T);
    }
    const loss = new Float32Array(N * T);
    const acc = new Float32Array(N * T);
    const filled = new Uint8Array(N * T);
    for (let c = 0; c < this.count; c++) {
      const r = this.row[c]!;
      const e = this.epoch[c]!;
      const k = r * T + e;
      if (filled[k] === 1) {
        throw new DynamicsReadError(this.file, this.line[c]!, null, `id ${JSON.stringify(this.ids[r])} epoch ${e} appears twice`);
      }
      filled[k] = 1;
      loss[k] = this.loss[c]!;
      acc[k] = this.acc[c]!;
    }
    return { ids: this.ids, epochs: T, loss, acc };
  }

  private throwMissing(r: number, T: number): never {
    const present = new Uint8Array(T);
    for (let c = 0; c < this.count; c++) if (this.row[c] === r) present[this.epoch[c]!] = 1;
    const e = present.indexOf(0);
    throw new DynamicsReadError(this.file, null, null, `id ${JSON.stringify(this.ids[r])} has no value for epoch ${e} (every id needs epochs 0…${T - 1})`);
  }
}

/** Loss must be a finite cross-entropy in nats, so ≥ 0 (a negative value is usually a log-probability). */
export function checkLoss(file: string, line: number, field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new DynamicsReadError(file, line, field, `${JSON.stringify(value) ?? String(value)} is not a finite number`);
  }
  if (value < 0) throw new DynamicsReadError(file, line, field, `${value} is negative (expected cross-entropy in nats, not a log-probability)`);
  return value;
}

export function checkAccuracy(file: string, line: number, field: string, value: unknown): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new DynamicsReadError(file, line, field, `${JSON.stringify(value) ?? String(value)} is not a number in [0, 1]`);
  }
  return value;
}

export function checkEpoch(file: string, line: number, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new DynamicsReadError(file, line, "epoch", `${JSON.stringify(value) ?? String(value)} is not a non-negative integer`);
  }
  return value;
}

export function checkId(file: string, line: number, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new DynamicsReadError(file, line, "id", value === undefined ? "missing" : "must be a string or a number");
}
