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

/** Each intervention's reviews, oldest first (batch, for DataLoader). */
export async function reviewsOfInterventions(db: Database, interventionIds: readonly string[]): Promise<Review[][]> {
  const rows = await db.prisma.review.findMany({ where: { interventionId: { in: [...interventionIds] } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  const map = new Map<string, Review[]>();
  for (const r of rows) map.set(r.interventionId, [...(map.get(r.interventionId) ?? []), r]);
  return interventionIds.map((id) => map.get(id) ?? []);
}
