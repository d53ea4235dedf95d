// Bulk binary ingest of training dynamics: `POST /ingest/runs/<runId>/dynamics[?epoch=N]` with
// an Apache Arrow IPC body (stream or file format). One request is one chunk of the GraphQL
// `ingestDynamics` mutation — the same service call (ingestDynamics, given the body's columns
// instead of an object per cell), so the same validation,
// idempotency, all-or-nothing transaction and audit event — without ~70 bytes of JSON per cell.
//
// The body, one row per (example, epoch) cell (column names exact; no other columns):
//   example_key  utf8 (or large_utf8), non-null  the example's key: the `id` given at import
//   epoch        any integer type, non-null      optional: else the `epoch` query parameter
//                                                (with both, every row must equal it)
//   loss         float32 or float64, non-null    mean per-token cross-entropy, nats, ≥ 0
//   accuracy     float32 or float64, non-null    token accuracy in [0, 1]; or instead:
//   correct      bool, non-null                  a classifier's correctness (1 / 0)
// One of accuracy / correct is required: scoring needs both values of every cell (correctness,
// and "auto" tells classifier input by its 0/1 accuracies), so a missing one has no neutral value.
// At most MAX_CELLS_PER_CHUNK rows and MAX_DYNAMICS_BODY_BYTES bytes per request.
//
// The answer is the mutation's IngestResult as JSON: {accepted, unchanged, received, missing};
// errors are {errors: [{message, extensions: {code, field}}]}, where a cell's field is
// `rows[i].<column>` (i counts rows from 0 across the body's record batches).
import { createHash } from "node:crypto";
import http from "node:http";
import {
  Field,
  Float32,
  Int32,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Type,
  Utf8,
  makeData,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
  type Data,
  type Vector,
} from "apache-arrow";
import { DomainError, MAX_CELLS_PER_CHUNK, actorFor, ingestDynamics, type DynamicsColumnsInput, type IngestDynamicsResult } from "@gdc/db";
import { authenticate, type ApiDeps } from "./context.ts";
import { authorize } from "./permissions.ts";

/** `POST /ingest/runs/<runId>/dynamics` */
export const DYNAMICS_INGEST_PATH = /^\/ingest\/runs\/([^/]+)\/dynamics$/;
export const dynamicsIngestPath = (runId: string, epoch?: number) =>
  `/ingest/runs/${encodeURIComponent(runId)}/dynamics${epoch === undefined ? "" : `?epoch=${epoch}`}`;
export const ARROW_STREAM_TYPE = "application/vnd.apache.arrow.stream";
const ACCEPTED_TYPES = [ARROW_STREAM_TYPE, "application/vnd.apache.arrow.file", "application/octet-stream"];
/** Schema metadata `gdc.format` the encoder writes (not required from other writers). */
export const DYNAMICS_FORMAT = "gdc.dynamics/1";
/**
 * The one size limit of a bulk ingest request body. MAX_CELLS_PER_CHUNK rows (the service's
 * limit) of keys up to ~300 bytes fit: ~8 + 4 + 4 bytes per row besides the key.
 */
export const MAX_DYNAMICS_BODY_BYTES = 64 * 1024 * 1024;
const COLUMNS = ["example_key", "epoch", "loss", "accuracy", "correct"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface DynamicsBatch {
  /** One per row: the keys, or their column (dynamicsKeyColumn), built once and reused every epoch. */
  keys: readonly string[] | Data<Utf8>;
  /** The rows' epoch: one for all (sent as ?epoch=N, no column), or one per row (an epoch column). */
  epoch: number | ArrayLike<number>;
  loss: ArrayLike<number>;
  accuracy: ArrayLike<number>;
}

/**
 * Encodes a batch as an Arrow IPC stream with the columns above (float32 loss and accuracy, as
 * stored). With a single `epoch` no epoch column is written: send it as `?epoch=N`
 * (dynamicsIngestPath).
 */
export function encodeDynamicsArrow(batch: DynamicsBatch): Uint8Array {
  const keys = Array.isArray(batch.keys) ? dynamicsKeyColumn(batch.keys) : (batch.keys as Data<Utf8>);
  const n = keys.length;
  if (batch.loss.length !== n || batch.accuracy.length !== n || (typeof batch.epoch !== "number" && batch.epoch.length !== n)) {
    throw new Error(`encodeDynamicsArrow: ${n} keys, ${batch.loss.length} losses, ${batch.accuracy.length} accuracies`);
  }
  const fields: Field[] = [new Field("example_key", new Utf8(), false)];
  const children: Data[] = [keys];
  if (typeof batch.epoch !== "number") {
    fields.push(new Field("epoch", new Int32(), false));
    children.push(makeData({ type: new Int32(), length: n, data: Int32Array.from(batch.epoch) }));
  }
  const float32 = (v: ArrayLike<number>) => (v instanceof Float32Array ? v : Float32Array.from(v));
  fields.push(new Field("loss", new Float32(), false), new Field("accuracy", new Float32(), false));
  children.push(
    makeData({ type: new Float32(), length: n, data: float32(batch.loss) }),
    makeData({ type: new Float32(), length: n, data: float32(batch.accuracy) }),
  );
  const schema = new Schema(fields, new Map([["gdc.format", DYNAMICS_FORMAT]]));
  return tableToIPC(new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, children }))]), "stream");
}

/** The example_key column of `keys`, built once and reusable for every epoch of the same rows. */
export function dynamicsKeyColumn(keys: readonly string[]): Data<Utf8> {
  return vectorFromArray(keys as string[], new Utf8()).data[0]! as Data<Utf8>;
}

const rowError = (row: number, column: string, message: string) =>
  new DomainError("BAD_USER_INPUT", `rows[${row}].${column}: ${message}`, `rows[${row}].${column}`);
const columnError = (column: string, message: string) => new DomainError("BAD_USER_INPUT", `${column}: ${message}`, column);

/** The first null of a column (row across chunks), or -1. */
function firstNull(vector: Vector): number {
  if (vector.nullCount === 0) return -1;
  for (let i = 0; i < vector.length; i++) if (!vector.isValid(i)) return i;
  return -1;
}

/** Strings of a utf8 / large_utf8 column, decoded a chunk at a time (one decode when it is ASCII). */
function readKeys(vector: Vector): string[] {
  const out = new Array<string>(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const offsets = data.valueOffsets as Int32Array | BigInt64Array;
    const values = data.values as Uint8Array;
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const at = (i: number) => Number(offsets[data.offset + i]!);
    const first = at(0);
    const last = at(data.length);
    const text = bytes.toString("latin1", first, last);
    // eslint-disable-next-line no-control-regex
    if (!/[^\x00-\x7f]/.test(text)) {
      for (let i = 0; i < data.length; i++) out[row++] = text.substring(at(i) - first, at(i + 1) - first);
    } else {
      for (let i = 0; i < data.length; i++) out[row++] = bytes.toString("utf8", at(i), at(i + 1));
    }
  }
  return out;
}

/**
 * SHA-256 over each chunk's length, offsets and value bytes: equal digests mean the same keys in
 * the same order (ingestDynamics then reuses the column's ordinals: DynamicsColumnsInput.keysDigest).
 */
function digestKeys(vector: Vector): string {
  const hash = createHash("sha256");
  for (const data of vector.data) {
    const offsets = data.valueOffsets as Int32Array | BigInt64Array;
    const values = data.values as Uint8Array;
    const width = offsets.BYTES_PER_ELEMENT;
    hash.update(`${data.length}:${data.offset}:${width};`);
    hash.update(new Uint8Array(offsets.buffer, offsets.byteOffset + data.offset * width, (data.length + 1) * width));
    hash.update(values);
  }
  return hash.digest("base64");
}

/** A numeric column as numbers (typed array views where the body has one chunk). */
function readNumbers(vector: Vector): ArrayLike<number> {
  if (vector.data.length === 1 && vector.type.typeId === Type.Float) {
    const d = vector.data[0]!;
    return (d.values as Float32Array | Float64Array).subarray(d.offset, d.offset + d.length);
  }
  const out = new Float64Array(vector.length);
  let row = 0;
  for (const d of vector.data) {
    const values = d.values as ArrayLike<number | bigint>;
    for (let i = 0; i < d.length; i++) out[row++] = Number(values[d.offset + i]!);
  }
  return out;
}

function readBools(vector: Vector): Float64Array {
  const out = new Float64Array(vector.length);
  let row = 0;
  for (const d of vector.data) {
    const bits = d.values as Uint8Array;
    for (let i = 0; i < d.length; i++) {
      const bit = d.offset + i;
      out[row++] = (bits[bit >> 3]! >> (bit & 7)) & 1;
    }
  }
  return out;
}

/**
 * Reads an Arrow IPC body into the service's cells. Checks the body's shape (columns, their
 * types, nulls, the epoch) and refuses it naming the column or row; the values themselves
 * (finite, non-negative loss, accuracy in [0, 1], known keys, epochs in range, no repeated
 * cell) are checked by ingestDynamics, whose errors the handler renames to rows[i].<column>.
 */
export function decodeDynamicsArrow(body: Uint8Array, options: { epoch?: number } = {}): DynamicsColumnsInput {
  let table: Table;
  try {
    table = tableFromIPC(body);
  } catch (err) {
    throw columnError("body", `is not an Arrow IPC stream or file (${err instanceof Error ? err.message : String(err)})`);
  }
  const names = table.schema.fields.map((f) => f.name);
  const unknown = names.find((n) => !COLUMNS.includes(n));
  if (unknown !== undefined) throw columnError(unknown, `unknown column; the columns are example_key, epoch (or ?epoch=N), loss, and accuracy or correct`);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) throw columnError(repeated, "appears twice");
  const n = table.numRows;
  if (n > MAX_CELLS_PER_CHUNK) throw columnError("rows", `at most ${MAX_CELLS_PER_CHUNK} rows per request, got ${n}; split the epoch into shards`);

  const column = (name: string, accept: (t: Type) => boolean, expected: string): Vector | null => {
    const vector = table.getChild(name);
    if (!vector) return null;
    if (!accept(vector.type.typeId)) throw columnError(name, `must be ${expected}, got ${String(vector.type)}`);
    const nul = firstNull(vector);
    if (nul >= 0) throw rowError(nul, name, "is null");
    return vector;
  };
  const isInt = (t: Type) => t === Type.Int;
  const isFloat = (t: Type) => t === Type.Float;
  const keyVector = column("example_key", (t) => t === Type.Utf8 || t === Type.LargeUtf8, "a string column (utf8): send keys as strings, e.g. str(i)");
  if (!keyVector) throw columnError("example_key", "missing: a string column of example keys is required");
  const lossVector = column("loss", isFloat, "a float column (float32 or float64)");
  if (!lossVector) throw columnError("loss", "missing: a float column of losses is required");
  const accuracyVector = column("accuracy", isFloat, "a float column (float32 or float64)");
  const correctVector = column("correct", (t) => t === Type.Bool, "a bool column");
  if (accuracyVector && correctVector) throw columnError("correct", "give accuracy or correct, not both");
  if (!accuracyVector && !correctVector) throw columnError("accuracy", "missing: a float column accuracy (in [0, 1]) or a bool column correct is required");
  const epochVector = column("epoch", isInt, "an integer column");
  if (!epochVector && options.epoch === undefined) throw columnError("epoch", "missing: give ?epoch=N for the whole request, or an integer epoch column");

  const epochs = epochVector ? readNumbers(epochVector) : null;
  if (epochs && options.epoch !== undefined) {
    for (let i = 0; i < n; i++) {
      if (epochs[i] !== options.epoch) throw rowError(i, "epoch", `is ${epochs[i]}, but the request is for epoch ${options.epoch} (?epoch=${options.epoch})`);
    }
  }
  return {
    exampleKey: readKeys(keyVector),
    keysDigest: digestKeys(keyVector),
    epoch: epochs ?? options.epoch!,
    loss: readNumbers(lossVector),
    accuracy: accuracyVector ? readNumbers(accuracyVector) : readBools(correctVector!),
  };
}

/** The service's cell names (cells[i].exampleKey) as the body's (rows[i].example_key). */
function renameCells(err: DomainError): DomainError {
  const rename = (s: string) => s.replace(/\bcells\[/g, "rows[").replace(/\bexampleKey\b/g, "example_key");
  return new DomainError(err.code, rename(err.message), err.field === undefined ? undefined : rename(err.field));
}

const STATUS: Record<string, number> = { BAD_USER_INPUT: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409 };

function sendError(res: http.ServerResponse, status: number, code: string, message: string, field?: string) {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ errors: [{ message, extensions: { code, ...(field ? { field } : {}) } }] }));
}

/** The request body, or null (and a 413 answered) beyond `limit` bytes. */
async function readLimitedBody(req: http.IncomingMessage, res: http.ServerResponse, limit: number): Promise<Buffer | null> {
  const tooLarge = () => {
    req.resume();
    res.setHeader("connection", "close");
    sendError(res, 413, "PAYLOAD_TOO_LARGE", `Request body exceeds ${limit} bytes: send fewer rows per request (at most ${MAX_CELLS_PER_CHUNK})`);
    return null;
  };
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Answers `POST /ingest/runs/<raw runId>/dynamics`. Checked in this order, each answered
 * before the next is looked at: the method, a valid bearer token (401), the ingestDynamics
 * permission (403, MUTATION_PERMISSIONS), the run id (a UUID), the query, the content type,
 * the body size (413); then the body (400 naming the column or row) and the service's own
 * checks (400 / 404 / 409). Nothing is written unless the whole request is accepted.
 */
export async function handleDynamicsIngest(
  deps: ApiDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  rawRunId: string,
  search: URLSearchParams,
): Promise<void> {
  const refuse = (status: number, code: string, message: string, field?: string) => {
    req.resume();
    sendError(res, status, code, message, field);
  };
  if (req.method !== "POST") {
    res.setHeader("allow", "POST");
    return refuse(405, "BAD_REQUEST", "Use POST");
  }
  const user = await authenticate(deps, req.headers);
  let runId: string;
  try {
    authorize({ user }, "ingestDynamics");
    runId = decodeURIComponent(rawRunId);
  } catch (err) {
    if (err instanceof DomainError) return refuse(STATUS[err.code] ?? 400, err.code, err.message);
    return refuse(400, "BAD_USER_INPUT", "runId: the path has a malformed percent-escape", "runId");
  }
  if (!UUID.test(runId)) return refuse(400, "BAD_USER_INPUT", `runId: ${JSON.stringify(runId.slice(0, 80))} is not a UUID`, "runId");
  const unknownParam = [...search.keys()].find((k) => k !== "epoch");
  if (unknownParam !== undefined) return refuse(400, "BAD_USER_INPUT", `${unknownParam}: unknown query parameter (only epoch)`, unknownParam);
  const epochParam = search.get("epoch");
  if (epochParam !== null && !/^(0|[1-9][0-9]{0,8})$/.test(epochParam)) {
    return refuse(400, "BAD_USER_INPUT", `epoch: must be a non-negative integer, got ${JSON.stringify(epochParam.slice(0, 40))}`, "epoch");
  }
  const type = String(req.headers["content-type"] ?? "")
    .split(";")[0]!
    .trim()
    .toLowerCase();
  if (!ACCEPTED_TYPES.includes(type)) {
    return refuse(
      415,
      "BAD_REQUEST",
      `content-type: send the body as ${ARROW_STREAM_TYPE} (an Arrow IPC stream; the file format is read too), got ${JSON.stringify(type)}`,
    );
  }
  const body = await readLimitedBody(req, res, MAX_DYNAMICS_BODY_BYTES);
  if (!body) return;

  let result: IngestDynamicsResult;
  try {
    const columns = decodeDynamicsArrow(body, { epoch: epochParam === null ? undefined : Number(epochParam) });
    result = await ingestDynamics(deps.db, actorFor(user!), { runId, columns });
  } catch (err) {
    if (err instanceof DomainError) {
      const e = renameCells(err);
      return sendError(res, STATUS[e.code] ?? 400, e.code, e.message, e.field);
    }
    throw err;
  }
  res.statusCode = 200;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(result));
}
