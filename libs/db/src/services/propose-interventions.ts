import { createHash } from "node:crypto";
import { z } from "zod";
import { applyPolicy, ConfigError, parsePolicySpec, QUADRANT_CODE, QUADRANTS, type PolicySpec, type Quadrant, type QuadrantThresholds } from "@gdc/cartography";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor, type Tx } from "../audit.ts";
import { canonicalJson } from "../canonical-json.ts";
import { DomainError, badInput, conflict, notFound } from "../errors.ts";
import type { Intervention } from "../generated/prisma/client.ts";
import { parseOptions } from "./parse-options.ts";
import { SCORE_SIGNAL_COLUMNS, scoreRowOf } from "./query-examples.ts";
import { memorizationSignalOf } from "./run-scoring-config.ts";
import { timeOrderedIds } from "./time-ordered-ids.ts";
import { assertDraft } from "./versions.ts";

/** The columns of an intervention as the Prisma client names and types them (what the insert returns). */
const INTERVENTION_COLUMNS = `id, version_id AS "versionId", example_id AS "exampleId", run_id AS "runId", action::text AS action, weight, policy, evidence,
  status::text AS status, proposed_by_id AS "proposedById", release_id AS "releaseId", created_at AS "createdAt", updated_at AS "updatedAt"`;

/** A selection (lasso) larger than this is refused; policies have no limit. */
export const MAX_SELECTION = 100_000;

const optionsSchema = z.object({
  versionId: z.uuid(),
  runId: z.uuid().nullish(),
  policy: z.unknown().optional(),
  exampleIds: z.array(z.uuid()).min(1, "must name at least one example").max(MAX_SELECTION).nullish(),
  action: z.enum(["PRUNE", "DOWNWEIGHT"]).nullish(),
  weight: z.number().nullish(),
  reason: z.string().max(2_000).nullish(),
  dryRun: z.boolean().nullish(),
});

export interface ProposeInterventionsOptions {
  versionId: string;
  /** The run whose scores are the evidence (required with a policy). */
  runId?: string;
  /** A libs/cartography PolicySpec as JSON, e.g. {"name":"pruneTopByMemorization","params":{"percent":10}}. */
  policy?: unknown;
  /** …or an explicit selection (a lasso on the data map), with `action` (and `weight` for DOWNWEIGHT). */
  exampleIds?: string[];
  action?: "PRUNE" | "DOWNWEIGHT";
  weight?: number;
  /** Why; kept in each intervention's evidence. */
  reason?: string | null;
  /**
   * Preview: every check and the same insert run, then the transaction is rolled back, so the
   * counts are exactly what proposing now would give, and nothing (no row, no audit event) stays.
   */
  dryRun?: boolean | null;
}

export interface ProposeInterventionsResult {
  /** With dryRun: how many would be proposed (and `interventions` is empty). */
  proposed: number;
  /** Candidates left out: not a member of the version, a canary, a duplicate, or already proposed/approved there. */
  skipped: number;
  interventions: Intervention[];
}

interface Candidate {
  exampleId: string;
  action: "PRUNE" | "DOWNWEIGHT";
  weight: number;
  evidence: Record<string, unknown>;
}

/**
 * Proposes interventions on a DRAFT version — nothing changes the dataset until a reviewer
 * approves and a release applies them.
 *
 * - From a policy: the run's ExampleScore rows of the version's members (by example identity,
 *   so a run on a released parent applies to its child draft; canaries left out: they never
 *   reach a release, so they must not take the places of real examples in a top-x % policy) go through
 *   libs/cartography's `applyPolicy`; each proposal keeps the engine's evidence (scores,
 *   quadrant, the run's thresholds, read from `run.scoringResolved.thresholds`). Examples
 *   the version does not hold are not candidates at all.
 * - From an explicit selection: `action` is required, `weight` too for DOWNWEIGHT (in (0, 1)
 *   as float32; PRUNE is weight 0). Every id must be a member of the version (BAD_USER_INPUT
 *   naming `exampleIds.<i>`); canaries and duplicates are skipped. Evidence: the example's
 *   scores in `runId` when given.
 *
 * An example that already has a PROPOSED or APPROVED intervention on the version is skipped.
 * One multi-row INSERT for the batch and ONE audit event for it (its `after` holds the counts
 * and a SHA-256 over the sorted new intervention ids; the rows themselves name the proposer).
 */
export async function proposeInterventions(db: Database, actor: Actor, options: ProposeInterventionsOptions): Promise<ProposeInterventionsResult> {
  const input = parseOptions(optionsSchema, options);
  if (!actor.userId) throw new DomainError("FORBIDDEN", "Interventions are proposed by a user (the proposer is recorded for four-eyes review)");
  const proposerId = actor.userId;
  const reason = input.reason?.trim() || undefined;
  const mode = checkMode(input);

  const work = auditedTransaction(
    db,
    actor,
    async (tx) => {
      const [version] = await tx.$queryRaw<{ id: string; status: string; dataset_id: string }[]>`
        SELECT id, status::text, dataset_id FROM dataset_versions WHERE id = ${input.versionId}::uuid FOR UPDATE`;
      if (!version) throw notFound("DatasetVersion", input.versionId);
      assertDraft(version);

      const runId = input.runId ?? null;
      let run: { id: string; status: string; scoringResolved: unknown } | null = null;
      if (runId) {
        const found = await tx.run.findUnique({ where: { id: runId }, include: { version: { select: { datasetId: true } } } });
        if (!found) throw notFound("Run", runId);
        if (found.version.datasetId !== version.dataset_id) throw badInput("runId", `run ${runId} trained on another dataset than version ${version.id}`);
        run = found;
      }

      let candidates: Candidate[];
      let skipped = 0;
      let policyJson: unknown;
      if (mode.kind === "policy") {
        candidates = await candidatesFromPolicy(tx, version.id, run!, mode.policy, reason);
        policyJson = mode.policy;
      } else {
        const selection = await candidatesFromSelection(tx, version.id, runId, run, mode, reason);
        candidates = selection.candidates;
        skipped += selection.skipped;
        policyJson = { name: "selection", action: mode.action, weight: mode.weight };
      }

      const ids = timeOrderedIds(candidates.length);
      const inserted = candidates.length
        ? await tx.$queryRawUnsafe<Intervention[]>(
            `INSERT INTO interventions (id, version_id, example_id, run_id, action, weight, policy, evidence, status, proposed_by_id, created_at, updated_at)
             SELECT r.id, $1::uuid, r.example_id, $2::uuid, r.action::"InterventionAction", r.weight, $3::jsonb, r.evidence::jsonb, 'PROPOSED', $4::uuid, now(), now()
             FROM unnest($5::uuid[], $6::uuid[], $7::text[], $8::real[], $9::text[]) AS r(id, example_id, action, weight, evidence)
             WHERE EXISTS (SELECT 1 FROM version_examples ve WHERE ve.version_id = $1::uuid AND ve.example_id = r.example_id)
               AND NOT EXISTS (SELECT 1 FROM interventions i WHERE i.version_id = $1::uuid AND i.example_id = r.example_id AND i.status IN ('PROPOSED', 'APPROVED'))
             RETURNING ${INTERVENTION_COLUMNS}`,
            version.id,
            runId,
            canonicalJson(policyJson),
            proposerId,
            ids,
            candidates.map((c) => c.exampleId),
            candidates.map((c) => c.action),
            candidates.map((c) => c.weight),
            candidates.map((c) => canonicalJson(c.evidence)),
          )
        : [];
      skipped += candidates.length - inserted.length;
      // Read back by RETURNING, not by a second query on the ids: a policy over a million
      // examples proposes 100 k of them, more than a statement's bind parameters allow.
      const interventions = inserted.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const newIds = interventions.map((r) => r.id);
      const result = { proposed: interventions.length, skipped, interventions };
      if (input.dryRun) throw new DryRunRollback({ proposed: result.proposed, skipped, interventions: [] });
      return {
        result,
        audit: {
          action: "interventions.propose",
          targetType: "DatasetVersion",
          targetId: version.id,
          after: {
            runId,
            policy: policyJson,
            reason: reason ?? null,
            proposed: result.proposed,
            skipped,
            interventionIdsSha256: createHash("sha256").update(newIds.join("\n")).digest("hex"),
          },
        },
      };
    },
    { timeoutMs: 600_000 },
  );
  if (!input.dryRun) return work;
  try {
    await work;
  } catch (err) {
    if (err instanceof DryRunRollback) return err.result;
    throw err;
  }
  throw new Error("a dry run committed"); // unreachable: the dry run always rolls back
}

/** Thrown inside a dry run's transaction: rolls it back and carries the counts out. */
class DryRunRollback extends Error {
  constructor(readonly result: ProposeInterventionsResult) {
    super("dry run (rolled back)");
  }
}

type Mode = { kind: "policy"; policy: PolicySpec } | { kind: "selection"; exampleIds: string[]; action: "PRUNE" | "DOWNWEIGHT"; weight: number };

function checkMode(input: z.output<typeof optionsSchema>): Mode {
  const hasPolicy = input.policy !== undefined && input.policy !== null;
  const hasSelection = input.exampleIds !== undefined && input.exampleIds !== null;
  if (hasPolicy && hasSelection) throw badInput("policy", "give either a policy or exampleIds, not both");
  if (!hasPolicy && !hasSelection) throw badInput("policy", "give a policy (with runId) or exampleIds (with action)");
  if (hasPolicy) {
    if (!input.runId) throw badInput("runId", "is required with a policy (the policy runs on that run's scores)");
    if (input.action != null) throw badInput("action", "comes from the policy; leave it out");
    if (input.weight != null) throw badInput("weight", "comes from the policy; leave it out");
    try {
      return { kind: "policy", policy: parsePolicySpec(input.policy) };
    } catch (err) {
      if (err instanceof ConfigError) throw new DomainError("BAD_USER_INPUT", err.message, err.field);
      throw err;
    }
  }
  if (!input.action) throw badInput("action", "is required with exampleIds (PRUNE or DOWNWEIGHT)");
  if (input.action === "PRUNE") {
    if (input.weight != null && input.weight !== 0) throw badInput("weight", "a PRUNE has weight 0; leave it out");
    return { kind: "selection", exampleIds: input.exampleIds!, action: "PRUNE", weight: 0 };
  }
  if (input.weight == null) throw badInput("weight", "is required with DOWNWEIGHT");
  // Weights are stored as float32 (REAL): judge the value that will be stored.
  const stored = Math.fround(input.weight);
  if (!(stored > 0 && stored < 1)) throw badInput("weight", `a DOWNWEIGHT weight must be strictly between 0 and 1, got ${input.weight}`);
  return { kind: "selection", exampleIds: input.exampleIds!, action: "DOWNWEIGHT", weight: input.weight };
}

/** Reads the thresholds the scoring job stored (`scoringResolved.thresholds`), or null. */
export function storedThresholds(scoringResolved: unknown): QuadrantThresholds | null {
  const t = (scoringResolved as { thresholds?: unknown } | null)?.thresholds as Partial<QuadrantThresholds> | undefined;
  if (t && typeof t.difficulty === "number" && typeof t.memorization === "number") return t as QuadrantThresholds;
  return null;
}

interface ScoreRow {
  example_id: string;
  difficulty: number;
  memorization: number;
  forget_events: number;
  quadrant: Quadrant;
}

async function candidatesFromPolicy(
  tx: Tx,
  versionId: string,
  run: { id: string; status: string; scoringResolved: unknown },
  policy: PolicySpec,
  reason: string | undefined,
): Promise<Candidate[]> {
  // The run's scores apply to the target version's members by example identity: a run on a
  // released parent scores the examples its child draft inherited, and examples the version no
  // longer holds (pruned by an earlier release) must not take the places of a top-x % policy.
  const rows = await tx.$queryRawUnsafe<ScoreRow[]>(
    `SELECT s.example_id, s.difficulty, s.memorization, s.forget_events, s.quadrant::text AS quadrant
     FROM example_scores s
     JOIN examples e ON e.id = s.example_id
     JOIN version_examples ve ON ve.version_id = $2::uuid AND ve.example_id = s.example_id
     WHERE s.run_id = $1::uuid AND NOT e.is_canary
     ORDER BY s.ordinal`,
    run.id,
    versionId,
  );
  if (!rows.length) {
    const scored = await tx.exampleScore.count({ where: { runId: run.id } });
    if (!scored) throw conflict(`Run ${run.id} has no scores yet (status ${run.status}); propose once it has been scored`);
    throw conflict(`Run ${run.id} scored none of the examples version ${versionId} holds (apart from canaries): its scores cannot apply there`);
  }
  const n = rows.length;
  const ids = new Array<string>(n);
  const difficulty = new Float64Array(n);
  const memorization = new Float64Array(n);
  const forgetEvents = new Int32Array(n);
  const quadrant = new Uint8Array(n);
  const counts = Object.fromEntries(QUADRANTS.map((q) => [q, 0])) as Record<Quadrant, number>;
  rows.forEach((r, i) => {
    ids[i] = r.example_id;
    difficulty[i] = r.difficulty;
    memorization[i] = r.memorization;
    forgetEvents[i] = r.forget_events;
    quadrant[i] = QUADRANT_CODE[r.quadrant];
    counts[r.quadrant]++;
  });
  const thresholds = storedThresholds(run.scoringResolved);
  // The engine only copies thresholds into the evidence; the stored quadrants are what it selects on.
  const assignment = { thresholds: thresholds ?? { source: "absolute" as const, difficulty: Number.NaN, memorization: Number.NaN }, quadrant, counts };
  const proposals = applyPolicy(policy, { difficulty, memorization, forgetEvents }, assignment, ids, { runId: run.id });
  return proposals.map((p) => ({
    exampleId: p.exampleId,
    action: p.action,
    weight: p.weight,
    evidence: { ...p.evidence, memorizationSignal: memorizationSignalOf(run.scoringResolved), thresholds, runId: run.id, ...(reason ? { reason } : {}) },
  }));
}

async function candidatesFromSelection(
  tx: Tx,
  versionId: string,
  runId: string | null,
  run: { scoringResolved: unknown } | null,
  mode: Extract<Mode, { kind: "selection" }>,
  reason: string | undefined,
): Promise<{ candidates: Candidate[]; skipped: number }> {
  const unique = [...new Set(mode.exampleIds)];
  let skipped = mode.exampleIds.length - unique.length;
  const members = await tx.$queryRawUnsafe<{ id: string; is_canary: boolean }[]>(
    `SELECT e.id, e.is_canary FROM version_examples ve JOIN examples e ON e.id = ve.example_id
     WHERE ve.version_id = $1::uuid AND ve.example_id = ANY($2::uuid[])`,
    versionId,
    unique,
  );
  const canary = new Map(members.map((m) => [m.id, m.is_canary]));
  const position = mode.exampleIds.findIndex((id) => !canary.has(id));
  if (position >= 0) throw badInput(`exampleIds.${position}`, `example ${mode.exampleIds[position]} is not a member of version ${versionId}`);

  const scores = new Map<string, Record<string, unknown>>();
  if (runId) {
    // One array parameter (a selection may hold up to MAX_SELECTION ids, more than a statement's bind parameters allow).
    const rows = await tx.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT s.example_id, ${SCORE_SIGNAL_COLUMNS}, s.quadrant::text AS quadrant
       FROM example_scores s WHERE s.run_id = $1::uuid AND s.example_id = ANY($2::uuid[])`,
      runId,
      unique,
    );
    const thresholds = storedThresholds(run?.scoringResolved);
    const memorizationSignal = memorizationSignalOf(run?.scoringResolved);
    for (const row of rows) {
      const { memorization, ...rest } = scoreRowOf(row);
      // The signals are null for runs scored before they were stored: left out then.
      const signals = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== null));
      scores.set(row.example_id as string, { memorization, memorizationSignal, ...signals, thresholds });
    }
  }
  const candidates: Candidate[] = [];
  for (const exampleId of unique) {
    if (canary.get(exampleId)) {
      skipped++;
      continue;
    }
    candidates.push({
      exampleId,
      action: mode.action,
      weight: mode.weight,
      evidence: { source: "selection", runId, ...(scores.get(exampleId) ?? (runId ? { scored: false } : {})), ...(reason ? { reason } : {}) },
    });
  }
  return { candidates, skipped };
}
