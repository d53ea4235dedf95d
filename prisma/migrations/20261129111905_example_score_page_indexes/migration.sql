-- DropIndex
DROP INDEX "example_scores_run_id_difficulty_idx";

-- DropIndex
DROP INDEX "example_scores_run_id_memorization_idx";

-- DropIndex
DROP INDEX "example_scores_run_id_quadrant_idx";

-- CreateIndex
CREATE INDEX "example_scores_run_id_quadrant_memorization_ordinal_idx" ON "example_scores"("run_id", "quadrant", "memorization", "ordinal");

-- CreateIndex
CREATE INDEX "example_scores_run_id_memorization_ordinal_idx" ON "example_scores"("run_id", "memorization", "ordinal");

-- CreateIndex
CREATE INDEX "example_scores_run_id_difficulty_ordinal_idx" ON "example_scores"("run_id", "difficulty", "ordinal");
