import {
  claimStudy,
  DomainError,
  failStudy as failClaimedStudy,
  finishStudy as finishClaimedStudy,
  studyCorpusRows,
  systemActor,
  writeStudyProgress,
  type Database,
} from "@gdc/db";
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
 * final status are written with their audit event in one transaction (libs/db study-claim.ts),
 * and only under this worker's claim: progress, finish and fail are refused once another worker
 * resumed the study. A refused progress write (the study was cancelled, or another worker took
 * it over) aborts the running study (runInterventionStudy's `signal`), and the job ends without
 * writing a status: a cancelled study stays CANCELLED.
 */
export const studyJob: JobImplementation<"study"> = async (deps, { studyId }) => {
  const { db } = deps;
  const log = deps.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const claim = await claimStudy(db, worker, { studyId, staleAfterSeconds: staleAfterSeconds() });
  if (!claim) {
    log(`study ${studyId}: not claimed (finished, or held by a live worker)`);
    return;
  }
  const { study: row, claimId } = claim;
  const study = await import("@gdc/study");

  // Aborted when a progress write is refused: the study is no longer RUNNING under this claim.
  const stop = new AbortController();
  let lastWrite = 0;
  let latest: Record<string, unknown> = { phase: "starting" };
  const writeProgress = (force: boolean) => {
    const now = Date.now();
    if (stop.signal.aborted || (!force && now - lastWrite < PROGRESS_INTERVAL_MS)) return;
    lastWrite = now;
    const progress = { ...latest, heartbeatAt: new Date(now).toISOString() };
    void writeStudyProgress(db, { studyId, claimId, progress }).then(
      (written) => {
        if (!written && !stop.signal.aborted)
          stop.abort(new Error(`study ${studyId} is no longer RUNNING under this worker's claim (cancelled, or taken over)`));
      },
      () => {},
    );
  };
  // Keeps the heartbeat fresh through phases without training progress (audits, scoring).
  const heartbeat = setInterval(() => writeProgress(true), 10_000);
  heartbeat.unref();
  try {
    // startStudy validated the config with the same schema; a study stored before that fails here, naming the field.
    let options: InterventionStudyOptions;
    try {
      const own = row.versionId ? { corpus: await versionCorpus(db, row.versionId), corpusSource: `dataset version ${row.versionId}` } : null;
      options = { ...study.resolveStudyOptions((row.config ?? {}) as StudyConfig, own), signal: stop.signal };
    } catch (err) {
      if (!(err instanceof study.ConfigError)) throw err;
      await failStudy(db, studyId, claimId, `config.${err.field}: ${err.reason}`, log);
      log(`study ${studyId}: FAILED: config.${err.field}: ${err.reason}`);
      return;
    }
    const started = Date.now();
    const report = await study.runInterventionStudy(options, (p: StudyProgress) => {
      const phaseChanged = p.phase !== latest.phase || p.arm !== latest.arm || p.seed !== latest.seed;
      latest = progressOf(p, started);
      writeProgress(phaseChanged);
    });
    if (stop.signal.aborted) {
      log(`study ${studyId}: stopped, not finished: ${String((stop.signal.reason as Error).message)}`);
      return;
    }
    await finishStudy(db, studyId, claimId, report, study.renderStudyReport(report, { images: "inline" }));
    log(
      `study ${studyId}: SUCCEEDED in ${report.timing.seconds.toFixed(0)} s; extractionRatio ${report.summary.extractionRatio}, perplexityIncrease ${report.summary.perplexityIncrease}`,
    );
  } catch (err) {
    if (stop.signal.aborted) {
      // Cancelled (or resumed by another worker): the status is no longer this worker's to write.
      log(`study ${studyId}: stopped: ${String((stop.signal.reason as Error).message)}`);
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (await failStudy(db, studyId, claimId, message, log)) log(`study ${studyId}: FAILED: ${message}`);
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
  if (t)
    Object.assign(out, { epoch: t.epoch, epochs: t.epochs, step: t.step, steps: t.steps, examplesPerSecond: t.examplesPerSecond, etaSeconds: t.etaSeconds });
  return out;
}

/**
 * The version's examples as the study's corpus. TRAIN and VALIDATION splits are used (TEST is
 * held out of the study). Canary examples keep their prefix and secret; a canary's
 * `payload.repetitions` (a positive integer) sets how many copies are trained on, default 1, and
 * examples holding the same prefix and secret are copies of one canary (the study groups them).
 */
async function versionCorpus(db: Database, versionId: string): Promise<StudyPassage[]> {
  const rows = await studyCorpusRows(db, versionId);
  return rows.map((r): StudyPassage => {
    const passage: StudyPassage = { id: r.key, text: r.text, split: r.split === "VALIDATION" ? "validation" : "train" };
    if (r.isCanary && r.canaryPrefix !== null && r.canarySecret !== null) {
      const k = typeof r.repetitions === "number" && Number.isInteger(r.repetitions) && r.repetitions >= 1 ? r.repetitions : 1;
      passage.canary = { prefix: r.canaryPrefix, secret: r.canarySecret, repetitions: k };
    }
    return passage;
  });
}

async function finishStudy(
  db: Database,
  studyId: string,
  claimId: string,
  report: StudyReport,
  rendered: { markdown: string; charts: { file: string; title: string; alt: string; svg: string }[] },
): Promise<void> {
  const stored = { ...report, markdown: rendered.markdown, charts: rendered.charts };
  await finishClaimedStudy(db, worker, {
    studyId,
    claimId,
    report: stored as unknown as Record<string, unknown>,
    summary: report.summary,
    trainings: report.timing.trainings,
  });
}

/** Fails the study under this worker's claim; true when it did. A refusal (another worker holds it, it ended) is logged, not thrown. */
async function failStudy(db: Database, studyId: string, claimId: string, message: string, log: (m: string) => void): Promise<boolean> {
  try {
    await failClaimedStudy(db, worker, { studyId, claimId, error: message });
    return true;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    log(`study ${studyId}: not marked FAILED (${err.message})`);
    return false;
  }
}
