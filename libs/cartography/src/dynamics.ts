import { DynamicsShapeError } from "./errors.ts";

/**
 * Training dynamics of one run: N examples × T epochs, row-major (`loss[i * epochs + t]`).
 * `loss` is mean per-token cross-entropy in nats; `acc` is token accuracy in [0, 1].
 * Typed arrays rather than one object per example, so 1 M × 20 fits in 160 MB.
 * `ids` are expected to be unique (the readers guarantee it) and give the input order.
 */
export interface DynamicsMatrix {
  readonly ids: readonly string[];
  readonly epochs: number;
  readonly loss: Float32Array;
  readonly acc: Float32Array;
}

/** Throws DynamicsShapeError unless ids × epochs agrees with both matrices. */
export function assertDynamicsShape(dyn: DynamicsMatrix): void {
  const { ids, epochs, loss, acc } = dyn;
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new DynamicsShapeError(`epochs must be a positive integer, got ${epochs}`);
  }
  if (ids.length === 0) throw new DynamicsShapeError("no examples to score");
  const cells = ids.length * epochs;
  if (loss.length !== cells || acc.length !== cells) {
    throw new DynamicsShapeError(`${ids.length} ids × ${epochs} epochs = ${cells} cells, but loss has ${loss.length} and acc has ${acc.length}`);
  }
}
