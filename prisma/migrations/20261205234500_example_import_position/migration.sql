-- Import order of examples (issue 14): a run's ordinals follow it, so row i of the data map and
-- of the scores download is the i-th training example the user imported, not the i-th key in
-- string order. Existing rows are numbered in their physical order, which is their insertion
-- order unless they were updated (examples are immutable content, so they rarely are).

-- AlterTable
ALTER TABLE "examples" ADD COLUMN     "position" BIGSERIAL NOT NULL;
