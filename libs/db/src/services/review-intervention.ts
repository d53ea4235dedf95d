import { z } from "zod";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { conflict, forbidden, notFound } from "../errors.ts";
import { parseOptions } from "./parse-options.ts";
import { assertDraft } from "./versions.ts";

const optionsSchema = z.object({
  interventionId: z.uuid(),
  decision: z.enum(["APPROVE", "REJECT"]),
  reason: z.string().trim().min(1, "a review needs a reason").max(2_000),
});
export type ReviewInterventionOptions = z.input<typeof optionsSchema>;

/**
 * Approves or rejects one PROPOSED intervention, with a required reason. Four eyes: whoever
 * proposed it can never review it, whatever their role. The Review row, the status change and
 * the audit event commit together; the intervention row is locked so two reviewers racing on
 * it get one success and one CONFLICT.
 */
export async function reviewIntervention(db: Database, actor: Actor, options: ReviewInterventionOptions) {
  const { interventionId, decision, reason } = parseOptions(optionsSchema, options);
  if (!actor.userId) throw forbidden("Interventions are reviewed by a user (the reviewer is recorded)");
  const reviewerId = actor.userId;
  return auditedTransaction(db, actor, async (tx) => {
    const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM interventions WHERE id = ${interventionId}::uuid FOR UPDATE`;
    if (!locked) throw notFound("Intervention", interventionId);
    const intervention = await tx.intervention.findUniqueOrThrow({ where: { id: interventionId }, include: { version: true } });
    if (intervention.proposedById === reviewerId) {
      throw forbidden(`Four eyes: you proposed intervention ${interventionId}, so another reviewer must review it`);
    }
    if (intervention.status !== "PROPOSED") {
      throw conflict(`Intervention ${interventionId} is ${intervention.status}; only PROPOSED interventions can be reviewed`);
    }
    assertDraft(intervention.version);
    const review = await tx.review.create({ data: { interventionId, reviewerId, decision, reason } });
    const status = decision === "APPROVE" ? "APPROVED" : "REJECTED";
    const updated = await tx.intervention.update({ where: { id: interventionId }, data: { status } });
    return {
      result: updated,
      audit: {
        action: "intervention.review",
        targetType: "Intervention",
        targetId: interventionId,
        before: { status: intervention.status },
        after: { status, decision, reason, reviewId: review.id, versionId: intervention.versionId },
      },
    };
  });
}
