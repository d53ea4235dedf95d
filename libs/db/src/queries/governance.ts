import type { Database } from "../database.ts";
import type { Intervention, Review } from "../generated/prisma/client.ts";

/** Reads of interventions and reviews for the API (issue 12). */

export const findInterventionById = (db: Database, id: string): Promise<Intervention | null> => db.prisma.intervention.findUnique({ where: { id } });

/**
 * A page of the review queue: PROPOSED interventions on DRAFT versions (a released version's
 * unreviewed proposals stay PROPOSED but are closed), optionally of one version, in id order
 * (ids are UUIDv7: creation order), after an id cursor.
 */
export const listReviewQueue = (
  db: Database,
  { versionId, after, first }: { versionId?: string | null; after?: string | null; first: number },
): Promise<Intervention[]> =>
  db.prisma.intervention.findMany({
    where: { status: "PROPOSED", version: { status: "DRAFT" }, ...(versionId ? { versionId } : {}), ...(after ? { id: { gt: after } } : {}) },
    orderBy: { id: "asc" },
    take: first,
  });

/** How many interventions the review queue holds (listReviewQueue's filter, without the cursor). */
export const countReviewQueue = (db: Database, { versionId }: { versionId?: string | null }): Promise<number> =>
  db.prisma.intervention.count({ where: { status: "PROPOSED", version: { status: "DRAFT" }, ...(versionId ? { versionId } : {}) } });

/**
 * Interventions per "<version id>:<status>" key (status empty: any status), one grouped query
 * for every key (batch, for DataLoader).
 */
export async function interventionCountsOfVersions(db: Database, keys: readonly string[]): Promise<number[]> {
  const versionIds = [...new Set(keys.map((k) => k.slice(0, k.indexOf(":"))))];
  const groups = await db.prisma.intervention.groupBy({ by: ["versionId", "status"], where: { versionId: { in: versionIds } }, _count: { _all: true } });
  const counts = new Map<string, number>();
  for (const g of groups) {
    counts.set(`${g.versionId}:${g.status}`, g._count._all);
    counts.set(`${g.versionId}:`, (counts.get(`${g.versionId}:`) ?? 0) + g._count._all);
  }
  return keys.map((k) => counts.get(k) ?? 0);
}

/** Each intervention's reviews, oldest first (batch, for DataLoader). */
export async function reviewsOfInterventions(db: Database, interventionIds: readonly string[]): Promise<Review[][]> {
  const rows = await db.prisma.review.findMany({ where: { interventionId: { in: [...interventionIds] } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  const map = new Map<string, Review[]>();
  for (const r of rows) map.set(r.interventionId, [...(map.get(r.interventionId) ?? []), r]);
  return interventionIds.map((id) => map.get(id) ?? []);
}
