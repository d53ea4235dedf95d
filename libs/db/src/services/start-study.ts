import { z } from "zod";
import { assertCorpusChoice, ConfigError, parseConfig, studyConfigSchema } from "@gdc/study/config";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor } from "../audit.ts";
import { badInput, notFound } from "../errors.ts";
import type { Prisma, Study } from "../generated/prisma/client.ts";
import type { JobQueue } from "../queue.ts";
import { parseOptions } from "./parse-options.ts";

const optionsSchema = z.object({
  /** The (usually curated, draft) version the study compares with its parent. */
  versionId: z.uuid().nullish(),
  /** Seeds, training, canaries… (libs/study's studyConfigSchema, checked here); stored as given. */
  config: z.record(z.string(), z.unknown()).nullish(),
});
export type StartStudyOptions = z.input<typeof optionsSchema>;

/**
 * Creates an intervention study (QUEUED) and enqueues its `study` job in the same transaction,
 * so the job exists if and only if the study does. The job (apps/worker) fills progress and
 * `report`; the release gate reads `report.summary` (see evaluate-release-gate.ts).
 */
export async function startStudy(db: Database, queue: JobQueue, actor: Actor, options: StartStudyOptions): Promise<Study> {
  const { versionId, config } = parseOptions(optionsSchema, options);
  // Refused here, naming the field, rather than by the worker once the study is queued.
  try {
    assertCorpusChoice(parseConfig(studyConfigSchema, config ?? {}), Boolean(versionId));
  } catch (err) {
    if (err instanceof ConfigError) throw badInput(err.field ? `config.${err.field}` : "config", err.reason);
    throw err;
  }
  return auditedTransaction(db, actor, async (tx) => {
    if (versionId && !(await tx.datasetVersion.findUnique({ where: { id: versionId }, select: { id: true } }))) {
      throw notFound("DatasetVersion", versionId);
    }
    const study = await tx.study.create({
      data: { versionId: versionId ?? null, status: "QUEUED", config: (config ?? {}) as Prisma.InputJsonValue, createdById: actor.userId },
    });
    await queue.enqueue("study", { studyId: study.id }, { tx, singletonKey: study.id });
    return {
      result: study,
      audit: { action: "study.start", targetType: "Study", targetId: study.id, after: { versionId: study.versionId, config: study.config } },
    };
  });
}
