import { z } from "zod";
import type { Database } from "../database.ts";
import { parseOptions } from "./parse-options.ts";

/** A decision already taken on the same example in another version of its dataset. */
export interface EarlierDecision {
  /** The intervention the history is for. */
  forInterventionId: string;
  interventionId: string;
  versionId: string;
  versionNumber: number;
  action: "PRUNE" | "DOWNWEIGHT";
  weight: number;
  /** The intervention's status now (a release turns APPROVED into APPLIED). */
  status: string;
  decision: "APPROVE" | "REJECT";
  reason: string;
  reviewerName: string;
  reviewedAt: Date;
}

const optionsSchema = z.object({ interventionIds: z.array(z.uuid()).max(500) });

/**
 * For each intervention, the reviewed interventions on the same example in other versions
 * (newest review first): a reviewer sees that an example was rejected, or pruned, before.
 * One query for a whole queue page.
 */
export async function earlierDecisions(db: Database, options: z.input<typeof optionsSchema>): Promise<Map<string, EarlierDecision[]>> {
  const { interventionIds } = parseOptions(optionsSchema, options);
  const result = new Map<string, EarlierDecision[]>(interventionIds.map((id) => [id, []]));
  if (!interventionIds.length) return result;
  const rows = await db.sql<{
    for_id: string;
    id: string;
    version_id: string;
    version_number: number;
    action: "PRUNE" | "DOWNWEIGHT";
    weight: number;
    status: string;
    decision: "APPROVE" | "REJECT";
    reason: string;
    reviewer_name: string;
    reviewed_at: Date;
  }>(
    `SELECT q.id AS for_id, i.id, i.version_id, v.number AS version_number, i.action::text AS action, i.weight,
            i.status::text AS status, r.decision::text AS decision, r.reason, u.name AS reviewer_name, r.created_at AS reviewed_at
     FROM interventions q
     JOIN interventions i ON i.example_id = q.example_id AND i.version_id <> q.version_id
     JOIN dataset_versions v ON v.id = i.version_id
     JOIN LATERAL (SELECT decision, reason, reviewer_id, created_at FROM reviews WHERE intervention_id = i.id ORDER BY created_at DESC LIMIT 1) r ON true
     JOIN users u ON u.id = r.reviewer_id
     WHERE q.id = ANY($1::uuid[])
     ORDER BY q.id, r.created_at DESC`,
    [interventionIds],
  );
  for (const r of rows) {
    result.get(r.for_id)?.push({
      forInterventionId: r.for_id,
      interventionId: r.id,
      versionId: r.version_id,
      versionNumber: Number(r.version_number),
      action: r.action,
      weight: Number(r.weight),
      status: r.status,
      decision: r.decision,
      reason: r.reason,
      reviewerName: r.reviewer_name,
      reviewedAt: r.reviewed_at,
    });
  }
  return result;
}
