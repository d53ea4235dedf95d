import { z } from "zod";
import type { Database } from "../database.ts";
import { notFound } from "../errors.ts";
import { parseOptions } from "./parse-options.ts";

export type DiffChange = "REMOVED" | "REWEIGHTED" | "ADDED";

export interface VersionDiffCounts {
  parentId: string | null;
  removed: number;
  reweighted: number;
  added: number;
}

export interface VersionDiffRow {
  exampleId: string;
  change: DiffChange;
  parentWeight: number | null;
  weight: number | null;
  /** The applied (or, on a draft, approved) intervention behind the change, if any. */
  interventionId: string | null;
  /** The approving reviewer's reason; "canary: never released" for canaries left out of a release. */
  reason: string | null;
}

export interface VersionDiffPage {
  rows: VersionDiffRow[];
  hasNextPage: boolean;
  /** The last row's example id; pass it as `after`. */
  endCursor: string | null;
}

// Membership of the version (v) against its parent's (p); a version without parent diffs against nothing.
const JOINED = `
  (SELECT example_id, weight FROM version_examples WHERE version_id = $1::uuid) v
  FULL JOIN (SELECT example_id, weight FROM version_examples WHERE version_id = $2::uuid) p ON v.example_id = p.example_id`;

async function parentOf(db: Database, versionId: string): Promise<string | null> {
  const version = await db.prisma.datasetVersion.findUnique({ where: { id: versionId }, select: { parentId: true } });
  if (!version) throw notFound("DatasetVersion", versionId);
  return version.parentId;
}

/** How many members the version removed, re-weighted and added relative to its parent. */
export async function versionDiffCounts(db: Database, versionId: string): Promise<VersionDiffCounts> {
  const parentId = await parentOf(db, versionId);
  const [row] = await db.sql<{ removed: number; reweighted: number; added: number }>(
    `SELECT count(*) FILTER (WHERE v.example_id IS NULL)::int AS removed,
            count(*) FILTER (WHERE v.example_id IS NOT NULL AND p.example_id IS NOT NULL AND v.weight <> p.weight)::int AS reweighted,
            count(*) FILTER (WHERE p.example_id IS NULL)::int AS added
     FROM ${JOINED}`,
    [versionId, parentId],
  );
  return { parentId, removed: row?.removed ?? 0, reweighted: row?.reweighted ?? 0, added: row?.added ?? 0 };
}

const pageSchema = z.object({
  versionId: z.uuid(),
  first: z.number().int().min(1).max(500).default(100),
  after: z.uuid("must be the previous page's endCursor").nullish(),
});

/** The changed rows, in example-id order, each with the intervention and reason behind it. */
export async function versionDiffRows(db: Database, options: z.input<typeof pageSchema>): Promise<VersionDiffPage> {
  const { versionId, first, after } = parseOptions(pageSchema, options);
  const parentId = await parentOf(db, versionId);
  const rows = await db.sql<{ example_id: string; parent_weight: number | null; weight: number | null; is_canary: boolean }>(
    `SELECT d.example_id, d.parent_weight, d.weight, e.is_canary
     FROM (SELECT COALESCE(v.example_id, p.example_id) AS example_id, p.weight AS parent_weight, v.weight AS weight
           FROM ${JOINED}
           WHERE (v.example_id IS NULL OR p.example_id IS NULL OR v.weight <> p.weight)
             AND COALESCE(v.example_id, p.example_id) > $3::uuid) d
     JOIN examples e ON e.id = d.example_id
     ORDER BY d.example_id LIMIT $4`,
    [versionId, parentId, after ?? "00000000-0000-0000-0000-000000000000", first + 1],
  );
  const page = rows.slice(0, first);
  const behind = page.length
    ? await db.sql<{ id: string; example_id: string; reason: string | null }>(
        `SELECT DISTINCT ON (i.example_id) i.id, i.example_id,
                (SELECT r.reason FROM reviews r WHERE r.intervention_id = i.id AND r.decision = 'APPROVE' ORDER BY r.created_at DESC LIMIT 1) AS reason
         FROM interventions i
         WHERE i.version_id = $1::uuid AND i.example_id = ANY($2::uuid[]) AND i.status IN ('APPLIED', 'APPROVED')
         ORDER BY i.example_id, (i.status = 'APPLIED') DESC, i.id DESC`,
        [versionId, page.map((r) => r.example_id)],
      )
    : [];
  const byExample = new Map(behind.map((b) => [b.example_id, b]));
  return {
    rows: page.map((r) => {
      const change: DiffChange = r.weight === null ? "REMOVED" : r.parent_weight === null ? "ADDED" : "REWEIGHTED";
      const intervention = byExample.get(r.example_id);
      return {
        exampleId: r.example_id,
        change,
        parentWeight: r.parent_weight === null ? null : Number(r.parent_weight),
        weight: r.weight === null ? null : Number(r.weight),
        interventionId: intervention?.id ?? null,
        reason: intervention?.reason ?? (change === "REMOVED" && r.is_canary ? "canary: never released" : null),
      };
    }),
    hasNextPage: rows.length > first,
    endCursor: page.at(-1)?.example_id ?? null,
  };
}
