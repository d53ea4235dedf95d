import type { JobName, JobPayloads } from "@gdc/db";
import type { WorkerDeps } from "../worker.ts";

export type JobImplementation<N extends JobName> = (deps: WorkerDeps, data: JobPayloads[N]) => Promise<void>;

/** The job implementations, one file each. A job missing here is simply not taken by this worker. */
export const jobHandlers: { [N in JobName]?: JobImplementation<N> } = {};
import { scoreJob } from "./score.ts";
jobHandlers.score = scoreJob;
import { trainJob } from "./train.ts";
jobHandlers.train = trainJob;
import { studyJob } from "./study.ts";
jobHandlers.study = studyJob;
import { buildReleaseJob } from "./build-release.ts";
jobHandlers["build-release"] = buildReleaseJob;
