import type { Database } from "../database.ts";
import { auditedSqlTransaction, type Actor } from "../audit.ts";
import { badInput, conflict, DomainError, notFound } from "../errors.ts";
import { BlockCellsBuilder, dynamicsCompleteness, writeDynamicsBlocks } from "./dynamics-store.ts";
import { forgetRunKeys, runKeyOrdinals } from "./run-example-keys.ts";

export interface DynamicsCellInput {
  exampleKey: string;
  epoch: number;
  loss: number;
  accuracy: number;
}

/**
 * The same cells as columns (row i is one cell): what the bulk binary endpoint decodes, without
 * an object per cell. `epoch` is one number for every row, or one per row.
 */
export interface DynamicsColumnsInput {
  exampleKey: readonly string[];
  /**
   * Optional: a collision-resistant digest of `exampleKey`'s content (the same digest means the
   * same keys in the same order), computed by the caller from the bytes it received (the bulk
   * endpoint hashes the Arrow key column). A trainer sends the same key column for every epoch
   * of a shard; the service then maps it to run ordinals once per process (KeyColumnCache)
   * instead of looking up every key again.
   */
  keysDigest?: string;
  epoch: number | ArrayLike<number>;
  loss: ArrayLike<number>;
  accuracy: ArrayLike<number>;
}

/** One chunk: `cells` (the GraphQL mutation) or `columns` (the bulk endpoint); errors name `cells[i].<field>` either way. */
export type IngestDynamicsOptions = { runId: string } & (
  { cells: readonly DynamicsCellInput[]; columns?: undefined } | { columns: DynamicsColumnsInput; cells?: undefined }
);

export interface IngestDynamicsResult {
  /** Cells stored with a new value. */
  accepted: number;
  /** Cells whose stored value was already identical (a retried or overlapping chunk). */
  unchanged: number;
  received: number;
  /** Cells the run still lacks after this chunk (examples × epochs − received so far). */
  missing: number;
}

/** Largest chunk accepted in one call (about 8 MB of GraphQL JSON is ~100 k cells). */
export const MAX_CELLS_PER_CHUNK = 200_000;

/** Below float32's largest value (3.4028234…e38): no smaller number rounds to Infinity. */
const FLOAT32_SAFE = 3.4e38;

const cellError = (index: number, field: string, message: string) => badInput(`cells[${index}].${field}`, message);

/** Shape and range checks that need no database; errors name the cell and the field. */
function checkCell(exampleKey: unknown, epoch: unknown, loss: unknown, accuracy: unknown, i: number): void {
  if (typeof exampleKey !== "string" || exampleKey.length === 0) throw cellError(i, "exampleKey", "must be a non-empty string");
  if (!Number.isInteger(epoch) || (epoch as number) < 0) throw cellError(i, "epoch", `must be a non-negative integer, got ${String(epoch)}`);
  if (typeof loss !== "number" || !Number.isFinite(loss)) throw cellError(i, "loss", `must be finite, got ${String(loss)}`);
  if (loss < 0) throw cellError(i, "loss", `must be ≥ 0 (a cross-entropy), got ${loss}`);
  // A finite loss beyond float32's range would be stored as Infinity. (Math.fround only for
  // values that can round to Infinity: calling it on every cell cost ~0.3 µs a cell.)
  if (loss > FLOAT32_SAFE && !Number.isFinite(Math.fround(loss))) throw cellError(i, "loss", `must fit a 32-bit float, got ${loss}`);
  if (typeof accuracy !== "number" || !(accuracy >= 0 && accuracy <= 1)) {
    throw cellError(i, "accuracy", `must be in [0, 1], got ${String(accuracy)}`);
  }
}

/**
 * Run ordinals of key columns mapped before, by run and keysDigest, least recently used dropped
 * beyond maxBytes. Correct for as long as it is kept: a run's key → ordinal mapping never
 * changes (see run-example-keys.ts), and an entry is stored only once every key of its column
 * mapped to an ordinal of the run. The run row is still read and checked by every chunk.
 */
class KeyColumnCache {
  private readonly entries = new Map<string, Int32Array>();
  private bytes = 0;
  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}
  get(key: string): Int32Array | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }
  set(key: string, ordinals: Int32Array): void {
    if (ordinals.byteLength > this.maxBytes || this.entries.has(key)) return;
    this.entries.set(key, ordinals);
    this.bytes += ordinals.byteLength;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.byteLength;
    }
  }
}
const keyColumnCaches = new WeakMap<Database, KeyColumnCache>();

/** The chunk as checked columns (cells are checked one by one, in order, as before). */
function checkedColumns(options: IngestDynamicsOptions): DynamicsColumnsInput {
  if (options.columns) {
    const { exampleKey, epoch, loss, accuracy } = options.columns;
    const n = exampleKey.length;
    if (loss.length !== n || accuracy.length !== n || (typeof epoch !== "number" && epoch.length !== n)) {
      throw badInput(
        "cells",
        `columns of different lengths: ${n} keys, ${typeof epoch === "number" ? "one" : epoch.length} epochs, ${loss.length} losses, ${accuracy.length} accuracies`,
      );
    }
    if (n > MAX_CELLS_PER_CHUNK) throw badInput("cells", `at most ${MAX_CELLS_PER_CHUNK} cells per chunk, got ${n}; split the chunk`);
    if (typeof epoch === "number") for (let i = 0; i < n; i++) checkCell(exampleKey[i], epoch, loss[i], accuracy[i], i);
    else for (let i = 0; i < n; i++) checkCell(exampleKey[i], epoch[i], loss[i], accuracy[i], i);
    return options.columns;
  }
  const cells = options.cells;
  if (!Array.isArray(cells)) throw badInput("cells", "must be a list");
  if (cells.length > MAX_CELLS_PER_CHUNK) throw badInput("cells", `at most ${MAX_CELLS_PER_CHUNK} cells per chunk, got ${cells.length}; split the chunk`);
  const n = cells.length;
  const columns = { exampleKey: new Array<string>(n), epoch: new Array<number>(n), loss: new Array<number>(n), accuracy: new Array<number>(n) };
  for (let i = 0; i < n; i++) {
    const cell = cells[i] as DynamicsCellInput;
    if (typeof cell !== "object" || cell === null) throw badInput(`cells[${i}]`, "must be an object {exampleKey, epoch, loss, accuracy}");
    checkCell(cell.exampleKey, cell.epoch, cell.loss, cell.accuracy, i);
    columns.exampleKey[i] = cell.exampleKey;
    columns.epoch[i] = cell.epoch;
    columns.loss[i] = cell.loss;
    columns.accuracy[i] = cell.accuracy;
  }
  return columns;
}

/**
 * Ingests one chunk of an external run's training dynamics. All or nothing: any bad cell
 * (named by index and field) rejects the chunk and writes nothing. Idempotent: cells are
 * merged into the stored blocks by value, so a retried or overlapping chunk changes no byte
 * and reports its cells as `unchanged`. One audit event per chunk, with counts only.
 *
 * The hot path of a bulk import (10 M cells are ~250 chunks): it runs on a raw transaction
 * (auditedSqlTransaction: 8 round trips for a chunk of new blocks, without Prisma's per-query
 * cost), maps keys through the process's cache of the run's snapshot once that pays
 * (runKeyOrdinals), and builds the chunk's block arrays in one pass, without per-cell objects.
 */
export async function ingestDynamics(db: Database, actor: Actor, options: IngestDynamicsOptions): Promise<IngestDynamicsResult> {
  const { runId } = options;
  const { exampleKey: keys, epoch, loss, accuracy } = checkedColumns(options);
  const n = keys.length;
  const oneEpoch = typeof epoch === "number" ? epoch : -1;
  const epochs = typeof epoch === "number" ? null : epoch;

  try {
    return await auditedSqlTransaction(db, actor, async (tx) => {
      // FOR KEY SHARE: chunks of one run ingest concurrently, but never while finishRun or
      // cancelRun (FOR UPDATE) changes its status.
      const [run] = await tx.sql<{ kind: string; status: string; epochs: number; dataset_id: string; examples: number | null }>(
        `SELECT r.kind, r.status, r.epochs, v.dataset_id, (SELECT max(ordinal) + 1 FROM run_examples WHERE run_id = r.id) AS examples
           FROM runs r JOIN dataset_versions v ON v.id = r.version_id
          WHERE r.id = $1::uuid FOR KEY SHARE OF r`,
        [runId],
      );
      if (!run) throw notFound("Run", runId);
      if (run.kind !== "EXTERNAL") throw conflict(`Run ${runId} is ${run.kind}: only EXTERNAL runs take ingested dynamics`);
      if (run.status !== "RUNNING") {
        forgetRunKeys(db, runId);
        throw conflict(`Run ${runId} is ${run.status}: dynamics are ingested only while it is RUNNING`);
      }
      const T = run.epochs;
      for (let i = 0; i < n; i++) {
        const e = epochs ? epochs[i]! : oneEpoch;
        if (e >= T) throw cellError(i, "epoch", `must be in [0, ${T - 1}] (the run has ${T} epochs), got ${e}`);
        if (!epochs) break;
      }

      const N = Number(run.examples ?? 0);
      let keyColumns = keyColumnCaches.get(db);
      if (!keyColumns) keyColumnCaches.set(db, (keyColumns = new KeyColumnCache()));
      const columnKey = options.columns?.keysDigest ? `${runId}|${n}|${options.columns.keysDigest}` : undefined;
      const known = columnKey ? keyColumns.get(columnKey) : undefined;
      const ordinalOf =
        n === 0 || known
          ? new Map<string, number>()
          : await runKeyOrdinals(db, tx, { runId, datasetId: run.dataset_id, examples: N }, () => [...new Set(keys)]);
      const mapped = columnKey && !known ? new Int32Array(n) : undefined;
      const blocks = new BlockCellsBuilder(N);
      for (let i = 0; i < n; i++) {
        const e = epochs ? epochs[i]! : oneEpoch;
        const ordinal = known ? known[i]! : ordinalOf.get(keys[i]!);
        if (ordinal === undefined) {
          throw cellError(i, "exampleKey", `${JSON.stringify(keys[i])} is not a training example of run ${runId}`);
        }
        if (mapped) mapped[i] = ordinal;
        if (!blocks.set(ordinal, e, loss[i]!, accuracy[i]!)) {
          const key = keys[i]!;
          let first = 0;
          while (!(keys[first] === key && (epochs ? epochs[first]! : oneEpoch) === e)) first++;
          throw new DomainError(
            "BAD_USER_INPUT",
            `cells[${i}]: repeats cells[${first}] (exampleKey ${JSON.stringify(key)}, epoch ${e}); send each cell once per chunk`,
            `cells[${i}]`,
          );
        }
      }

      if (mapped) keyColumns.set(columnKey!, mapped);
      const written = await writeDynamicsBlocks(tx, runId, blocks.sorted());
      // The run row is not written here (its progress is derived from the blocks when read):
      // concurrent chunks of one run then share it without waiting on each other.
      const completeness = await dynamicsCompleteness(tx, runId, T, N);
      const result: IngestDynamicsResult = { ...written, received: n, missing: completeness.missing };
      // A repeated chunk whose every cell was already stored changed nothing: no audit event (GOVERNANCE.md).
      if (written.accepted === 0) throw new NothingChanged(result);
      return {
        result,
        audit: { action: "dynamics.ingest", targetType: "Run", targetId: runId, after: { ...result, cellsReceivedTotal: completeness.received } },
      };
    });
  } catch (err) {
    if (err instanceof NothingChanged) return err.result;
    throw err;
  }
}

/** Ends (rolls back) a transaction that changed nothing, without an audit event; carries the result out. */
class NothingChanged extends Error {
  constructor(readonly result: IngestDynamicsResult) {
    super("nothing changed");
  }
}
