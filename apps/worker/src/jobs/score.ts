import { scoreRun, systemActor } from "@gdc/db";
import type { JobImplementation } from "./index.ts";

/**
 * Scores a run whose dynamics are complete (enqueued by finishRun, or by the trainer). A run
 * that cannot be scored is marked FAILED by scoreRun and the job ends normally; only
 * unexpected errors (the database went away) fail the job, so that the queue retries it.
 */
export const scoreJob: JobImplementation<"score"> = async (deps, { runId }) => {
  const log = deps.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const result = await scoreRun(deps.db, systemActor("worker"), { runId });
  if (result.status === "SUCCEEDED") {
    const counts = Object.entries(result.quadrantCounts)
      .map(([q, n]) => `${q} ${n}`)
      .join(", ");
    log(`run ${runId}: scored ${result.examples} examples (${counts})`);
    if (result.proposals && "error" in result.proposals) log(`run ${runId}: ${result.proposals.error}`);
  } else if (result.status === "FAILED") {
    log(`run ${runId}: scoring failed: ${result.error}`);
  } else {
    log(`run ${runId}: not scored (${result.reason})`);
  }
};
