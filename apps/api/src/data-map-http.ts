// The data map as an Apache Arrow IPC file: what the web app draws, and what an analyst loads
// with `pyarrow.ipc.open_file` / `pandas.read_feather`. Built once per run and score version,
// kept in memory (raw and gzip), so a request costs a token check, one primary-key read that
// proves the cache current, and a write of bytes already made.
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { Bool, Dictionary, Field, Float32, RecordBatch, Schema, Struct, Table, Uint8, Utf8, makeData, tableToIPC, vectorFromArray, type Data } from "apache-arrow";
import { QUADRANTS } from "@gdc/cartography";
import { dataMapVersion, readDataMapColumns, type Database, type DataMapColumns } from "@gdc/db";

const gzip = promisify(gzipCallback);

/** `GET /export/runs/<runId>/data-map.arrow[?include=ids]` */
export const DATA_MAP_PATH = /^\/export\/runs\/([^/]+)\/data-map\.arrow$/;
export const ARROW_FILE_TYPE = "application/vnd.apache.arrow.file";
/** Format tag in the schema metadata (`gdc.format`); bumped when columns change meaning. */
export const DATA_MAP_FORMAT = "gdc.data-map/1";

/**
 * Encodes a run's data map as an Arrow IPC file. Row i is run ordinal i. Columns:
 * `difficulty` and `memorization` (float32, as stored), `quadrant` (dictionary of the four
 * quadrant names, uint8 codes), `is_canary` (bool), and with `ids` first an `example_id`
 * column (UUID text). Schema metadata: gdc.format, gdc.runId, gdc.count, gdc.thresholds (JSON),
 * gdc.memorizationSignal (which signal the `memorization` column is: Run.memorizationSignal).
 */
export function encodeDataMapArrow(c: DataMapColumns, options: { ids: boolean }): Uint8Array {
  const n = c.count;
  const quadrantType = new Dictionary(new Utf8(), new Uint8(), 0, false);
  const fields: Field[] = [];
  const children: Data[] = [];
  if (options.ids) {
    fields.push(new Field("example_id", new Utf8(), false));
    children.push(vectorFromArray(c.ids, new Utf8()).data[0]!);
  }
  fields.push(new Field("difficulty", new Float32(), false), new Field("memorization", new Float32(), false));
  children.push(makeData({ type: new Float32(), length: n, data: c.difficulty }), makeData({ type: new Float32(), length: n, data: c.memorization }));
  fields.push(new Field("quadrant", quadrantType, false));
  children.push(makeData({ type: quadrantType, length: n, data: c.quadrant, dictionary: vectorFromArray([...QUADRANTS], new Utf8()) }));
  fields.push(new Field("is_canary", new Bool(), false));
  const bits = new Uint8Array(Math.ceil(n / 8));
  for (let i = 0; i < n; i++) if (c.isCanary[i]) bits[i >> 3]! |= 1 << (i & 7);
  children.push(makeData({ type: new Bool(), length: n, data: bits }));
  const metadata = new Map([
    ["gdc.format", DATA_MAP_FORMAT],
    ["gdc.runId", c.runId],
    ["gdc.count", String(n)],
    ["gdc.thresholds", JSON.stringify(c.thresholds)],
    ["gdc.memorizationSignal", c.memorizationSignal],
  ]);
  const schema = new Schema(fields, metadata);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, children }));
  return tableToIPC(new Table(schema, [batch]), "file");
}

export interface EncodedVariant {
  raw: Buffer;
  gzip: Buffer;
  etag: string;
}

interface Entry {
  runId: string;
  version: string;
  count: number;
  points: EncodedVariant;
  withIds: EncodedVariant;
  bytes: number;
}

async function encodeVariant(c: DataMapColumns, ids: boolean, tag: string): Promise<EncodedVariant> {
  const raw = Buffer.from(encodeDataMapArrow(c, { ids }));
  return { raw, gzip: await gzip(raw), etag: `"${tag}${ids ? "-ids" : ""}"` };
}

/** A short, stable tag of (run, score version) for ETags. */
const versionTag = (runId: string, version: string) => createHash("sha256").update(`${runId}|${version}`).digest("base64url").slice(0, 16);

/**
 * Encoded data maps by run, least recently used evicted beyond `maxBytes`. An entry is
 * served only while its score version is the run's current one (checked on every request),
 * so re-scoring a run is visible at once, in every process. Concurrent misses for one run
 * share one load.
 */
export class DataMapCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry | null>>();
  private bytes = 0;

  constructor(
    private readonly db: Database,
    private readonly maxBytes = 256 * 1024 * 1024,
  ) {}

  /** The run's current encoded data map; "no-run" or "no-scores" when there is none. */
  async get(runId: string): Promise<Entry | "no-run" | "no-scores"> {
    const version = await dataMapVersion(this.db, runId);
    if (version === null) return "no-run";
    const cached = this.entries.get(runId);
    if (cached && cached.version === version) {
      // Most recently used last.
      this.entries.delete(runId);
      this.entries.set(runId, cached);
      return cached;
    }
    let load = this.loading.get(runId);
    if (!load) {
      load = this.load(runId).finally(() => this.loading.delete(runId));
      this.loading.set(runId, load);
    }
    const entry = await load;
    return entry ?? "no-scores";
  }

  private async load(runId: string): Promise<Entry | null> {
    const columns = await readDataMapColumns(this.db, runId);
    if (!columns) return null;
    const tag = versionTag(runId, columns.version);
    const [points, withIds] = await Promise.all([encodeVariant(columns, false, tag), encodeVariant(columns, true, tag)]);
    const entry: Entry = {
      runId,
      version: columns.version,
      count: columns.count,
      points,
      withIds,
      bytes: points.raw.length + points.gzip.length + withIds.raw.length + withIds.gzip.length,
    };
    const previous = this.entries.get(runId);
    if (previous) {
      this.entries.delete(runId);
      this.bytes -= previous.bytes;
    }
    this.entries.set(runId, entry);
    this.bytes += entry.bytes;
    for (const [key, old] of this.entries) {
      if (this.bytes <= this.maxBytes || key === runId) break;
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    return entry;
  }
}
