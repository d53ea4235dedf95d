-- The worker's claim on a run or a study (issue 12): each claim (QUEUED → RUNNING, or a resume of
-- a RUNNING one whose heartbeat went stale) writes a new claim_id, and the heartbeat, progress,
-- checkpoint, finish and fail transitions are refused unless they carry the current one, so a
-- paused worker cannot finish or fail what another worker took over.

-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "claim_id" UUID;

-- AlterTable
ALTER TABLE "studies" ADD COLUMN     "claim_id" UUID;
