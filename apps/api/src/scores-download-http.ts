// A run's scores as a file: every score column, keyed by the user's example key, row i = run
// ordinal i (the order the examples were imported). CSV streams page by page; Arrow is built
// whole (typed columns) and sent with its length.
import type http from "node:http";
import {
  Bool,
  Dictionary,
  Field,
  Float32,
  Int32,
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
  type DataType,
} from "apache-arrow";
import { SCORE_COLUMN_KINDS, SCORE_COLUMNS, SCORE_FILE_FORMATS, csvField, type ScoreColumn, type ScoreFileFormat } from "@gdc/cartography";
import { RUN_SCORES_FILE_COLUMNS, type RunScoresDownload, type ScoreValue } from "@gdc/db";
import { ARROW_FILE_TYPE } from "./data-map-http.ts";

/** `GET /export/runs/<runId>/scores.<format>`, format one of SCORE_FILE_FORMATS (csv, arrow) */
export const RUN_SCORES_PATH = new RegExp(`^/export/runs/([^/]+)/scores\\.(${SCORE_FILE_FORMATS.join("|")})$`);
export type RunScoresFormat = ScoreFileFormat;
/** Format tag in the Arrow schema metadata (`gdc.format`); bumped when columns change meaning. */
export const RUN_SCORES_FORMAT = "gdc.run-scores/1";

const csvValue = (v: ScoreValue): string => (v === null ? "" : typeof v === "string" ? csvField(v) : String(v));

/** CSV lines (each ending in "\n"), header first: RUN_SCORES_FILE_COLUMNS; an empty field is a signal the run's scoring did not store. */
export async function* runScoresCsvLines(download: RunScoresDownload): AsyncGenerator<string> {
  yield `${RUN_SCORES_FILE_COLUMNS.join(",")}\n`;
  for await (const page of download.pages) {
    const lines = new Array<string>(page.keys.length);
    for (let j = 0; j < page.keys.length; j++) {
      let line = csvField(page.keys[j]!);
      for (const c of SCORE_COLUMNS) line += `,${csvValue(page.values[c][j]!)}`;
      lines[j] = `${line}\n`;
    }
    yield lines.join("");
  }
}

const arrowType = (c: ScoreColumn): DataType => {
  switch (SCORE_COLUMN_KINDS[c]) {
    case "float":
      return new Float32();
    case "int":
      return new Int32();
    case "bool":
      return new Bool();
    case "quadrant":
      return new Dictionary(new Utf8(), new Uint8(), 0, false);
  }
};

/**
 * The run's scores as an Arrow IPC file: `example_key` (utf8), then every score column
 * (float32 as stored, forget_events int32, never_learned bool, quadrant a dictionary of the four
 * names), nullable only where a run's scoring did not store a signal (runs scored before it existed). Schema metadata: gdc.format,
 * gdc.runId, gdc.count, gdc.memorizationSignal.
 */
export async function encodeRunScoresArrow(download: RunScoresDownload): Promise<Uint8Array> {
  const keys: string[] = [];
  const values = Object.fromEntries(SCORE_COLUMNS.map((c) => [c, [] as ScoreValue[]])) as Record<ScoreColumn, ScoreValue[]>;
  for await (const page of download.pages) {
    for (const k of page.keys) keys.push(k);
    for (const c of SCORE_COLUMNS) for (const v of page.values[c]) values[c].push(v);
  }
  const fields: Field[] = [new Field("example_key", new Utf8(), false)];
  const children: Data[] = [vectorFromArray(keys, new Utf8()).data[0]!];
  for (const c of SCORE_COLUMNS) {
    const vector = vectorFromArray(values[c] as never[], arrowType(c));
    fields.push(new Field(c, vector.type, vector.nullCount > 0));
    children.push(vector.data[0]!);
  }
  const metadata = new Map([
    ["gdc.format", RUN_SCORES_FORMAT],
    ["gdc.runId", download.runId],
    ["gdc.count", String(download.count)],
    ["gdc.memorizationSignal", download.memorizationSignal],
  ]);
  const schema = new Schema(fields, metadata);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: keys.length, children }));
  return tableToIPC(new Table(schema, [batch]), "file");
}

/** Sends a run's scores in `format`; the status is sent only once the first rows are read. */
export async function sendRunScores(res: http.ServerResponse, download: RunScoresDownload, format: RunScoresFormat, head: boolean): Promise<void> {
  res.setHeader("cache-control", "private, no-store");
  res.setHeader("x-gdc-row-count", String(download.count));
  res.setHeader("x-gdc-memorization-signal", download.memorizationSignal);
  if (format === "arrow") {
    const body = Buffer.from(await encodeRunScoresArrow(download));
    res.statusCode = 200;
    res.setHeader("content-type", ARROW_FILE_TYPE);
    res.setHeader("content-length", String(body.length));
    res.setHeader("content-disposition", `attachment; filename="scores-${download.runId}.arrow"`);
    res.end(head ? undefined : body);
    return;
  }
  const lines = runScoresCsvLines(download)[Symbol.asyncIterator]();
  const header = await lines.next();
  // The first page is read before the status: a run re-scored at that moment still gets an error status.
  const first = await lines.next();
  res.statusCode = 200;
  res.setHeader("content-type", "text/csv; charset=utf-8");
  res.setHeader("content-disposition", `attachment; filename="scores-${download.runId}.csv"`);
  if (head) {
    res.end();
    return;
  }
  res.write(header.value as string);
  let next = first;
  while (!next.done) {
    if (!res.write(next.value)) await drained(res);
    next = await lines.next();
  }
  res.end();
}

/** Waits until a response can take more data; rejects when the client went away. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      res.off("close", onClose);
      resolve();
    };
    const onClose = () => {
      res.off("drain", onDrain);
      reject(new Error("the client closed the download"));
    };
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}
