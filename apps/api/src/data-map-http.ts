// The data map as an Apache Arrow IPC file: what the web app draws, and what an analyst loads
// with `pyarrow.ipc.open_file` / `pandas.read_feather`. Built once per run and score version,
// kept in memory (raw and gzip), so a request costs a token check, one primary-key read that
// proves the cache current, and a write of bytes already made.
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import {
  Bool,
  Dictionary,
  Field,
  Float32,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Uint8,
  Utf8,
  makeData,
  tableToIPC,
  vectorFromArray,
  type Data,
} from "apache-arrow";
import { QUADRANTS } from "@gdc/cartography";
import { dataMapVersion, GOVERNANCE_FLAGS, readDataMapColumns, type Database, type DataMapColumns, type RunGovernance } from "@gdc/db";

const gzip = promisify(gzipCallback);

/** `GET /export/runs/<runId>/data-map.arrow[?include=keys,ids]` */
export const DATA_MAP_PATH = /^\/export\/runs\/([^/]+)\/data-map\.arrow$/;
export const ARROW_FILE_TYPE = "application/vnd.apache.arrow.file";
/** Format tag in the schema metadata (`gdc.format`); bumped when columns change meaning. */
export const DATA_MAP_FORMAT = "gdc.data-map/1";

/** Optional columns of the data map, by their `?include=` name; each goes before the points' columns, in this order. */
export const DATA_MAP_INCLUDES = {
  keys: "example_key: the user's example key (the import id), to join the map to their own data",
  ids: "example_id: the example's id in GenDataCarto (UUID text), as GraphQL names it",
} as const;
export type DataMapInclude = keyof typeof DATA_MAP_INCLUDES;

/**
 * `?include=` as a set: comma-separated names, the parameter possibly repeated. An error message
 * naming the field for an unknown name.
 */
export function parseDataMapIncludes(search: URLSearchParams): Set<DataMapInclude> | string {
  const names = search
    .getAll("include")
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
  const known = Object.keys(DATA_MAP_INCLUDES);
  const unknown = names.find((n) => !known.includes(n));
  if (unknown !== undefined) {
    return `include: ${JSON.stringify(unknown.slice(0, 40))} is not a data map column; known: ${Object.entries(DATA_MAP_INCLUDES)
      .map(([k, v]) => `"${k}" (${v})`)
      .join(", ")}`;
  }
  return new Set(names as DataMapInclude[]);
}

/**
 * Encodes a run's data map as an Arrow IPC file. Row i is run ordinal i: the run's i-th training
 * example in import order. Columns: with `keys` first an `example_key` column (the user's key,
 * as the caller may see it), with `ids` an `example_id` column (UUID text), then `difficulty`
 * and `memorization` (float32, as stored), `quadrant` (dictionary of the four quadrant names,
 * uint8 codes), `is_canary` (bool). Schema metadata: gdc.format, gdc.runId, gdc.count,
 * gdc.thresholds (JSON), gdc.memorizationSignal (which signal the `memorization` column is:
 * Run.memorizationSignal).
 */
export function encodeDataMapArrow(c: DataMapColumns, options: { ids: boolean; keys?: readonly string[] | null }): Uint8Array {
  const n = c.count;
  const quadrantType = new Dictionary(new Utf8(), new Uint8(), 0, false);
  const fields: Field[] = [];
  const children: Data[] = [];
  if (options.keys) {
    fields.push(new Field("example_key", new Utf8(), false));
    children.push(vectorFromArray(options.keys, new Utf8()).data[0]!);
  }
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

/** `GET /export/runs/<runId>/governance.arrow`: the data map's governance column, a file of its own. */
export const GOVERNANCE_PATH = /^\/export\/runs\/([^/]+)\/governance\.arrow$/;
export const GOVERNANCE_FORMAT = "gdc.governance/1";

/**
 * Encodes a run's governance column (libs/db readRunGovernance) as an Arrow IPC file: one
 * column `governance` (uint8 bit flags, GOVERNANCE_FLAGS: 1 pending, 2 approved, 4 rejected,
 * 8 pruned, 16 down-weighted; 0 nothing), row i = run ordinal i, the data map's row order.
 * Kept apart from data-map.arrow because it changes with every proposal and review while the
 * points change only when the run is re-scored: the big file stays cached, this one (one byte
 * a point, mostly zeros: a few KB gzip at 1 M points) is read fresh each time. Schema
 * metadata: gdc.format, gdc.runId, gdc.count, gdc.flags (JSON name → bit), gdc.versions (JSON:
 * the versions read, the run's and its children).
 */
export function encodeGovernanceArrow(g: RunGovernance): Uint8Array {
  const fields = [new Field("governance", new Uint8(), false)];
  const metadata = new Map([
    ["gdc.format", GOVERNANCE_FORMAT],
    ["gdc.runId", g.runId],
    ["gdc.count", String(g.count)],
    ["gdc.flags", JSON.stringify(GOVERNANCE_FLAGS)],
    ["gdc.versions", JSON.stringify(g.versions)],
  ]);
  const schema = new Schema(fields, metadata);
  const batch = new RecordBatch(
    schema,
    makeData({ type: new Struct(fields), length: g.count, children: [makeData({ type: new Uint8(), length: g.count, data: g.flags })] }),
  );
  return tableToIPC(new Table(schema, [batch]), "file");
}

export interface EncodedVariant {
  raw: Buffer;
  gzip: Buffer;
  etag: string;
}

/** What a caller's file holds: the optional columns, and whether its keys are redacted (visibleExampleKey). */
export interface DataMapVariantRequest {
  include: ReadonlySet<DataMapInclude>;
  canarySecretsVisible: boolean;
}

interface Entry {
  runId: string;
  version: string;
  count: number;
  tag: string;
  columns: DataMapColumns;
  /** Encoded files by variant name, made on first request. */
  variants: Map<string, Promise<EncodedVariant>>;
  bytes: number;
}

const variantName = (request: DataMapVariantRequest) => {
  const keys = request.include.has("keys") ? (request.canarySecretsVisible ? "-keys" : "-keys-redacted") : "";
  return `${keys}${request.include.has("ids") ? "-ids" : ""}`;
};

async function encodeVariant(c: DataMapColumns, request: DataMapVariantRequest, tag: string): Promise<EncodedVariant> {
  const keys = request.include.has("keys") ? (request.canarySecretsVisible ? c.keys : c.redactedKeys) : null;
  const raw = Buffer.from(encodeDataMapArrow(c, { ids: request.include.has("ids"), keys }));
  return { raw, gzip: await gzip(raw), etag: `"${tag}${variantName(request)}"` };
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

  /** The run's current data map, encoded as `request` asks; "no-run" or "no-scores" when there is none. */
  async get(runId: string, request: DataMapVariantRequest): Promise<{ count: number; variant: EncodedVariant } | "no-run" | "no-scores"> {
    const entry = await this.entry(runId);
    if (typeof entry === "string") return entry;
    const name = variantName(request);
    let variant = entry.variants.get(name);
    if (!variant) {
      variant = encodeVariant(entry.columns, request, entry.tag);
      entry.variants.set(name, variant);
      const encoded = await variant;
      const bytes = encoded.raw.length + encoded.gzip.length;
      entry.bytes += bytes;
      if (this.entries.get(runId) === entry) this.bytes += bytes;
    }
    return { count: entry.count, variant: await variant };
  }

  private async entry(runId: string): Promise<Entry | "no-run" | "no-scores"> {
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
    const entry: Entry = {
      runId,
      version: columns.version,
      count: columns.count,
      tag: versionTag(runId, columns.version),
      columns,
      variants: new Map(),
      // The columns themselves: 4 + 4 + 1 + 1 bytes a point, and the id and key strings (~2 bytes a character).
      bytes: columns.count * 10 + columns.count * 2 * (36 + (columns.keys[0]?.length ?? 0)),
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
