import { z } from "zod";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor, type Tx } from "../audit.ts";
import { CONTENT_HASH_FORMAT, ContentHasher } from "../content-hash.ts";
import { conflict, forbidden, notFound } from "../errors.ts";
import { Prisma, type Release } from "../generated/prisma/client.ts";
import { evaluateReleaseGate, type GateVerdict } from "./evaluate-release-gate.ts";
import { parseOptions } from "./parse-options.ts";
import { assertDraft } from "./versions.ts";

const optionsSchema = z.object({
  versionId: z.uuid(),
  /** Releases despite a blocked gate: ADMIN only, non-empty. */
  overrideReason: z.string().max(2_000).nullish(),
});
export type ReleaseVersionOptions = z.input<typeof optionsSchema>;

/** What a release records about where it came from (Release.lineage). */
export interface ReleaseLineage {
  /** The version this one was drafted from (createDraftVersion): run → parent → this version. */
  parentVersionId: string | null;
  /**
   * The runs whose scores were the evidence of the interventions this release applied, sorted
   * by id, each with the version it trained on and whether that version was still a DRAFT when
   * the run started (allowDraft). Releases made before it was recorded lack it: versionLineage
   * derives it from their applied interventions (frozen like the release).
   */
  runs?: LineageRun[];
  /** The APPROVED interventions this release applied (now APPLIED), sorted. */
  interventionIds: string[];
  /** Members removed by approved PRUNE interventions. */
  removed: number;
  /** Members whose weight approved DOWNWEIGHT interventions changed. */
  reweighted: number;
  /** Canary members left out (canaries are never released). */
  canariesExcluded: number;
  /** Which canaries were left out, sorted (releaseChangeRows lists them; canaries are few). */
  canaryExampleIds: string[];
  /** PROPOSED interventions nobody reviewed: not applied, and no longer reviewable. */
  unreviewed: number;
  /** Members of the released version. */
  examples: number;
  contentHashFormat: string;
}

/** A run in a release's lineage. */
export interface LineageRun {
  runId: string;
  /** The version the run trained on (usually the released parent). */
  versionId: string;
  /** The run started on a DRAFT (allowDraft): only its snapshot says what it trained on. */
  onDraft: boolean;
}

/** Pairs per page when hashing the released membership. */
const HASH_PAGE = 50_000;

/**
 * Releases a DRAFT version, in one transaction with its audit event:
 * 1. the release gate (if the dataset has one) must pass — otherwise CONFLICT with the
 *    reasons, unless an ADMIN gives `overrideReason` (stored on the Release and audited);
 * 2. APPROVED interventions are applied — PRUNE removes the membership, DOWNWEIGHT sets the
 *    weight — and marked APPLIED with the release id; nothing else is applied;
 * 3. canary members are removed (counted in `lineage.canariesExcluded`);
 * 4. the content hash (content-hash.ts) is computed over the final (example content hash,
 *    weight) pairs, and the version becomes RELEASED — from then on the database triggers
 *    refuse any change to it.
 */
export async function releaseVersion(db: Database, actor: Actor, options: ReleaseVersionOptions): Promise<Release> {
  const { versionId, overrideReason: rawOverride } = parseOptions(optionsSchema, options);
  const overrideReason = rawOverride?.trim() || null;
  if (!actor.userId) throw forbidden("A release is made by a user (the releaser is recorded)");
  const releasedById = actor.userId;

  return auditedTransaction(
    db,
    actor,
    async (tx) => {
      const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM dataset_versions WHERE id = ${versionId}::uuid FOR UPDATE`;
      if (!locked) throw notFound("DatasetVersion", versionId);
      const version = await tx.datasetVersion.findUniqueOrThrow({ where: { id: versionId } });
      assertDraft(version);

      const verdict = await evaluateReleaseGate(tx, versionId);
      const overridden = checkGate(verdict, overrideReason, actor, versionId);

      const approved = await tx.$queryRaw<{ id: string; example_id: string; action: "PRUNE" | "DOWNWEIGHT"; weight: number }[]>`
        SELECT id, example_id, action::text AS action, weight FROM interventions
        WHERE version_id = ${versionId}::uuid AND status = 'APPROVED' ORDER BY id FOR UPDATE`;
      const { prune, downweight } = membershipChanges(approved);
      // The changes go in as arrays joined on the primary key, not as a join with `interventions`:
      // right after a large proposal that table has no statistics yet, and the planner's guess
      // (a nested loop over both) took 84 s for 10 k prunes of a 100 k-example version.
      const removed = prune.length
        ? await tx.$executeRaw`
            DELETE FROM version_examples WHERE version_id = ${versionId}::uuid AND example_id = ANY(${prune}::uuid[])`
        : 0;
      const reweighted = downweight.exampleIds.length
        ? await tx.$executeRaw`
            UPDATE version_examples ve SET weight = d.weight
            FROM unnest(${downweight.exampleIds}::uuid[], ${downweight.weights}::real[]) AS d(example_id, weight)
            WHERE ve.version_id = ${versionId}::uuid AND ve.example_id = d.example_id AND ve.weight IS DISTINCT FROM d.weight`
        : 0;
      const canaryRows = await tx.$queryRaw<{ example_id: string }[]>`
        DELETE FROM version_examples ve USING examples e
        WHERE ve.version_id = ${versionId}::uuid AND e.id = ve.example_id AND e.is_canary
        RETURNING ve.example_id::text AS example_id`;
      const canaryExampleIds = canaryRows.map((r) => r.example_id).sort();
      const canariesExcluded = canaryExampleIds.length;
      const [{ unreviewed }] = (await tx.$queryRaw<{ unreviewed: number }[]>`
        SELECT count(*)::int AS unreviewed FROM interventions WHERE version_id = ${versionId}::uuid AND status = 'PROPOSED'`) as [{ unreviewed: number }];

      const runs = await lineageRuns(
        tx,
        approved.map((r) => r.id),
      );
      const { contentHash, examples } = await hashMembership(tx, versionId);
      const lineage: ReleaseLineage = {
        parentVersionId: version.parentId,
        runs,
        interventionIds: approved.map((r) => r.id),
        removed,
        reweighted,
        canariesExcluded,
        canaryExampleIds,
        unreviewed,
        examples,
        contentHashFormat: CONTENT_HASH_FORMAT,
      };
      const release = await tx.release.create({
        data: {
          versionId,
          contentHash,
          lineage: lineage as unknown as Prisma.InputJsonValue,
          gateVerdict: verdict ? (verdict as unknown as Prisma.InputJsonValue) : Prisma.DbNull,
          overrideReason: overridden ? overrideReason : null,
          releasedById,
        },
      });
      await tx.$executeRaw`
        UPDATE interventions SET status = 'APPLIED', release_id = ${release.id}::uuid, updated_at = now()
        WHERE version_id = ${versionId}::uuid AND status = 'APPROVED'`;
      const releasedAt = new Date();
      await tx.datasetVersion.update({ where: { id: versionId }, data: { status: "RELEASED", contentHash, releasedAt } });
      return {
        result: release,
        audit: {
          action: "version.release",
          targetType: "DatasetVersion",
          targetId: versionId,
          before: { status: "DRAFT" },
          after: {
            status: "RELEASED",
            releaseId: release.id,
            contentHash,
            releasedAt,
            ...lineage,
            interventionIds: undefined,
            canaryExampleIds: undefined,
            interventionsApplied: lineage.interventionIds.length,
            gateVerdict: verdict,
            overrideReason: overridden ? overrideReason : null,
          },
        },
      };
    },
    { timeoutMs: 600_000 },
  );
}

/**
 * The runs behind the given interventions (their evidence), with the version each trained on;
 * a run trained on a draft when its version was not yet released when the run was created.
 */
export async function lineageRuns(tx: Pick<Tx, "$queryRaw">, interventionIds: readonly string[]): Promise<LineageRun[]> {
  if (!interventionIds.length) return [];
  const rows = await tx.$queryRaw<{ run_id: string; version_id: string; on_draft: boolean }[]>`
    SELECT r.id::text AS run_id, r.version_id::text AS version_id, (v.released_at IS NULL OR v.released_at > r.created_at) AS on_draft
      FROM runs r JOIN dataset_versions v ON v.id = r.version_id
     WHERE r.id IN (SELECT DISTINCT run_id FROM interventions WHERE id = ANY(${interventionIds as string[]}::uuid[]) AND run_id IS NOT NULL)
     ORDER BY r.id`;
  return rows.map((r) => ({ runId: r.run_id, versionId: r.version_id, onDraft: r.on_draft }));
}

/**
 * What the approved interventions do to the membership: PRUNE removes the example (an example
 * both pruned and down-weighted is pruned), DOWNWEIGHT sets its weight (the smallest, should an
 * example have several; proposals allow only one open intervention per example and version).
 */
function membershipChanges(approved: readonly { example_id: string; action: "PRUNE" | "DOWNWEIGHT"; weight: number }[]): {
  prune: string[];
  downweight: { exampleIds: string[]; weights: number[] };
} {
  const pruned = new Set(approved.filter((a) => a.action === "PRUNE").map((a) => a.example_id));
  const weights = new Map<string, number>();
  for (const a of approved) {
    if (a.action !== "DOWNWEIGHT" || pruned.has(a.example_id)) continue;
    weights.set(a.example_id, Math.min(weights.get(a.example_id) ?? Number.POSITIVE_INFINITY, a.weight));
  }
  return { prune: [...pruned], downweight: { exampleIds: [...weights.keys()], weights: [...weights.values()] } };
}

/** Who may release despite a blocked release gate (with a reason): the one place the rule lives. */
export function canOverrideReleaseGate(role: string | null | undefined): boolean {
  return role === "ADMIN";
}

/** Returns true when a blocked gate is overridden; throws when it blocks the release. */
function checkGate(verdict: GateVerdict | null, overrideReason: string | null, actor: Actor, versionId: string): boolean {
  if (!verdict || verdict.passed) return false;
  const why = verdict.reasons.join("; ");
  if (!overrideReason) {
    throw conflict(`The release gate blocks version ${versionId}: ${why}. An ADMIN may release anyway with an overrideReason.`);
  }
  if (!canOverrideReleaseGate(actor.role)) throw forbidden(`Only an ADMIN can override the release gate (${why})`);
  return true;
}

/**
 * Streams the membership in content-hash order (byte order: COLLATE "C") into the hasher,
 * through a cursor of the release's transaction: the membership is sorted once, then fetched
 * page by page (keyset pages re-sorted the remaining members for every page: 45 s of a 1 M
 * release).
 */
async function hashMembership(tx: Tx, versionId: string): Promise<{ contentHash: string; examples: number }> {
  const hasher = new ContentHasher();
  let examples = 0;
  await tx.$executeRawUnsafe(
    `DECLARE release_membership NO SCROLL CURSOR FOR
       SELECT e.content_hash, ve.weight FROM version_examples ve JOIN examples e ON e.id = ve.example_id
       WHERE ve.version_id = $1::uuid ORDER BY e.content_hash COLLATE "C"`,
    versionId,
  );
  for (;;) {
    const page = await tx.$queryRawUnsafe<{ content_hash: string; weight: number }[]>(`FETCH FORWARD ${HASH_PAGE} FROM release_membership`);
    for (const row of page) hasher.add({ contentHash: row.content_hash, weight: Number(row.weight) });
    examples += page.length;
    if (page.length < HASH_PAGE) break;
  }
  await tx.$executeRawUnsafe(`CLOSE release_membership`);
  return { contentHash: hasher.digest(), examples };
}
