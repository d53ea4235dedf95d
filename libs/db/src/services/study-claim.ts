import { randomUUID } from "node:crypto";
import type { Database } from "../database.ts";
import { appendAuditEvent, auditedTransaction, type Actor, type Tx } from "../audit.ts";
import { heartbeatStaleSeconds } from "../env.ts";
import { conflict, notFound } from "../errors.ts";
import type { Prisma, Study } from "../generated/prisma/client.ts";

/**
 * The worker's side of an intervention study (issue 12), as for runs (run-claim.ts):
 *
 *   claimStudy          QUEUED → RUNNING ("study.claim"), or RUNNING with a stale heartbeat
 *                       (progress.heartbeatAt) → RUNNING under a new claim ("study.resume"); audited
 *   writeStudyProgress  progress and heartbeat (not audited)
 *   finishStudy         RUNNING → SUCCEEDED with the report ("study.succeed"); audited
 *   failStudy           RUNNING → FAILED ("study.fail"); audited
 *
 * Progress, finish and fail carry the claim's id and are refused unless the study is still
 * RUNNING under that claim.
 */
export interface StudyClaim {
  studyId: string;
  claimId: string;
  resumed: boolean;
  study: Study;
}

export async function claimStudy(
  db: Database,
  actor: Actor,
  { studyId, staleAfterSeconds = heartbeatStaleSeconds() }: { studyId: string; staleAfterSeconds?: number },
): Promise<StudyClaim | null> {
  const claimId = randomUUID();
  return db.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ status: string }[]>(
      `WITH before AS (SELECT id, status, progress FROM studies WHERE id = $1::uuid FOR UPDATE)
       UPDATE studies s SET status = 'RUNNING', error = NULL, claim_id = $3::uuid,
              progress = jsonb_build_object('phase', 'starting', 'heartbeatAt', to_jsonb(now()))
       FROM before
       WHERE s.id = before.id
         AND (before.status = 'QUEUED'
              OR (before.status = 'RUNNING'
                  AND (before.progress IS NULL OR NOT (before.progress ? 'heartbeatAt')
                       OR (before.progress ->> 'heartbeatAt')::timestamptz < now() - make_interval(secs => $2::float8))))
       RETURNING before.status::text AS status`,
      studyId,
      staleAfterSeconds,
      claimId,
    );
    if (rows.length === 0) return null;
    const resumed = rows[0]!.status === "RUNNING";
    await appendAuditEvent(tx, actor, {
      action: resumed ? "study.resume" : "study.claim",
      targetType: "Study",
      targetId: studyId,
      before: { status: rows[0]!.status },
      after: { status: "RUNNING" },
    });
    const study = await tx.study.findUniqueOrThrow({ where: { id: studyId } });
    return { studyId, claimId, resumed, study };
  });
}

/** Replaces the study's progress (which carries its heartbeat, `heartbeatAt`). False when the claim is no longer the study's. */
export async function writeStudyProgress(
  db: Database,
  { studyId, claimId, progress }: { studyId: string; claimId: string; progress: Record<string, unknown> },
): Promise<boolean> {
  const rows = await db.sql(`UPDATE studies SET progress = $3::jsonb WHERE id = $1::uuid AND status = 'RUNNING' AND claim_id = $2::uuid RETURNING id`, [
    studyId,
    claimId,
    JSON.stringify(progress),
  ]);
  return rows.length === 1;
}

async function lockClaimed(tx: Tx, studyId: string, claimId: string): Promise<void> {
  const [row] = await tx.$queryRawUnsafe<{ status: string; claim_id: string | null }[]>(
    `SELECT status::text AS status, claim_id::text AS claim_id FROM studies WHERE id = $1::uuid FOR UPDATE`,
    studyId,
  );
  if (!row) throw notFound("Study", studyId);
  if (row.status !== "RUNNING") throw conflict(`Study ${studyId} is ${row.status}, not RUNNING: this worker's claim ended`);
  if (row.claim_id !== claimId) throw conflict(`Study ${studyId} was claimed by another worker; this worker's claim ended`);
}

/** RUNNING → SUCCEEDED with the stored report, audited with the report's summary; refused unless still RUNNING under `claimId`. */
export async function finishStudy(
  db: Database,
  actor: Actor,
  { studyId, claimId, report, summary, trainings }: { studyId: string; claimId: string; report: Record<string, unknown>; summary: unknown; trainings: number },
): Promise<Study> {
  return auditedTransaction(
    db,
    actor,
    async (tx) => {
      await lockClaimed(tx, studyId, claimId);
      const study = await tx.study.update({
        where: { id: studyId },
        data: {
          status: "SUCCEEDED",
          report: report as Prisma.InputJsonValue,
          progress: { phase: "done", trainingsDone: trainings, trainings, heartbeatAt: new Date().toISOString() },
          error: null,
          finishedAt: new Date(),
        },
      });
      return {
        result: study,
        audit: { action: "study.succeed", targetType: "Study", targetId: studyId, before: { status: "RUNNING" }, after: { status: "SUCCEEDED", summary } },
      };
    },
    { timeoutMs: 120_000 },
  );
}

/** RUNNING → FAILED with the error, audited; refused unless still RUNNING under `claimId`. */
export async function failStudy(db: Database, actor: Actor, { studyId, claimId, error }: { studyId: string; claimId: string; error: string }): Promise<Study> {
  return auditedTransaction(db, actor, async (tx) => {
    await lockClaimed(tx, studyId, claimId);
    const study = await tx.study.update({ where: { id: studyId }, data: { status: "FAILED", error, finishedAt: new Date() } });
    return {
      result: study,
      audit: { action: "study.fail", targetType: "Study", targetId: studyId, before: { status: "RUNNING" }, after: { status: "FAILED", error } },
    };
  });
}

/** One example of a version as a study passage's raw material (libs/study turns it into a StudyPassage). */
export interface StudyCorpusRow {
  key: string;
  text: string;
  split: "TRAIN" | "VALIDATION";
  isCanary: boolean;
  canaryPrefix: string | null;
  canarySecret: string | null;
  /** payload.repetitions as stored (any JSON value, or null). */
  repetitions: unknown;
}

/** The version's TRAIN and VALIDATION examples in key order (TEST is held out of the study). */
export async function studyCorpusRows(db: Database, versionId: string): Promise<StudyCorpusRow[]> {
  const rows = await db.sql<{
    key: string;
    text: string;
    split: "TRAIN" | "VALIDATION";
    is_canary: boolean;
    canary_prefix: string | null;
    canary_secret: string | null;
    repetitions: unknown;
  }>(
    `SELECT e.key, e.text, e.split::text AS split, e.is_canary, e.canary_prefix, e.canary_secret, e.payload -> 'repetitions' AS repetitions
     FROM version_examples ve JOIN examples e ON e.id = ve.example_id
     WHERE ve.version_id = $1::uuid AND e.split IN ('TRAIN', 'VALIDATION')
     ORDER BY e.key`,
    [versionId],
  );
  return rows.map((r) => ({
    key: r.key,
    text: r.text,
    split: r.split,
    isCanary: r.is_canary,
    canaryPrefix: r.canary_prefix,
    canarySecret: r.canary_secret,
    repetitions: r.repetitions,
  }));
}
