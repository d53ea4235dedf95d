-- Who created each user and each API token (null: setup, seeding, the system), for four eyes:
-- a review is refused when the proposer created the reviewer's account, issued one of the
-- reviewer's tokens, or was issued a token by the reviewer (apps/api/GOVERNANCE.md).

-- AlterTable
ALTER TABLE "api_tokens" ADD COLUMN     "created_by_id" UUID;

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "created_by_id" UUID;

-- CreateIndex
CREATE INDEX "api_tokens_created_by_id_idx" ON "api_tokens"("created_by_id");

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;
