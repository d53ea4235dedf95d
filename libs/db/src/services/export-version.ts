import type { Database } from "../database.ts";
import { conflict, notFound } from "../errors.ts";
import type { DatasetVersion } from "../generated/prisma/client.ts";

export interface ExportedExample {
  /** Example.key: the caller's id (or the content hash). */
  id: string;
  text: string;
  weight: number;
  split: "train" | "validation" | "test";
}

export interface VersionExport {
  version: DatasetVersion;
  /** Rows the iterator yields. */
  count: number;
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
 */
export async function exportVersion(db: Database, { versionId, pageSize = 5_000 }: ExportVersionOptions): Promise<VersionExport> {
  const version = await db.prisma.datasetVersion.findUnique({ where: { id: versionId } });
  if (!version) throw notFound("DatasetVersion", versionId);
  if (version.status !== "RELEASED") throw conflict(`DatasetVersion ${versionId} is a draft; only released versions are exported (release it first)`);
  const [{ n }] = (await db.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM version_examples ve JOIN examples e ON e.id = ve.example_id WHERE ve.version_id = $1::uuid AND NOT e.is_canary`,
    [versionId],
  )) as [{ n: number }];

  async function* rows(): AsyncGenerator<ExportedExample> {
    let after = "00000000-0000-0000-0000-000000000000";
    for (;;) {
      const page = await db.sql<{ id: string; key: string; text: string; weight: number; split: string }>(
        `SELECT e.id, e.key, e.text, ve.weight, e.split::text AS split
         FROM version_examples ve JOIN examples e ON e.id = ve.example_id
         WHERE ve.version_id = $1::uuid AND NOT e.is_canary AND ve.example_id > $2::uuid
         ORDER BY ve.example_id LIMIT $3`,
        [versionId, after, pageSize],
      );
      for (const r of page) yield { id: r.key, text: r.text, weight: Number(r.weight), split: r.split.toLowerCase() as ExportedExample["split"] };
      if (page.length < pageSize) return;
      after = page[page.length - 1]!.id;
    }
  }
  return { version, count: n, rows: rows() };
}

/**
 * One JSONL line for Hugging Face `datasets` (`load_dataset("json", data_files=…)`): the same
 * keys in the same order on every line, and `weight` always written as a float ("1.0", never
 * "1"), so the column is inferred as float64 however the first rows look.
 */
export function exportLine(row: ExportedExample): string {
  const w = String(row.weight);
  const weight = /[.eE]/.test(w) ? w : `${w}.0`;
  return `{"id":${JSON.stringify(row.id)},"text":${JSON.stringify(row.text)},"weight":${weight},"split":${JSON.stringify(row.split)}}\n`;
}
