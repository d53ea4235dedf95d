import { z } from "zod";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { DomainError, badInput, forbidden } from "../errors.ts";
import { parseOptions } from "./parse-options.ts";
import { timeOrderedIds } from "./time-ordered-ids.ts";
import { assertDraft } from "./versions.ts";

const optionsSchema = z.object({
  interventionId: z.uuid(),
  decision: z.enum(["APPROVE", "REJECT"]),
  reason: z.string().trim().min(1, "a review needs a reason").max(2_000),
});
export type ReviewInterventionOptions = z.input<typeof optionsSchema>;

/**
 * Approves or rejects one PROPOSED intervention, with a required reason. Four eyes: whoever
 * proposed it can never review it, whatever their role, nor can anyone the proposer could act as
 * or who could act as the proposer (see `independence`). The Review row, the status change and
 * the audit event commit together; the intervention row is locked so two reviewers racing on
 * it get one success and one CONFLICT.
 */
export async function reviewIntervention(db: Database, actor: Actor, options: ReviewInterventionOptions) {
  const { interventionId, decision, reason } = parseOptions(optionsSchema, options);
  const [reviewed] = await review(db, actor, [interventionId], decision, reason, { batch: false });
  return reviewed!;
}

/** Most interventions one reviewInterventions call takes. */
export const MAX_REVIEW_BATCH = 500;

const batchSchema = z.object({
  interventionIds: z
    .array(z.uuid())
    .min(1, "name at least one intervention")
    .max(MAX_REVIEW_BATCH, `at most ${MAX_REVIEW_BATCH} per call; send the rest in further calls`),
  decision: optionsSchema.shape.decision,
  reason: optionsSchema.shape.reason,
});
export type ReviewInterventionsOptions = z.input<typeof batchSchema>;

/**
 * reviewIntervention for many interventions at once (a reviewer working through a policy's
 * proposals), all or nothing: every one must exist, be PROPOSED, be on a draft and not be the
 * reviewer's own proposal (four eyes), or nothing is written and the error names the first
 * offending `interventionIds.<i>`. Each intervention gets its Review row and its own
 * `intervention.review` audit event, as a single review would; all commit in one transaction.
 */
export async function reviewInterventions(db: Database, actor: Actor, options: ReviewInterventionsOptions) {
  const { interventionIds, decision, reason } = parseOptions(batchSchema, options);
  const position = new Map<string, number>();
  interventionIds.forEach((id, i) => {
    if (position.has(id)) throw badInput(`interventionIds.${i}`, `intervention ${id} is named twice (first at interventionIds.${position.get(id)})`);
    position.set(id, i);
  });
  return review(db, actor, interventionIds, decision, reason, { batch: true });
}

/** What the review rules look at of one intervention. */
export interface ReviewableIntervention {
  id: string;
  status: string;
  proposedById: string;
  version: { id: string; status: string; number?: number };
}

/**
 * The review rules on the data, in one place: why `reviewerId` may not review `intervention`
 * now (four eyes: their own proposal, or a tie to its proposer from `fourEyesTies`; not
 * PROPOSED; a released version), or null when they may. The role check is the permission
 * table's (apps/api permissions.ts). Used by the review itself and by `Intervention.canReview`,
 * so the queue shows exactly what a review would accept.
 */
export function reviewRefusal(intervention: ReviewableIntervention, reviewerId: string, tie: string | null, field?: string): DomainError | null {
  const { id } = intervention;
  if (intervention.proposedById === reviewerId)
    return new DomainError("FORBIDDEN", `Four eyes: you proposed intervention ${id}, so another reviewer must review it`, field);
  if (tie) return new DomainError("FORBIDDEN", `Four eyes: ${tie} the proposer of intervention ${id}, so another reviewer must review it`, field);
  if (intervention.status !== "PROPOSED")
    return new DomainError("CONFLICT", `Intervention ${id} is ${intervention.status}; only PROPOSED interventions can be reviewed`, field);
  try {
    assertDraft(intervention.version);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  return null;
}

type Tx = Parameters<Parameters<typeof auditedTransaction>[2]>[0];

/**
 * Four eyes beyond "not one's own proposal": who may not review whose proposals because one of
 * them can act as the other. For each proposer, the first tie found (as the reason's start), or
 * none. The controls (apps/api/GOVERNANCE.md):
 * - the proposer created the reviewer's account (`users.created_by_id`): a creator could hold it;
 * - the proposer issued one of the reviewer's API tokens, revoked ones included
 *   (`api_tokens.created_by_id`): the issuer has held a credential of the reviewer;
 * - the reviewer issued one of the proposer's API tokens: the reviewer could have proposed in
 *   the proposer's name.
 */
async function independence(tx: Tx, reviewerId: string, proposerIds: string[]): Promise<Map<string, string>> {
  if (!proposerIds.length) return new Map();
  return tiesOf(await tx.$queryRawUnsafe<TieRow[]>(TIES_SQL, reviewerId, proposerIds));
}

/**
 * The four-eyes ties (see `independence`) between a would-be reviewer and each of the given
 * proposers, outside a review: what `Intervention.canReview` shows. Proposers without a tie are
 * absent from the map.
 */
export async function fourEyesTies(db: Database, reviewerId: string, proposerIds: readonly string[]): Promise<Map<string, string>> {
  if (!proposerIds.length) return new Map();
  return tiesOf(await db.sql<TieRow>(TIES_SQL, [reviewerId, [...proposerIds]]));
}

interface TieRow {
  proposer_id: string;
  created_account: boolean;
  issued_reviewer_token: boolean;
  reviewer_issued_token: boolean;
}

const TIES_SQL = `SELECT p.id AS proposer_id,
         EXISTS (SELECT 1 FROM users u WHERE u.id = $1::uuid AND u.created_by_id = p.id) AS created_account,
         EXISTS (SELECT 1 FROM api_tokens t WHERE t.user_id = $1::uuid AND t.created_by_id = p.id) AS issued_reviewer_token,
         EXISTS (SELECT 1 FROM api_tokens t WHERE t.user_id = p.id AND t.created_by_id = $1::uuid) AS reviewer_issued_token
  FROM unnest($2::uuid[]) AS p(id)`;

function tiesOf(rows: TieRow[]): Map<string, string> {
  const ties = new Map<string, string>();
  for (const r of rows) {
    const tie = r.created_account
      ? "your account was created by"
      : r.issued_reviewer_token
        ? "one of your API tokens was issued by"
        : r.reviewer_issued_token
          ? "you issued an API token to"
          : null;
    if (tie) ties.set(r.proposer_id, tie);
  }
  return ties;
}

/**
 * The review rules, for one intervention or many: the rows are locked in id order (racing
 * reviewers serialize, concurrent batches cannot deadlock), every one is checked before
 * anything is written, then one Review row, one status change and one audit event each.
 * Errors name `interventionIds.<i>` for a batch. Returns the reviewed interventions in id order.
 */
async function review(
  db: Database,
  actor: Actor,
  interventionIds: readonly string[],
  decision: "APPROVE" | "REJECT",
  reason: string,
  options: { batch: boolean },
) {
  if (!actor.userId) throw forbidden("Interventions are reviewed by a user (the reviewer is recorded)");
  const reviewerId = actor.userId;
  const status = decision === "APPROVE" ? "APPROVED" : "REJECTED";
  return auditedTransaction(
    db,
    actor,
    async (tx) => {
      const rows = await tx.$queryRawUnsafe<
        { id: string; status: string; proposed_by_id: string; version_id: string; version_status: string; version_number: number }[]
      >(
        `SELECT i.id, i.status::text AS status, i.proposed_by_id, i.version_id, v.status::text AS version_status, v.number AS version_number
         FROM interventions i JOIN dataset_versions v ON v.id = i.version_id
         WHERE i.id = ANY($1::uuid[]) ORDER BY i.id FOR UPDATE OF i`,
        interventionIds,
      );
      const found = new Map(rows.map((r) => [r.id, r]));
      const ties = await independence(tx, reviewerId, [...new Set(rows.map((r) => r.proposed_by_id))]);
      interventionIds.forEach((id, i) => {
        const row = found.get(id);
        const field = options.batch ? `interventionIds.${i}` : undefined;
        if (!row) throw new DomainError("NOT_FOUND", `Intervention ${id} not found`, field);
        const refusal = reviewRefusal(
          { id, status: row.status, proposedById: row.proposed_by_id, version: { id: row.version_id, status: row.version_status, number: row.version_number } },
          reviewerId,
          ties.get(row.proposed_by_id) ?? null,
          field,
        );
        if (refusal) throw refusal;
      });
      const reviews = await tx.$queryRawUnsafe<{ id: string; intervention_id: string }[]>(
        `INSERT INTO reviews (id, intervention_id, reviewer_id, decision, reason, created_at)
         SELECT r.id, r.intervention_id, $3::uuid, $4::"ReviewDecision", $5, now() FROM unnest($1::uuid[], $2::uuid[]) AS r(id, intervention_id)
         RETURNING id, intervention_id`,
        timeOrderedIds(interventionIds.length),
        interventionIds,
        reviewerId,
        decision,
        reason,
      );
      const reviewOf = new Map(reviews.map((r) => [r.intervention_id, r.id]));
      await tx.$executeRawUnsafe(
        `UPDATE interventions SET status = $2::"InterventionStatus", updated_at = now() WHERE id = ANY($1::uuid[])`,
        interventionIds,
        status,
      );
      const [first, ...rest] = interventionIds.map((id) => ({
        action: "intervention.review",
        targetType: "Intervention",
        targetId: id,
        before: { status: "PROPOSED" },
        after: {
          status,
          decision,
          reason,
          reviewId: reviewOf.get(id),
          versionId: found.get(id)!.version_id,
          ...(options.batch ? { batch: interventionIds.length } : {}),
        },
      }));
      const result = await tx.intervention.findMany({ where: { id: { in: [...interventionIds] } }, orderBy: { id: "asc" } });
      return { result, audit: [first!, ...rest] as const };
    },
    { timeoutMs: 120_000 },
  );
}
