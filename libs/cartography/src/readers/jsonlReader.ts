import { stat } from "node:fs/promises";
import type { DynamicsMatrix } from "../dynamics.ts";
import { DynamicsReadError } from "../errors.ts";
import { checkAccuracy, checkEpoch, checkId, checkLoss, DynamicsCells } from "./dynamicsCells.ts";
import { scanLines } from "./lineScanner.ts";
import type { ReadOptions } from "./readOptions.ts";

/**
 * Reads GenDataCarto's own JSONL, in either of two layouts (decided by the first line, and
 * then required of every line):
 * - one line per example and epoch: `{"id": "a", "epoch": 0, "loss": 1.2, "accuracy": 0.5}`,
 *   in any order;
 * - one line per example: `{"id": "a", "loss": [1.2, 0.9], "accuracy": [0.5, 0.75]}`.
 * Ids may be strings or numbers (a number n becomes String(n)); they keep first-seen order.
 * Throws DynamicsReadError naming file, line and field; nothing is returned on an error.
 */
export async function readJsonlDynamics(file: string, options: ReadOptions = {}): Promise<DynamicsMatrix> {
  const bytesTotal = (await stat(file)).size;
  let bytesDone = 0;
  const onBytes = options.onProgress === undefined ? undefined : (n: number) => options.onProgress!((bytesDone += n), bytesTotal);

  let layout: "cell" | "example" | null = null;
  const cells = new DynamicsCells(file);
  const perExample = new PerExampleRows(file);
  await scanLines(
    file,
    (buf, start, end, line) => {
      let record: unknown;
      try {
        record = JSON.parse(buf.toString("utf8", start, end));
      } catch (err) {
        throw new DynamicsReadError(file, line, null, `invalid JSON (${(err as Error).message})`);
      }
      if (typeof record !== "object" || record === null || Array.isArray(record)) {
        throw new DynamicsReadError(file, line, null, "expected a JSON object");
      }
      const fields = record as Record<string, unknown>;
      const lineLayout = Array.isArray(fields.loss) ? "example" : "cell";
      if (layout === null) layout = lineLayout;
      else if (layout !== lineLayout) {
        throw new DynamicsReadError(
          file,
          line,
          "loss",
          layout === "cell"
            ? "is an array, but earlier lines have one epoch per line ({id, epoch, loss, accuracy})"
            : "is not an array, but earlier lines have one example per line ({id, loss: [...], accuracy: [...]})",
        );
      }
      const id = checkId(file, line, fields.id);
      if (layout === "cell") {
        const epoch = checkEpoch(file, line, fields.epoch);
        cells.add(id, epoch, checkLoss(file, line, "loss", fields.loss), checkAccuracy(file, line, "accuracy", fields.accuracy), line);
      } else {
        perExample.add(id, fields.loss as unknown[], fields.accuracy, line);
      }
    },
    onBytes,
  );
  if (layout === null) throw new DynamicsReadError(file, null, null, "no training-dynamics lines");
  return layout === "cell" ? cells.toMatrix() : perExample.toMatrix();
}

/** Rows of the one-line-per-example layout, appended straight into a growing matrix. */
class PerExampleRows {
  private readonly ids: string[] = [];
  private readonly lineOf = new Map<string, number>();
  private epochs = 0;
  private loss = new Float32Array(0);
  private acc = new Float32Array(0);

  constructor(private readonly file: string) {}

  add(id: string, loss: unknown[], accuracy: unknown, line: number): void {
    const { file } = this;
    const firstLine = this.lineOf.get(id);
    if (firstLine !== undefined) throw new DynamicsReadError(file, line, "id", `${JSON.stringify(id)} already appears on line ${firstLine}`);
    if (!Array.isArray(accuracy)) throw new DynamicsReadError(file, line, "accuracy", accuracy === undefined ? "missing" : "must be an array like loss");
    if (this.ids.length === 0) {
      if (loss.length === 0) throw new DynamicsReadError(file, line, "loss", "is empty");
      this.epochs = loss.length;
      this.loss = new Float32Array(1024 * this.epochs);
      this.acc = new Float32Array(1024 * this.epochs);
    }
    const T = this.epochs;
    if (loss.length !== T) throw new DynamicsReadError(file, line, "loss", `has ${loss.length} epochs, but the first line has ${T}`);
    if (accuracy.length !== T) throw new DynamicsReadError(file, line, "accuracy", `has ${accuracy.length} epochs, but loss has ${T}`);
    const r = this.ids.length;
    if ((r + 1) * T > this.loss.length) {
      const bigger = (a: Float32Array) => {
        const b = new Float32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.loss = bigger(this.loss);
      this.acc = bigger(this.acc);
    }
    for (let t = 0; t < T; t++) {
      this.loss[r * T + t] = checkLoss(file, line, `loss[${t}]`, loss[t]);
      this.acc[r * T + t] = checkAccuracy(file, line, `accuracy[${t}]`, accuracy[t]);
    }
    this.ids.push(id);
    this.lineOf.set(id, line);
  }

  toMatrix(): DynamicsMatrix {
    const cells = this.ids.length * this.epochs;
    return { ids: this.ids, epochs: this.epochs, loss: this.loss.slice(0, cells), acc: this.acc.slice(0, cells) };
  }
}
