// The data map as the API serves it: an Apache Arrow IPC file
// (`GET /export/runs/<runId>/data-map.arrow[?include=ids]`, see apps/api/src/data-map-http.ts).
// Decoding keeps the columns as the typed arrays Arrow already holds them in (zero-copy for
// the usual single record batch), so 100 k points cost no per-point work here; model.ts's
// prepareDataMap turns them into what the canvas draws.
import { tableFromIPC, type Data, type Dictionary, type Utf8, type Vector } from "apache-arrow";

/** `gdc.format` in the schema metadata: the only format this decoder understands. */
export const DATA_MAP_FORMAT = "gdc.data-map/1";

export interface Thresholds {
  difficulty: number;
  memorization: number;
  source: string;
}

/** A run's data map columns, row i = run ordinal i. */
export interface DataMapColumns {
  /** `gdc.runId` from the file; null when the file does not say. */
  runId: string | null;
  count: number;
  difficulty: Float32Array;
  memorization: Float32Array;
  /** Per point: index into `quadrantNames` (the file's dictionary, in the file's order). */
  quadrant: Uint8Array;
  quadrantNames: string[];
  /** Canary flags, bit-packed as Arrow stores them: point i is bit (canaryBitOffset + i), least significant bit first. */
  canaryBits: Uint8Array;
  canaryBitOffset: number;
  thresholds: Thresholds;
  /**
   * `gdc.memorizationSignal`: which signal the memorization column is (Run.memorizationSignal,
   * e.g. "lossDrop" or the paper's "forgetFrequency"); null when the file does not say.
   */
  memorizationSignal: string | null;
  /** The `example_id` column (`?include=ids`), else null. */
  ids: ExampleIds | null;
}

/**
 * Example ids by point index, decoded one at a time from the Arrow Utf8 column (no array of
 * 100 k strings is built unless a caller asks for that many).
 */
export class ExampleIds {
  private readonly chunks: { start: number; end: number; offsets: Int32Array; bytes: Uint8Array }[];
  readonly count: number;

  constructor(vector: Vector<Utf8>) {
    let start = 0;
    this.chunks = vector.data.map((data) => {
      const chunk = {
        start,
        end: start + data.length,
        // valueOffsets has length + 1 entries past the slice's own offset.
        offsets: data.valueOffsets.subarray(data.offset, data.offset + data.length + 1),
        bytes: data.values,
      };
      start += data.length;
      return chunk;
    });
    this.count = start;
  }

  /** The id of point i (throws when i is out of range: a wrong id is never invented). */
  get(i: number): string {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`no example id for point ${i} (of ${this.count})`);
    let chunk = this.chunks[0]!;
    for (const c of this.chunks) {
      if (i < c.end) {
        chunk = c;
        break;
      }
    }
    const k = i - chunk.start;
    const from = chunk.offsets[k]!;
    const to = chunk.offsets[k + 1]!;
    const bytes = chunk.bytes.subarray(from, to);
    // UUID text is ASCII: one fromCharCode is several times faster than a TextDecoder call.
    let ascii = true;
    for (let b = 0; b < bytes.length; b++) {
      if (bytes[b]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    return ascii ? String.fromCharCode.apply(null, bytes as unknown as number[]) : utf8.decode(bytes);
  }

  /** The ids of the given points, in that order. */
  pick(indices: readonly number[]): string[] {
    const out = new Array<string>(indices.length);
    for (let k = 0; k < indices.length; k++) out[k] = this.get(indices[k]!);
    return out;
  }
}

const utf8 = new TextDecoder();

/** Thrown for a file that is not a data map this app can draw. */
export class DataMapFormatError extends Error {
  override name = "DataMapFormatError";
}

function floatColumn(vector: Vector | null, name: string, count: number): Float32Array {
  if (!vector) throw new DataMapFormatError(`the data map has no "${name}" column`);
  // One batch: a view of the file's own buffer; several: one concatenated copy.
  const values = vector.toArray() as unknown;
  if (!(values instanceof Float32Array) || values.length !== count) throw new DataMapFormatError(`"${name}" is not a float32 column of ${count} values`);
  return values;
}

/** Dictionary codes per point, remapped onto one list of names if the batches' dictionaries differ. */
function quadrantColumn(vector: Vector<Dictionary<Utf8>> | null, count: number): { codes: Uint8Array; names: string[] } {
  if (!vector) throw new DataMapFormatError('the data map has no "quadrant" column');
  const chunks = vector.data as Data<Dictionary<Utf8>>[];
  const names: string[] = [];
  const remaps = chunks.map((data) => {
    const dictionary = (data.dictionary?.toArray() ?? []) as string[];
    return dictionary.map((name) => {
      let q = names.indexOf(name);
      if (q < 0) q = names.push(name) - 1;
      return q;
    });
  });
  if (names.length > 255) throw new DataMapFormatError("too many quadrant names");
  const first = chunks[0];
  const identity = chunks.length === 1 && remaps[0]!.every((q, k) => q === k);
  if (first && identity && first.values instanceof Uint8Array) {
    // The usual case: the file's codes as they are (the buffer is padded past `length`).
    return { codes: first.values.subarray(first.offset, first.offset + first.length), names };
  }
  const codes = new Uint8Array(count);
  let at = 0;
  chunks.forEach((data, c) => {
    const remap = remaps[c]!;
    const values = data.values as ArrayLike<number>;
    for (let k = 0; k < data.length; k++) {
      const code = values[data.offset + k]!;
      const q = remap[code];
      if (q === undefined) throw new DataMapFormatError(`quadrant code ${code} is outside its dictionary`);
      codes[at++] = q;
    }
  });
  return { codes, names };
}

/** The canary bits, as stored for one batch; repacked from offset 0 for several. */
function canaryColumn(vector: Vector | null, count: number): { bits: Uint8Array; offset: number } {
  if (!vector) throw new DataMapFormatError('the data map has no "is_canary" column');
  const chunks = vector.data;
  if (chunks.length === 1) return { bits: chunks[0]!.values as Uint8Array, offset: chunks[0]!.offset };
  const bits = new Uint8Array(Math.ceil(count / 8));
  let at = 0;
  for (const data of chunks) {
    const source = data.values as Uint8Array;
    for (let k = 0; k < data.length; k++, at++) {
      const b = data.offset + k;
      if ((source[b >> 3]! >> (b & 7)) & 1) bits[at >> 3]! |= 1 << (at & 7);
    }
  }
  return { bits, offset: 0 };
}

function parseThresholds(text: string | undefined): Thresholds {
  try {
    const t = JSON.parse(text ?? "null") as Partial<Thresholds> | null;
    if (t && typeof t.difficulty === "number" && typeof t.memorization === "number") {
      return { difficulty: t.difficulty, memorization: t.memorization, source: String(t.source ?? "") };
    }
  } catch {
    // fall through
  }
  throw new DataMapFormatError("the data map's gdc.thresholds metadata is missing or not valid JSON");
}

/** Decodes the bytes of a data-map Arrow IPC file (the `file` format; the `stream` format reads too). */
export function decodeDataMapArrow(bytes: Uint8Array): DataMapColumns {
  const table = tableFromIPC(bytes);
  const metadata = table.schema.metadata;
  const format = metadata.get("gdc.format");
  if (format !== undefined && format !== DATA_MAP_FORMAT)
    throw new DataMapFormatError(`unknown data map format "${format}" (this app reads ${DATA_MAP_FORMAT})`);
  const count = table.numRows;
  const declared = metadata.get("gdc.count");
  if (declared !== undefined && Number(declared) !== count) throw new DataMapFormatError(`the data map says ${declared} points but has ${count} rows`);
  const quadrant = quadrantColumn(table.getChild("quadrant") as Vector<Dictionary<Utf8>> | null, count);
  const canary = canaryColumn(table.getChild("is_canary"), count);
  const idVector = table.getChild("example_id") as Vector<Utf8> | null;
  return {
    runId: metadata.get("gdc.runId") ?? null,
    count,
    difficulty: floatColumn(table.getChild("difficulty"), "difficulty", count),
    memorization: floatColumn(table.getChild("memorization"), "memorization", count),
    quadrant: quadrant.codes,
    quadrantNames: quadrant.names,
    canaryBits: canary.bits,
    canaryBitOffset: canary.offset,
    thresholds: parseThresholds(metadata.get("gdc.thresholds")),
    memorizationSignal: metadata.get("gdc.memorizationSignal") || null,
    ids: idVector ? new ExampleIds(idVector) : null,
  };
}

/** `gdc.format` of the governance file (`GET /export/runs/<runId>/governance.arrow`). */
export const GOVERNANCE_FORMAT = "gdc.governance/1";

/** The data map's governance column: GOVERNANCE_FLAGS bits per point, row i = run ordinal i. */
export interface GovernanceColumn {
  runId: string | null;
  count: number;
  flags: Uint8Array;
}

/** Decodes the bytes of a governance Arrow IPC file. */
export function decodeGovernanceArrow(bytes: Uint8Array): GovernanceColumn {
  const table = tableFromIPC(bytes);
  const metadata = table.schema.metadata;
  const format = metadata.get("gdc.format");
  if (format !== GOVERNANCE_FORMAT) throw new DataMapFormatError(`unknown governance format "${format ?? ""}" (this app reads ${GOVERNANCE_FORMAT})`);
  const vector = table.getChild("governance");
  if (!vector) throw new DataMapFormatError('the governance file has no "governance" column');
  const values = vector.toArray() as unknown;
  if (!(values instanceof Uint8Array) || values.length !== table.numRows) throw new DataMapFormatError('"governance" is not a uint8 column');
  return { runId: metadata.get("gdc.runId") ?? null, count: table.numRows, flags: values };
}
