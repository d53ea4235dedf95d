import { z } from "zod";
import type { Database } from "../database.ts";
import { notFound } from "../errors.ts";
import { parseOptions } from "./parse-options.ts";

/** What a release does to one member: PRUNE removes it, DOWNWEIGHT sets its weight, canaries are left out. */
export type ReleaseChange = "PRUNED" | "DOWNWEIGHTED" | "CANARY_LEFT_OUT";

export interface ReleaseChangeCounts {
  /** false: a preview of what releasing the draft would do now; true: what its release did. */
  released: boolean;
  pruned: number;
  downweighted: number;
  canariesLeftOut: number;
  /**
   * PROPOSED interventions nobody reviewed: on a draft, the ones that leave the review queue at
   * release (they stay PROPOSED on the released version, are not applied and can no longer be
   * reviewed; propose them again on a new draft); on a released version, the ones that did.
   */
  pendingProposals: number;
  /** Members before the release (the draft's members now; for a released version, reconstructed). */
  examplesBefore: number;
  /** Members of the released version (on a draft: what release would leave). */
  examplesAfter: number;
  /**
   * false for a release made before releases recorded which canaries they left out
   * (lineage.canaryExampleIds): its canary rows cannot be listed, only counted.
   */
  canaryRowsKnown: boolean;
}

export interface ReleaseChangeRow {
  exampleId: string;
  change: ReleaseChange;
  weightBefore: number;
  /** null: not in the released version. */
  weightAfter: number | null;
  /** The approved (on a draft) or applied intervention behind the change; null for canaries. */
  interventionId: string | null;
  /** The approving reviewer's latest reason; "canary: never released" for canaries. */
  reason: string | null;
}

export interface ReleaseChangePage {
  rows: ReleaseChangeRow[];
  hasNextPage: boolean;
  /** The last row's example id; pass it as `after`. */
  endCursor: string | null;
}

interface VersionForRelease {
  id: string;
  parentId: string | null;
  released: boolean;
  releaseId: string | null;
  lineage: { canaryExampleIds?: unknown; canariesExcluded?: unknown; unreviewed?: unknown } | null;
}

async function versionForRelease(db: Database, versionId: string): Promise<VersionForRelease> {
  const version = await db.prisma.datasetVersion.findUnique({
    where: { id: versionId },
    select: { id: true, parentId: true, status: true, release: { select: { id: true, lineage: true } } },
  });
  if (!version) throw notFound("DatasetVersion", versionId);
  return {
    id: version.id,
    parentId: version.parentId,
    released: version.status === "RELEASED",
    releaseId: version.release?.id ?? null,
    lineage: (version.release?.lineage as VersionForRelease["lineage"]) ?? null,
  };
}

function canaryIdsOf(version: VersionForRelease): string[] | null {
  const ids = version.lineage?.canaryExampleIds;
  return Array.isArray(ids) && ids.every((id) => typeof id === "string") ? (ids as string[]) : null;
}

/**
 * The changes, one row per example, as SQL over ($1 version, $2 parent, $3 release, $4 canary
 * ids). A draft: its APPROVED interventions on current members (a PRUNE wins over a DOWNWEIGHT
 * of the same example; of several down-weights the smallest, as releaseVersion applies them)
 * and its canary members. A released version: the interventions its release APPLIED and the
 * canaries it left out (lineage.canaryExampleIds); the weight before is the parent's, or 1 for
 * an example imported into the draft.
 */
function changesSql(version: VersionForRelease): { sql: string; params: unknown[] } {
  if (!version.released) {
    const sql = `
      SELECT * FROM (
        SELECT DISTINCT ON (i.example_id) i.example_id,
               CASE WHEN i.action = 'PRUNE' THEN 'PRUNED' ELSE 'DOWNWEIGHTED' END AS change,
               ve.weight::float8 AS weight_before,
               CASE WHEN i.action = 'PRUNE' THEN NULL ELSE i.weight::float8 END AS weight_after,
               i.id AS intervention_id
        FROM interventions i
        JOIN version_examples ve ON ve.version_id = i.version_id AND ve.example_id = i.example_id
        JOIN examples e ON e.id = i.example_id AND NOT e.is_canary
        WHERE i.version_id = $1::uuid AND i.status = 'APPROVED'
        ORDER BY i.example_id, (i.action = 'PRUNE') DESC, i.weight ASC
      ) approved
      UNION ALL
      SELECT ve.example_id, 'CANARY_LEFT_OUT', ve.weight::float8, NULL, NULL::uuid
      FROM version_examples ve JOIN examples e ON e.id = ve.example_id AND e.is_canary
      WHERE ve.version_id = $1::uuid`;
    return { sql, params: [version.id] };
  }
  const sql = `
    SELECT c.example_id, c.change,
           COALESCE((SELECT p.weight FROM version_examples p WHERE p.version_id = $2::uuid AND p.example_id = c.example_id), 1)::float8 AS weight_before,
           (SELECT v.weight FROM version_examples v WHERE v.version_id = $1::uuid AND v.example_id = c.example_id)::float8 AS weight_after,
           c.intervention_id
    FROM (
      SELECT * FROM (
        SELECT DISTINCT ON (i.example_id) i.example_id,
               CASE WHEN i.action = 'PRUNE' THEN 'PRUNED' ELSE 'DOWNWEIGHTED' END AS change,
               i.id AS intervention_id
        FROM interventions i
        WHERE i.release_id = $3::uuid
        ORDER BY i.example_id, (i.action = 'PRUNE') DESC, i.weight ASC
      ) applied
      UNION ALL
      SELECT id, 'CANARY_LEFT_OUT', NULL::uuid FROM unnest($4::uuid[]) AS canary(id)
    ) c`;
  return { sql, params: [version.id, version.parentId, version.releaseId, canaryIdsOf(version) ?? []] };
}

/**
 * What releasing a version does, counted: on a DRAFT, a preview of what releaseVersion would do
 * now; on a RELEASED version, what its release did (a diff against the parent cannot say it: the
 * first version has no parent, and a draft's approved changes are not applied until release).
 */
export async function releaseChangeCounts(db: Database, versionId: string): Promise<ReleaseChangeCounts> {
  parseOptions(z.object({ versionId: z.uuid() }), { versionId });
  const version = await versionForRelease(db, versionId);
  const canaryIds = canaryIdsOf(version);
  const changes = changesSql(version);
  const [counts] = await db.sql<{ pruned: number; downweighted: number; canaries: number }>(
    `SELECT count(*) FILTER (WHERE change = 'PRUNED')::int AS pruned,
            count(*) FILTER (WHERE change = 'DOWNWEIGHTED')::int AS downweighted,
            count(*) FILTER (WHERE change = 'CANARY_LEFT_OUT')::int AS canaries
     FROM (${changes.sql}) changes`,
    changes.params,
  );
  const [{ pending, members }] = (await db.sql<{ pending: number; members: number }>(
    `SELECT (SELECT count(*) FROM interventions WHERE version_id = $1::uuid AND status = 'PROPOSED')::int AS pending,
            (SELECT count(*) FROM version_examples WHERE version_id = $1::uuid)::int AS members`,
    [version.id],
  )) as [{ pending: number; members: number }];
  const pruned = counts?.pruned ?? 0;
  const downweighted = counts?.downweighted ?? 0;
  // An older release did not record its canaries' ids: its lineage still has their count.
  const canariesLeftOut = canaryIds === null && version.released ? Number(version.lineage?.canariesExcluded ?? 0) : (counts?.canaries ?? 0);
  return {
    released: version.released,
    pruned,
    downweighted,
    canariesLeftOut,
    pendingProposals: pending,
    examplesBefore: version.released ? members + pruned + canariesLeftOut : members,
    examplesAfter: version.released ? members : members - pruned - canariesLeftOut,
    canaryRowsKnown: !version.released || canaryIds !== null,
  };
}

const pageSchema = z.object({
  versionId: z.uuid(),
  first: z.number().int().min(1).max(500).default(100),
  after: z.uuid("must be the previous page's endCursor").nullish(),
});

/** The rows behind releaseChangeCounts, in example-id order, with the approving reviewer's reason. */
export async function releaseChangeRows(db: Database, options: z.input<typeof pageSchema>): Promise<ReleaseChangePage> {
  const { versionId, first, after } = parseOptions(pageSchema, options);
  const version = await versionForRelease(db, versionId);
  const changes = changesSql(version);
  const n = changes.params.length;
  const rows = await db.sql<{
    example_id: string;
    change: ReleaseChange;
    weight_before: number;
    weight_after: number | null;
    intervention_id: string | null;
    reason: string | null;
  }>(
    `SELECT c.*,
            (SELECT r.reason FROM reviews r WHERE r.intervention_id = c.intervention_id AND r.decision = 'APPROVE'
             ORDER BY r.created_at DESC LIMIT 1) AS reason
     FROM (${changes.sql}) c
     WHERE c.example_id > $${n + 1}::uuid
     ORDER BY c.example_id LIMIT $${n + 2}`,
    [...changes.params, after ?? "00000000-0000-0000-0000-000000000000", first + 1],
  );
  const page = rows.slice(0, first);
  return {
    rows: page.map((r) => ({
      exampleId: r.example_id,
      change: r.change,
      weightBefore: Number(r.weight_before),
      weightAfter: r.weight_after === null ? null : Number(r.weight_after),
      interventionId: r.intervention_id,
      reason: r.reason ?? (r.change === "CANARY_LEFT_OUT" ? "canary: never released" : null),
    })),
    hasNextPage: rows.length > first,
    endCursor: page.at(-1)?.example_id ?? null,
  };
}
