import { appendAuditEvent, auditedTransaction, systemActor, type Database, type Prisma } from "@gdc/db";
import type { InterventionStudyOptions, StudyConfig, StudyPassage, StudyProgress, StudyReport } from "@gdc/study";
import type { JobImplementation } from "./index.ts";
import { staleAfterSeconds } from "./train.ts";

const worker = systemActor("worker");

/** Progress is written at most this often (plus at every phase change). */
const PROGRESS_INTERVAL_MS = 1000;

/**
 * Runs an intervention study and stores its report. Claims the study atomically — QUEUED, or
 * RUNNING with a heartbeat (Study.progress.heartbeatAt) older than the stale limit, i.e. its
 * worker died — so two workers never run one study. A study has no checkpoints: a resumed
 * study starts over, and gives the same report (same seeds, same backend). The report and the
 * final status are written with their audit event in one transaction.
 */
export const studyJob: JobImplementation<"study"> = async (deps, { studyId }) => {
  const { db } = deps;
  const log = deps.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  if (!(await claimStudy(db, studyId))) {
    log(`study ${studyId}: not claimed (finished, or held by a live worker)`);
    return;
  }
  const row = await db.prisma.study.findUniqueOrThrow({ where: { id: studyId } });
  const study = await import("@gdc/study");

  let lastWrite = 0;
  let latest: Record<string, unknown> = { phase: "starting" };
  const writeProgress = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastWrite < PROGRESS_INTERVAL_MS) return;
    lastWrite = now;
    const progress = { ...latest, heartbeatAt: new Date(now).toISOString() };
    void db
      .sql(`UPDATE studies SET progress = $2::jsonb WHERE id = $1::uuid AND status = 'RUNNING'`, [studyId, JSON.stringify(progress)])
      .catch(() => {});
  };
  // Keeps the heartbeat fresh through phases without training progress (audits, scoring).
  const heartbeat = setInterval(() => writeProgress(true), 10_000);
  heartbeat.unref();
  try {
    // startStudy validated the config with the same schema; a study stored before that fails here, naming the field.
    let options: InterventionStudyOptions;
    try {
      const own = row.versionId ? { corpus: await versionCorpus(db, row.versionId), corpusSource: `dataset version ${row.versionId}` } : null;
      options = study.resolveStudyOptions((row.config ?? {}) as StudyConfig, own);
    } catch (err) {
      if (!(err instanceof study.ConfigError)) throw err;
      await failStudy(db, studyId, `config.${err.field}: ${err.reason}`);
      log(`study ${studyId}: FAILED: config.${err.field}: ${err.reason}`);
      return;
    }
    const started = Date.now();
    const report = await study.runInterventionStudy(
      options,
      (p: StudyProgress) => {
        const phaseChanged = p.phase !== latest.phase || p.arm !== latest.arm || p.seed !== latest.seed;
        latest = progressOf(p, started);
        writeProgress(phaseChanged);
      },
    );
    await finishStudy(db, studyId, report, study.renderStudyReport(report, { images: "inline" }));
    log(`study ${studyId}: SUCCEEDED in ${report.timing.seconds.toFixed(0)} s; extractionRatio ${report.summary.extractionRatio}, perplexityIncrease ${report.summary.perplexityIncrease}`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await failStudy(db, studyId, message);
    log(`study ${studyId}: FAILED: ${message}`);
    // A bad corpus or config is the study's failure, recorded above; anything else may be the
    // machine's, so the queue may retry it.
    if (!(err instanceof study.StudyInputError)) throw err;
  } finally {
    clearInterval(heartbeat);
  }
};

function progressOf(p: StudyProgress, startedMs: number): Record<string, unknown> {
  const t = p.training;
  const out: Record<string, unknown> = {
    phase: p.phase,
    seed: p.seed,
    seedIndex: p.seedIndex,
    seeds: p.seeds,
    arm: p.arm,
    armLabel: p.armLabel,
    trainingsDone: p.trainingsDone,
    trainings: p.trainings,
    elapsedSeconds: (Date.now() - startedMs) / 1000,
  };
  if (t) Object.assign(out, { epoch: t.epoch, epochs: t.epochs, step: t.step, steps: t.steps, examplesPerSecond: t.examplesPerSecond, etaSeconds: t.etaSeconds });
  return out;
}

/**
 * The version's examples as the study's corpus. TRAIN and VALIDATION splits are used (TEST is
 * held out of the study). Canary examples keep their prefix and secret; a canary's
 * `payload.repetitions` (a positive integer) sets how many copies are trained on, default 1, and
 * examples holding the same prefix and secret are copies of one canary (the study groups them).
 */
async function versionCorpus(db: Database, versionId: string): Promise<StudyPassage[]> {
  const rows = await db.sql<{ key: string; text: string; split: string; is_canary: boolean; canary_prefix: string | null; canary_secret: string | null; repetitions: unknown }>(
    `SELECT e.key, e.text, e.split::text AS split, e.is_canary, e.canary_prefix, e.canary_secret, e.payload -> 'repetitions' AS repetitions
     FROM version_examples ve JOIN examples e ON e.id = ve.example_id
     WHERE ve.version_id = $1::uuid AND e.split IN ('TRAIN', 'VALIDATION')
     ORDER BY e.key`,
    [versionId],
  );
  return rows.map((r): StudyPassage => {
    const passage: StudyPassage = { id: r.key, text: r.text, split: r.split === "VALIDATION" ? "validation" : "train" };
    if (r.is_canary && r.canary_prefix !== null && r.canary_secret !== null) {
      const k = typeof r.repetitions === "number" && Number.isInteger(r.repetitions) && r.repetitions >= 1 ? r.repetitions : 1;
      passage.canary = { prefix: r.canary_prefix, secret: r.canary_secret, repetitions: k };
    }
    return passage;
  });
}

/** Atomically takes the study (QUEUED, or RUNNING with a stale heartbeat); audited. */
async function claimStudy(db: Database, studyId: string): Promise<boolean> {
  return db.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ status: string }[]>(
      `WITH before AS (SELECT id, status, progress FROM studies WHERE id = $1::uuid FOR UPDATE)
       UPDATE studies s SET status = 'RUNNING', error = NULL,
              progress = jsonb_build_object('phase', 'starting', 'heartbeatAt', to_jsonb(now()))
       FROM before
       WHERE s.id = before.id
         AND (before.status = 'QUEUED'
              OR (before.status = 'RUNNING'
                  AND (before.progress IS NULL OR NOT (before.progress ? 'heartbeatAt')
                       OR (before.progress ->> 'heartbeatAt')::timestamptz < now() - make_interval(secs => $2::float8))))
       RETURNING before.status::text AS status`,
      studyId,
      staleAfterSeconds(),
    );
    if (rows.length === 0) return false;
    const resumed = rows[0]!.status === "RUNNING";
    await appendAuditEvent(tx, worker, {
      action: resumed ? "study.resume" : "study.claim",
      targetType: "Study",
      targetId: studyId,
      before: { status: rows[0]!.status },
      after: { status: "RUNNING" },
    });
    return true;
  });
}

async function finishStudy(
  db: Database,
  studyId: string,
  report: StudyReport,
  rendered: { markdown: string; charts: { file: string; title: string; alt: string; svg: string }[] },
): Promise<void> {
  const stored = { ...report, markdown: rendered.markdown, charts: rendered.charts };
  await auditedTransaction(
    db,
    worker,
    async (tx) => {
      await tx.study.update({
        where: { id: studyId },
        data: {
          status: "SUCCEEDED",
          report: stored as unknown as Prisma.InputJsonValue,
          progress: { phase: "done", trainingsDone: report.timing.trainings, trainings: report.timing.trainings, heartbeatAt: new Date().toISOString() },
          error: null,
          finishedAt: new Date(),
        },
      });
      return {
        result: undefined,
        audit: { action: "study.succeed", targetType: "Study", targetId: studyId, before: { status: "RUNNING" }, after: { status: "SUCCEEDED", summary: report.summary } },
      };
    },
    { timeoutMs: 120_000 },
  );
}

async function failStudy(db: Database, studyId: string, message: string): Promise<void> {
  await auditedTransaction(db, worker, async (tx) => {
    await tx.study.update({ where: { id: studyId }, data: { status: "FAILED", error: message, finishedAt: new Date() } });
    return { result: undefined, audit: { action: "study.fail", targetType: "Study", targetId: studyId, before: { status: "RUNNING" }, after: { status: "FAILED", error: message } } };
  });
}
