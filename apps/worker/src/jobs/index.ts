import type { JobName, JobPayloads } from "@gdc/db";
import type { WorkerDeps } from "../worker.ts";
import { buildReleaseJob } from "./build-release.ts";
import { scoreJob } from "./score.ts";
import { studyJob } from "./study.ts";
import { trainJob } from "./train.ts";

export type JobImplementation<N extends JobName> = (deps: WorkerDeps, data: JobPayloads[N]) => Promise<void>;

/**
 * The job implementations, one file each: every job the queue knows (libs/db JobPayloads) must
 * have one here, or the type check fails.
 */
export const jobHandlers = {
  train: trainJob,
  score: scoreJob,
  study: studyJob,
  "build-release": buildReleaseJob,
} satisfies { [N in JobName]: JobImplementation<N> };
