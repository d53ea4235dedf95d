// Builds small data-map Arrow files the way the API does (apps/api/src/data-map-http.ts:
// Float32 difficulty/memorization, Dictionary<Utf8, Uint8> quadrant, bit-packed Bool
// is_canary, optional Utf8 example_id first, gdc.* schema metadata), with knobs the API does
// not turn: the dictionary's order and several record batches.
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

export interface FixturePoint {
  id: string;
  difficulty: number;
  memorization: number;
  quadrant: string;
  canary: boolean;
}

export interface FixtureOptions {
  runId?: string;
  /** The dictionary, in this order (default: the API's order). */
  dictionary?: string[];
  /** Rows per record batch (default: one batch). */
  batchSize?: number;
  ids?: boolean;
  thresholds?: { difficulty: number; memorization: number; source: string };
  format?: string;
  /** gdc.memorizationSignal (default "excessLossDrop", as the API writes for a run scored by default; null: left out). */
  memorizationSignal?: string | null;
}

export const API_ORDER = ["STABLE_EASY", "AMBIGUOUS_HARD", "HOTSPOT_MEMORIZED", "NOISY_OUTLIER"];

export function dataMapFile(points: FixturePoint[], options: FixtureOptions = {}): Uint8Array {
  const dictionary = options.dictionary ?? API_ORDER;
  const quadrantType = new Dictionary(new Utf8(), new Uint8(), 0, false);
  const fields: Field[] = [];
  if (options.ids) fields.push(new Field("example_id", new Utf8(), false));
  fields.push(
    new Field("difficulty", new Float32(), false),
    new Field("memorization", new Float32(), false),
    new Field("quadrant", quadrantType, false),
    new Field("is_canary", new Bool(), false),
  );
  const metadata = new Map([
    ["gdc.format", options.format ?? "gdc.data-map/1"],
    ["gdc.runId", options.runId ?? "run-1"],
    ["gdc.count", String(points.length)],
    ["gdc.thresholds", JSON.stringify(options.thresholds ?? { difficulty: 1.5, memorization: 0.2, source: "quantile" })],
  ]);
  const signal = options.memorizationSignal === undefined ? "excessLossDrop" : options.memorizationSignal;
  if (signal !== null) metadata.set("gdc.memorizationSignal", signal);
  const schema = new Schema(fields, metadata);
  const size = options.batchSize ?? Math.max(1, points.length);
  // One dictionary for every batch: the IPC file format has no replacement dictionaries.
  const dictionaryVector = vectorFromArray(dictionary, new Utf8());
  const batches: RecordBatch[] = [];
  for (let from = 0; from < Math.max(1, points.length); from += size) {
    const part = points.slice(from, from + size);
    const n = part.length;
    const children: Data[] = [];
    if (options.ids)
      children.push(
        vectorFromArray(
          part.map((p) => p.id),
          new Utf8(),
        ).data[0]!,
      );
    const codes = Uint8Array.from(part, (p) => {
      const code = dictionary.indexOf(p.quadrant);
      if (code < 0) throw new Error(`${p.quadrant} is not in the dictionary`);
      return code;
    });
    const bits = new Uint8Array(Math.ceil(n / 8));
    part.forEach((p, i) => {
      if (p.canary) bits[i >> 3]! |= 1 << (i & 7);
    });
    children.push(
      makeData({ type: new Float32(), length: n, data: Float32Array.from(part, (p) => p.difficulty) }),
      makeData({ type: new Float32(), length: n, data: Float32Array.from(part, (p) => p.memorization) }),
      makeData({ type: quadrantType, length: n, data: codes, dictionary: dictionaryVector }),
      makeData({ type: new Bool(), length: n, data: bits }),
    );
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, children })));
  }
  return tableToIPC(new Table(schema, batches), "file");
}

/**
 * Ten hand-checkable points: difficulty i/2, memorization (i mod 3)/5 (0, 0.2, 0.4), quadrants
 * cycling through the API's names from the third, canaries at 1, 7, 8 (the second byte of
 * canary bits is exercised too).
 */
export const TEN: FixturePoint[] = Array.from({ length: 10 }, (_, i) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  difficulty: i / 2,
  memorization: (i % 3) / 5,
  quadrant: API_ORDER[(i + 2) % 4]!,
  canary: i === 1 || i === 7 || i === 8,
}));
