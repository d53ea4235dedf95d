-- excessLossDrop (libs/cartography MEMORIZATION_SIGNALS): how far below the run's least-squares
-- fit of ln(late loss) on ln(early loss) an example ended. It needs the training dynamics, so
-- runs scored before this migration keep NULL here (and keep the memorization signal they
-- recorded) until they are scored again.

-- AlterTable
ALTER TABLE "example_scores" ADD COLUMN     "excess_loss_drop" REAL;
