import type { Database, SqlTransaction } from "../database.ts";
import type { Tx } from "../audit.ts";
import { DomainError, notFound } from "../errors.ts";

/**
 * Training dynamics storage (see the DynamicsBlock model): one row per (run, epoch, block of
 * BLOCK_SIZE consecutive run ordinals) holding loss and accuracy as little-endian Float32 bytes,
 * NaN where a cell has not been received yet.
 */
export const BLOCK_SIZE = 4096;

/** The handle the writers need: a transaction (or the client itself for one-statement writes). */
export type RawExecutor = Pick<Tx, "$queryRawUnsafe" | "$executeRawUnsafe">;

// Float32Array views use the platform's byte order; the stored format is little-endian.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error("dynamics-store assumes a little-endian platform");

/** The number of ordinals in block `block` of a run with `examples` examples. */
export const blockLength = (block: number, examples: number) => Math.min(BLOCK_SIZE, examples - block * BLOCK_SIZE);
export const blockCount = (examples: number) => Math.ceil(examples / BLOCK_SIZE);

/** The stored bytes of a Float32Array (a copy, so the caller may reuse its array). */
export function encodeFloat32(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

/** Decodes stored bytes; copies, because driver buffers need not be 4-byte aligned. */
export function decodeFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error(`a dynamics block has ${bytes.byteLength} bytes, not a multiple of 4`);
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export interface DynamicsCell {
  ordinal: number;
  epoch: number;
  loss: number;
  acc: number;
}

export interface WriteCellsResult {
  /** Cells stored with a new value (first arrival, or a changed value). */
  accepted: number;
  /** Cells whose stored value was already bit-identical. */
  unchanged: number;
}

/** A raw transaction (Database.transaction), or a Prisma transaction client or the client itself. */
export type DynamicsExecutor = SqlTransaction | RawExecutor;
type Run = <Row>(text: string, params: unknown[]) => Promise<Row[]>;
const runnerOf = (tx: DynamicsExecutor): Run =>
  "$queryRawUnsafe" in tx ? (text, params) => tx.$queryRawUnsafe(text, ...params) : (text, params) => tx.sql(text, params);

/** Ordinals of a run are 0…N−1 (see startRun), so N is the largest one plus one: an index-only lookup. */
export async function runExampleCount(tx: DynamicsExecutor, runId: string): Promise<number> {
  const [row] = await runnerOf(tx)<{ n: number | null }>(`SELECT max(ordinal) + 1 AS n FROM run_examples WHERE run_id = $1::uuid`, [runId]);
  return Number(row?.n ?? 0);
}

/** One block's new cells, as a chunk brings them: NaN where the chunk has no cell. */
export interface BlockCells {
  epoch: number;
  block: number;
  /** blockLength(block, examples) values each. */
  loss: Float32Array;
  acc: Float32Array;
  /** Cells present (non-NaN) in `loss`. */
  count: number;
}

/**
 * Collects a chunk's cells into per-block arrays, ordered for writing. `set` refuses a cell
 * whose slot is already set (the chunk repeats it): valid losses are finite, so a non-NaN
 * slot is a repeat, and no per-cell bookkeeping is needed.
 */
export class BlockCellsBuilder {
  private readonly groups = new Map<number, BlockCells>();
  private readonly blocks: number;
  private lastKey = -1;
  private last: BlockCells | undefined;

  constructor(private readonly examples: number) {
    this.blocks = blockCount(examples);
  }

  /** False if the chunk already holds this (ordinal, epoch). `ordinal` must be < examples. */
  set(ordinal: number, epoch: number, loss: number, acc: number): boolean {
    const block = (ordinal / BLOCK_SIZE) | 0;
    const key = epoch * this.blocks + block;
    let group = key === this.lastKey ? this.last! : this.groups.get(key);
    if (group === undefined) {
      const length = blockLength(block, this.examples);
      group = { epoch, block, loss: new Float32Array(length).fill(NaN), acc: new Float32Array(length).fill(NaN), count: 0 };
      this.groups.set(key, group);
    }
    this.lastKey = key;
    this.last = group;
    const i = ordinal - block * BLOCK_SIZE;
    if (group.loss[i] === group.loss[i]) return false;
    group.loss[i] = loss;
    group.acc[i] = acc;
    group.count++;
    return true;
  }

  /** In (epoch, block) order: the order every writer locks blocks in (no deadlocks). */
  sorted(): BlockCells[] {
    return [...this.groups.entries()].sort((a, b) => a[0] - b[0]).map(([, group]) => group);
  }
}

/** The little-endian bytes of several Float32Arrays back to back, with each one's offset. */
function concatBytes(arrays: readonly Float32Array[]): { bytes: Buffer; offsets: number[]; lengths: number[] } {
  let total = 0;
  for (const a of arrays) total += a.byteLength;
  const bytes = Buffer.allocUnsafe(total);
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = 0;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    offsets.push(at);
    lengths.push(a.byteLength);
    at += a.byteLength;
  }
  return { bytes, offsets, lengths };
}

/**
 * Merges a chunk's cells (see BlockCellsBuilder) into the run's blocks. Every block is first
 * inserted as new, in one statement (the common case: a chunk's blocks do not exist yet);
 * blocks that exist are then merged by read-modify-write under their row locks (SELECT … FOR
 * UPDATE), so overlapping or retried chunks, even concurrent ones, converge, and a retried
 * chunk rewrites nothing.
 *
 * No deadlock. The INSERT takes blocks in (epoch, block) order and waits only for a writer that
 * inserted the same block and has not committed yet (two INSERTs cannot wait for each other:
 * each would have to be past the other's block). A block the INSERT left alone was committed
 * by then, so the row locks taken next are on committed blocks only, in the same order, and a
 * writer waiting for one waits for a writer that is itself past its INSERT.
 * The block bytes travel as one binary parameter per column (not as hex text).
 */
export async function writeDynamicsBlocks(tx: DynamicsExecutor, runId: string, groups: readonly BlockCells[]): Promise<WriteCellsResult> {
  if (groups.length === 0) return { accepted: 0, unchanged: 0 };
  const run = runnerOf(tx);
  const loss = concatBytes(groups.map((g) => g.loss));
  const acc = concatBytes(groups.map((g) => g.acc));
  const inserted = await run<{ epoch: number; block: number }>(
    `INSERT INTO dynamics_blocks (run_id, epoch, block, loss, accuracy, filled, updated_at)
     SELECT $1::uuid, u.e, u.b, substring($4::bytea FROM u.o + 1 FOR u.n), substring($5::bytea FROM u.o + 1 FOR u.n), u.f, now()
       FROM unnest($2::int[], $3::int[], $6::int[], $7::int[], $8::int[]) AS u(e, b, o, n, f)
     ON CONFLICT (run_id, epoch, block) DO NOTHING
     RETURNING epoch, block`,
    [runId, groups.map((g) => g.epoch), groups.map((g) => g.block), loss.bytes, acc.bytes, loss.offsets, loss.lengths, groups.map((g) => g.count)],
  );
  const keyOf = (epoch: number, block: number) => `${epoch}:${block}`;
  const isNew = new Set(inserted.map((r) => keyOf(r.epoch, r.block)));
  let accepted = 0;
  let unchanged = 0;
  const existing: BlockCells[] = [];
  for (const g of groups) {
    if (isNew.has(keyOf(g.epoch, g.block))) accepted += g.count;
    else existing.push(g);
  }
  if (existing.length === 0) return { accepted, unchanged };

  const stored = await run<{ epoch: number; block: number; loss: Uint8Array; accuracy: Uint8Array; filled: number }>(
    `SELECT d.epoch, d.block, d.loss, d.accuracy, d.filled
       FROM dynamics_blocks d
       JOIN unnest($2::int[], $3::int[]) AS u(e, b) ON d.epoch = u.e AND d.block = u.b
      WHERE d.run_id = $1::uuid
      ORDER BY d.epoch, d.block
        FOR UPDATE OF d`,
    [runId, existing.map((g) => g.epoch), existing.map((g) => g.block)],
  );
  const byKey = new Map(existing.map((g) => [keyOf(g.epoch, g.block), g]));
  const updates: { epoch: number; block: number; loss: Float32Array; acc: Float32Array; filled: number }[] = [];
  for (const row of stored) {
    const cells = byKey.get(keyOf(row.epoch, row.block))!;
    byKey.delete(keyOf(row.epoch, row.block));
    const l = decodeFloat32(row.loss);
    const a = decodeFloat32(row.accuracy);
    if (l.length !== cells.loss.length || a.length !== cells.loss.length) {
      throw new Error(
        `run ${runId}: dynamics block (epoch ${row.epoch}, block ${row.block}) holds ${l.length}/${a.length} values, expected ${cells.loss.length}`,
      );
    }
    const merged = mergeBlock(cells, l, a);
    accepted += merged.accepted;
    unchanged += merged.unchanged;
    if (merged.accepted > 0) updates.push({ epoch: row.epoch, block: row.block, loss: l, acc: a, filled: row.filled + merged.filled });
  }
  // Blocks are never deleted while their run is held (FOR KEY SHARE): one that conflicted exists.
  if (byKey.size > 0) throw new Error(`run ${runId}: ${byKey.size} dynamics blocks neither inserted nor found`);
  if (updates.length > 0) {
    const l = concatBytes(updates.map((u) => u.loss));
    const a = concatBytes(updates.map((u) => u.acc));
    await run(
      `UPDATE dynamics_blocks d
          SET loss = substring($4::bytea FROM u.o + 1 FOR u.n), accuracy = substring($5::bytea FROM u.o + 1 FOR u.n), filled = u.f, updated_at = now()
         FROM unnest($2::int[], $3::int[], $6::int[], $7::int[], $8::int[]) AS u(e, b, o, n, f)
        WHERE d.run_id = $1::uuid AND d.epoch = u.e AND d.block = u.b`,
      [runId, updates.map((u) => u.epoch), updates.map((u) => u.block), l.bytes, a.bytes, l.offsets, l.lengths, updates.map((u) => u.filled)],
    );
  }
  return { accepted, unchanged };
}

/**
 * Merges cells into several blocks of a run. Cells must be valid and distinct (ingestDynamics
 * checks both); ordinals must be < `examples`. See writeDynamicsBlocks.
 */
export async function writeDynamicsCells(tx: DynamicsExecutor, runId: string, cells: readonly DynamicsCell[], examples?: number): Promise<WriteCellsResult> {
  if (cells.length === 0) return { accepted: 0, unchanged: 0 };
  const N = examples ?? (await runExampleCount(tx, runId));
  const builder = new BlockCellsBuilder(N);
  for (const cell of cells) {
    if (!builder.set(cell.ordinal, cell.epoch, cell.loss, cell.acc)) throw new Error(`cell (ordinal ${cell.ordinal}, epoch ${cell.epoch}) given twice`);
  }
  return writeDynamicsBlocks(tx, runId, builder.sorted());
}

/** Writes a block's new cells into its stored arrays; counts what changed and how many were new. */
function mergeBlock(cells: BlockCells, loss: Float32Array, acc: Float32Array) {
  const newLoss = cells.loss;
  const newAcc = cells.acc;
  const newLossBits = new Uint32Array(newLoss.buffer, newLoss.byteOffset, newLoss.length);
  const newAccBits = new Uint32Array(newAcc.buffer, newAcc.byteOffset, newAcc.length);
  const lossBits = new Uint32Array(loss.buffer, loss.byteOffset, loss.length);
  const accBits = new Uint32Array(acc.buffer, acc.byteOffset, acc.length);
  let accepted = 0;
  let unchanged = 0;
  let filled = 0;
  for (let i = 0; i < newLoss.length; i++) {
    if (Number.isNaN(newLoss[i]!)) continue;
    if (Number.isNaN(loss[i]!)) {
      filled++;
      accepted++;
    } else if (lossBits[i] === newLossBits[i] && accBits[i] === newAccBits[i]) {
      unchanged++;
      continue;
    } else {
      accepted++;
    }
    lossBits[i] = newLossBits[i]!;
    accBits[i] = newAccBits[i]!;
  }
  return { accepted, unchanged, filled };
}

const countFilled = (values: Float32Array) => {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) n++;
  return n;
};

/**
 * Stores one whole epoch (the internal trainer: it has every example's value at once), as
 * upserts of full blocks. `loss[i]`/`acc[i]` belong to run ordinal i; NaN marks a missing cell.
 */
export async function writeDynamicsEpoch(tx: RawExecutor, runId: string, epoch: number, loss: Float32Array, acc: Float32Array): Promise<void> {
  if (loss.length !== acc.length) throw new Error(`epoch ${epoch}: loss has ${loss.length} values, accuracy ${acc.length}`);
  const N = loss.length;
  const epochs: number[] = [];
  const blocks: number[] = [];
  const losses: Uint8Array[] = [];
  const accs: Uint8Array[] = [];
  const filled: number[] = [];
  for (let b = 0; b < blockCount(N); b++) {
    const l = loss.subarray(b * BLOCK_SIZE, b * BLOCK_SIZE + blockLength(b, N));
    epochs.push(epoch);
    blocks.push(b);
    losses.push(encodeFloat32(l));
    accs.push(encodeFloat32(acc.subarray(b * BLOCK_SIZE, b * BLOCK_SIZE + l.length)));
    filled.push(countFilled(l));
  }
  // A few MB per statement at most (256 blocks ≈ 8 MiB of floats).
  for (let from = 0; from < blocks.length; from += 256) {
    const to = from + 256;
    await tx.$executeRawUnsafe(
      `INSERT INTO dynamics_blocks (run_id, epoch, block, loss, accuracy, filled, updated_at)
       SELECT $1::uuid, e, b, l, a, f, now() FROM unnest($2::int[], $3::int[], $4::bytea[], $5::bytea[], $6::int[]) AS u(e, b, l, a, f)
       ON CONFLICT (run_id, epoch, block) DO UPDATE SET loss = excluded.loss, accuracy = excluded.accuracy, filled = excluded.filled, updated_at = now()`,
      runId,
      epochs.slice(from, to),
      blocks.slice(from, to),
      losses.slice(from, to),
      accs.slice(from, to),
      filled.slice(from, to),
    );
  }
}

export interface MissingCell {
  ordinal: number;
  key: string;
  epoch: number;
}

export interface DynamicsCompleteness {
  examples: number;
  epochs: number;
  expected: number;
  received: number;
  missing: number;
}

/** Cells received so far (sum of `filled`), without reading any block's bytes. */
export async function dynamicsCompleteness(tx: DynamicsExecutor, runId: string, epochs: number, examples?: number): Promise<DynamicsCompleteness> {
  const N = examples ?? (await runExampleCount(tx, runId));
  const [row] = await runnerOf(tx)<{ received: bigint | number | string | null }>(
    `SELECT sum(filled)::int8 AS received FROM dynamics_blocks WHERE run_id = $1::uuid AND epoch < $2`,
    [runId, epochs],
  );
  const received = Number(row?.received ?? 0);
  const expected = N * epochs;
  return { examples: N, epochs, expected, received, missing: expected - received };
}

/**
 * The first `limit` missing cells in (ordinal, epoch) order, with their example keys: what an
 * error message shows so that a user can find the gap in their files.
 */
export async function findMissingCells(tx: RawExecutor, runId: string, epochs: number, examples: number, limit = 5): Promise<MissingCell[]> {
  const present = await tx.$queryRawUnsafe<{ epoch: number; block: number; filled: number }[]>(
    `SELECT epoch, block, filled FROM dynamics_blocks WHERE run_id = $1::uuid AND epoch < $2 ORDER BY block, epoch`,
    runId,
    epochs,
  );
  const filledOf = new Map(present.map((r) => [r.block * epochs + r.epoch, r.filled]));
  const found: { ordinal: number; epoch: number }[] = [];
  for (let b = 0; b < blockCount(examples) && found.length < limit; b++) {
    const length = blockLength(b, examples);
    const incomplete: number[] = [];
    for (let e = 0; e < epochs; e++) if ((filledOf.get(b * epochs + e) ?? 0) < length) incomplete.push(e);
    if (incomplete.length === 0) continue;
    const rows = await tx.$queryRawUnsafe<{ epoch: number; loss: Uint8Array }[]>(
      `SELECT epoch, loss FROM dynamics_blocks WHERE run_id = $1::uuid AND block = $2 AND epoch = ANY($3::int[])`,
      runId,
      b,
      incomplete,
    );
    const lossOf = new Map(rows.map((r) => [r.epoch, decodeFloat32(r.loss)]));
    for (let i = 0; i < length && found.length < limit; i++) {
      for (const e of incomplete) {
        const loss = lossOf.get(e);
        if (loss === undefined || Number.isNaN(loss[i]!)) found.push({ ordinal: b * BLOCK_SIZE + i, epoch: e });
        if (found.length >= limit) break;
      }
    }
  }
  if (found.length === 0) return [];
  const keys = await tx.$queryRawUnsafe<{ ordinal: number; key: string }[]>(
    `SELECT re.ordinal, e.key FROM run_examples re JOIN examples e ON e.id = re.example_id
      WHERE re.run_id = $1::uuid AND re.ordinal = ANY($2::int[])`,
    runId,
    found.map((f) => f.ordinal),
  );
  const keyOf = new Map(keys.map((k) => [k.ordinal, k.key]));
  return found.map((f) => ({ ...f, key: keyOf.get(f.ordinal) ?? "?" }));
}

/** "example "a" (ordinal 3) epoch 2, …" */
export const describeMissingCells = (cells: readonly MissingCell[]) =>
  cells.map((c) => `example ${JSON.stringify(c.key)} (ordinal ${c.ordinal}) epoch ${c.epoch}`).join(", ");

/** CONFLICT naming the first missing cells; thrown when dynamics are needed whole. */
export async function incompleteDynamicsError(tx: RawExecutor, runId: string, completeness: DynamicsCompleteness): Promise<DomainError> {
  const first = await findMissingCells(tx, runId, completeness.epochs, completeness.examples);
  return new DomainError(
    "CONFLICT",
    `run ${runId} lacks training dynamics for ${completeness.missing} of ${completeness.expected} cells ` +
      `(${completeness.examples} examples × ${completeness.epochs} epochs)` +
      (first.length ? `; first missing: ${describeMissingCells(first)}` : ""),
  );
}

export interface RunDynamicsMatrix {
  /** Example ids in run-ordinal order. */
  ids: string[];
  epochs: number;
  /** Row-major N × T: `loss[i * epochs + t]`, as libs/cartography consumes it. */
  loss: Float32Array;
  acc: Float32Array;
}

/** Blocks fetched per query: bounded memory for the driver's text buffers. */
const READ_BLOCKS_PER_QUERY = 32;

/**
 * Loads a run's whole dynamics matrix. Throws CONFLICT naming the first missing cells (run
 * ordinal, example key, epoch) unless every cell has been received.
 */
export async function readDynamicsMatrix(db: Database, runId: string): Promise<RunDynamicsMatrix> {
  const [run] = await db.sql<{ epochs: number }>(`SELECT epochs FROM runs WHERE id = $1::uuid`, [runId]);
  if (!run) throw notFound("Run", runId);
  const T = run.epochs;
  const [idRow] = await db.sql<{ ids: string | null }>(
    `SELECT string_agg(example_id::text, ',' ORDER BY ordinal) AS ids FROM run_examples WHERE run_id = $1::uuid`,
    [runId],
  );
  const ids = idRow?.ids ? idRow.ids.split(",") : [];
  const N = ids.length;
  const completeness = await dynamicsCompleteness(db.prisma, runId, T, N);
  if (completeness.missing > 0) throw await incompleteDynamicsError(db.prisma, runId, completeness);

  const loss = new Float32Array(N * T);
  const acc = new Float32Array(N * T);
  for (let from = 0; from < blockCount(N); from += READ_BLOCKS_PER_QUERY) {
    const rows = await db.sql<{ epoch: number; block: number; loss: Uint8Array; accuracy: Uint8Array }>(
      `SELECT epoch, block, loss, accuracy FROM dynamics_blocks
        WHERE run_id = $1::uuid AND block >= $2 AND block < $3 AND epoch < $4`,
      [runId, from, from + READ_BLOCKS_PER_QUERY, T],
    );
    for (const row of rows) {
      const l = decodeFloat32(row.loss);
      const a = decodeFloat32(row.accuracy);
      const base = row.block * BLOCK_SIZE;
      for (let i = 0, cell = base * T + row.epoch; i < l.length; i++, cell += T) {
        loss[cell] = l[i]!;
        acc[cell] = a[i]!;
      }
    }
  }
  // The filled counts said complete; a NaN here means they disagree with the bytes.
  for (let c = 0; c < loss.length; c++) {
    if (Number.isNaN(loss[c]!)) {
      throw new DomainError("CONFLICT", `run ${runId}: dynamics block counts disagree with their contents at ordinal ${Math.floor(c / T)} epoch ${c % T}`);
    }
  }
  return { ids, epochs: T, loss, acc };
}

export interface StoredTrajectory {
  epochs: number;
  /** Per epoch; null where the cell has not been received. */
  loss: (number | null)[];
  accuracy: (number | null)[];
}

/** One example's loss and accuracy over the epochs, cut out of its blocks by the server. */
export async function readTrajectory(db: Database, runId: string, exampleId: string): Promise<StoredTrajectory | null> {
  const [member] = await db.sql<{ ordinal: number; epochs: number }>(
    `SELECT re.ordinal, r.epochs FROM run_examples re JOIN runs r ON r.id = re.run_id WHERE re.run_id = $1::uuid AND re.example_id = $2::uuid`,
    [runId, exampleId],
  );
  if (!member) return null;
  const block = Math.floor(member.ordinal / BLOCK_SIZE);
  const offset = (member.ordinal - block * BLOCK_SIZE) * 4 + 1;
  const rows = await db.sql<{ epoch: number; l: Uint8Array; a: Uint8Array }>(
    `SELECT epoch, substring(loss FROM $4 FOR 4) AS l, substring(accuracy FROM $4 FOR 4) AS a
       FROM dynamics_blocks WHERE run_id = $1::uuid AND block = $2 AND epoch < $3`,
    [runId, block, member.epochs, offset],
  );
  const loss: (number | null)[] = new Array<number | null>(member.epochs).fill(null);
  const accuracy: (number | null)[] = new Array<number | null>(member.epochs).fill(null);
  for (const row of rows) {
    const l = decodeFloat32(row.l)[0]!;
    const a = decodeFloat32(row.a)[0]!;
    if (!Number.isNaN(l)) {
      loss[row.epoch] = l;
      accuracy[row.epoch] = a;
    }
  }
  return { epochs: member.epochs, loss, accuracy };
}
