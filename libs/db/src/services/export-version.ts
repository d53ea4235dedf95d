import type { Database } from "../database.ts";
import { ContentHasher, canonicalWeight } from "../content-hash.ts";
import { DomainError, conflict, notFound } from "../errors.ts";
import type { DatasetVersion } from "../generated/prisma/client.ts";
import { canonicalJson } from "../canonical-json.ts";
import { exampleContentHash } from "./import-examples.ts";
import { versionLineage, type VersionLineage } from "./version-lineage.ts";

export interface ExportedExample {
  /** Example.key: the caller's id (or the content hash). */
  id: string;
  text: string;
  /** The original record's other fields (import's `payload`), null when it had none. */
  payload: Record<string, unknown> | null;
  weight: number;
  split: "train" | "validation" | "test";
}

export interface VersionExport {
  version: DatasetVersion;
  /** Rows the iterator yields. */
  count: number;
  /** run → parent → this version, as its release recorded it (versionLineage). */
  lineage: VersionLineage;
  rows: AsyncIterable<ExportedExample>;
}

export interface ExportVersionOptions {
  versionId: string;
  /** Rows per database round trip. */
  pageSize?: number;
}

/**
 * The examples of a RELEASED version with their weights, for training elsewhere (JSONL). Canaries
 * are left out always (a released version has none; the filter makes that doubly sure). Checks
 * happen before the first row, so a transport can still answer with an error status; rows are
 * read page by page in example-id order, never all at once.
 *
 * Only released content is served (issue 13 F8): while streaming, every row's content hash is
 * recomputed from its text and payload and must equal the stored one, and the (content hash,
 * weight) pairs of all rows must hash (content-hash.ts) to the version's released content hash.
 * A page is checked whole before any of its rows is yielded, and the last page is held back until
 * the whole-version hash matches; a mismatch throws CONFLICT (RELEASED_CONTENT_MISMATCH). So a
 * single-page export is refused before its first row, and a longer one is cut short before its
 * last page (the transport aborts the response). The pairs are kept (about 80 bytes a row) to be
 * sorted at the end.
 */
export async function exportVersion(db: Database, { versionId, pageSize = 5_000 }: ExportVersionOptions): Promise<VersionExport> {
  const version = await db.prisma.datasetVersion.findUnique({ where: { id: versionId } });
  if (!version) throw notFound("DatasetVersion", versionId);
  if (version.status !== "RELEASED") throw conflict(`DatasetVersion ${versionId} is a draft; only released versions are exported (release it first)`);
  const [{ n }] = (await db.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM version_examples ve JOIN examples e ON e.id = ve.example_id WHERE ve.version_id = $1::uuid AND NOT e.is_canary`,
    [versionId],
  )) as [{ n: number }];

  const released = version.contentHash;
  const mismatch = (why: string) =>
    new DomainError(
      "CONFLICT",
      `RELEASED_CONTENT_MISMATCH: the stored content of released version ${versionId} no longer matches its release (${why}); the export is refused`,
    );

  async function* rows(): AsyncGenerator<ExportedExample> {
    const pairs: string[] = [];
    let after = "00000000-0000-0000-0000-000000000000";
    for (;;) {
      const page = await db.sql<{ id: string; key: string; text: string; payload: unknown; content_hash: string; weight: number; split: string }>(
        `SELECT e.id, e.key, e.text, e.payload, e.content_hash, ve.weight, e.split::text AS split
         FROM version_examples ve JOIN examples e ON e.id = ve.example_id
         WHERE ve.version_id = $1::uuid AND NOT e.is_canary AND ve.example_id > $2::uuid
         ORDER BY ve.example_id LIMIT $3`,
        [versionId, after, pageSize],
      );
      for (const r of page) {
        const recomputed = exampleContentHash({ text: r.text, payload: (r.payload ?? null) as never });
        if (recomputed !== r.content_hash) throw mismatch(`example ${r.id} hashes to ${recomputed}, its stored content hash is ${r.content_hash}`);
        pairs.push(`${recomputed} ${canonicalWeight(Number(r.weight))}`);
      }
      const last = page.length < pageSize;
      if (last) {
        pairs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const hasher = new ContentHasher();
        for (const line of pairs) {
          const space = line.indexOf(" ");
          hasher.add({ contentHash: line.slice(0, space), weight: Number(line.slice(space + 1)) });
        }
        const served = hasher.digest();
        if (pairs.length !== n) throw mismatch(`${pairs.length} rows read, ${n} counted`);
        if (served !== released) throw mismatch(`the rows hash to ${served}, the release to ${released}`);
      }
      for (const r of page) {
        yield {
          id: r.key,
          text: r.text,
          payload: (r.payload ?? null) as ExportedExample["payload"],
          weight: Number(r.weight),
          split: r.split.toLowerCase() as ExportedExample["split"],
        };
      }
      if (last) return;
      after = page[page.length - 1]!.id;
    }
  }
  const lineage = (await versionLineage(db, versionId))!;
  return { version, count: n, lineage, rows: rows() };
}

/**
 * One JSONL line for Hugging Face `datasets` (`load_dataset("json", data_files=…)`): the same
 * keys in the same order on every line, and `weight` always written as a float ("1.0", never
 * "1"), so the column is inferred as float64 however the first rows look. `payload` (null when
 * the example had none) is written canonically, so the line imports back (gdc import-examples)
 * as the same example: same key, text, payload, hence the same content hash.
 */
export function exportLine(row: ExportedExample): string {
  const w = String(row.weight);
  const weight = /[.eE]/.test(w) ? w : `${w}.0`;
  const payload = row.payload === null ? "null" : canonicalJson(row.payload);
  return `{"id":${JSON.stringify(row.id)},"text":${JSON.stringify(row.text)},"payload":${payload},"weight":${weight},"split":${JSON.stringify(row.split)}}\n`;
}
