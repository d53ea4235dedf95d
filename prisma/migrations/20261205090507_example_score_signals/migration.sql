-- The memorization signals (libs/cartography MEMORIZATION_SIGNALS) next to `memorization`,
-- which is now whichever of them the run chose (runs.scoring_resolved.memorizationSignal).

-- AlterTable
ALTER TABLE "example_scores" ADD COLUMN     "forget_frequency" REAL,
ADD COLUMN     "loss_drop" REAL,
ADD COLUMN     "relative_loss_drop" REAL,
ADD COLUMN     "accuracy_gain" REAL,
ADD COLUMN     "mean_loss" REAL;

-- Runs scored before this migration keep what they recorded. Their memorization WAS the
-- forget frequency (forget events / (T − 1)), so that column is filled from it. The other
-- signals need the training dynamics and the scoring windows (Te, Tl): they cannot be derived
-- from the stored scores and stay NULL until the run is scored again.
UPDATE "example_scores" SET "forget_frequency" = "memorization";

-- Their resolved scoring config says so too: memorization was the forget frequency, and
-- "learned" was decided by the configured (or then default) criterion, never by "auto".
UPDATE "runs"
   SET "scoring_resolved" = "scoring_resolved" || '{"memorizationSignal": "forgetFrequency", "learnedBySource": "configured"}'::jsonb
 WHERE "scoring_resolved" IS NOT NULL
   AND jsonb_typeof("scoring_resolved") = 'object'
   AND "scoring_resolved" -> 'memorizationSignal' IS NULL;
