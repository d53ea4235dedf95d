import { actorFor, DomainError, findUserById, releaseVersion } from "@gdc/db";
import type { JobImplementation } from "./index.ts";

/**
 * Releases a version outside the request, for versions too large to release within an HTTP
 * call, in the name of the user who asked for it. The release itself is the same audited
 * transaction as the synchronous mutation; a rule violation (gate blocked, already released)
 * ends the job without retry, anything else is retried by the queue.
 */
export const buildReleaseJob: JobImplementation<"build-release"> = async (deps, { versionId, actorUserId, overrideReason }) => {
  const log = deps.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const user = await findUserById(deps.db, actorUserId);
  if (!user) {
    log(`release of ${versionId}: user ${actorUserId} no longer exists; not released`);
    return;
  }
  try {
    const release = await releaseVersion(deps.db, actorFor(user), { versionId, ...(overrideReason ? { overrideReason } : {}) });
    log(`version ${versionId} released (${release.contentHash})`);
  } catch (err) {
    if (err instanceof DomainError) {
      log(`release of ${versionId} refused: ${err.message}`);
      return;
    }
    throw err;
  }
};
