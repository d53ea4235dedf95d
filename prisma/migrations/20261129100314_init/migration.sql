-- CreateEnum
CREATE TYPE "Role" AS ENUM ('ADMIN', 'ENGINEER', 'REVIEWER', 'VIEWER');

-- CreateEnum
CREATE TYPE "VersionStatus" AS ENUM ('DRAFT', 'RELEASED');

-- CreateEnum
CREATE TYPE "Split" AS ENUM ('TRAIN', 'VALIDATION', 'TEST');

-- CreateEnum
CREATE TYPE "RunKind" AS ENUM ('TRACKED', 'EXTERNAL');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('QUEUED', 'RUNNING', 'SCORING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "DynamicsSource" AS ENUM ('TRAIN_FORWARD', 'EVAL_PASS');

-- CreateEnum
CREATE TYPE "Quadrant" AS ENUM ('STABLE_EASY', 'AMBIGUOUS_HARD', 'HOTSPOT_MEMORIZED', 'NOISY_OUTLIER');

-- CreateEnum
CREATE TYPE "InterventionAction" AS ENUM ('PRUNE', 'DOWNWEIGHT');

-- CreateEnum
CREATE TYPE "InterventionStatus" AS ENUM ('PROPOSED', 'APPROVED', 'REJECTED', 'APPLIED');

-- CreateEnum
CREATE TYPE "ReviewDecision" AS ENUM ('APPROVE', 'REJECT');

-- CreateEnum
CREATE TYPE "StudyStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "datasets" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "release_gate" JSONB,
    "created_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dataset_versions" (
    "id" UUID NOT NULL,
    "dataset_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "parent_id" UUID,
    "status" "VersionStatus" NOT NULL DEFAULT 'DRAFT',
    "note" TEXT NOT NULL DEFAULT '',
    "content_hash" TEXT,
    "created_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "released_at" TIMESTAMPTZ(3),

    CONSTRAINT "dataset_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "examples" (
    "id" UUID NOT NULL,
    "dataset_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "payload" JSONB,
    "split" "Split" NOT NULL DEFAULT 'TRAIN',
    "is_canary" BOOLEAN NOT NULL DEFAULT false,
    "canary_prefix" TEXT,
    "canary_secret" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "examples_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "version_examples" (
    "version_id" UUID NOT NULL,
    "example_id" UUID NOT NULL,
    "weight" REAL NOT NULL DEFAULT 1,

    CONSTRAINT "version_examples_pkey" PRIMARY KEY ("version_id","example_id")
);

-- CreateTable
CREATE TABLE "runs" (
    "id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "kind" "RunKind" NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'QUEUED',
    "model_config" JSONB NOT NULL DEFAULT '{}',
    "seed" INTEGER NOT NULL DEFAULT 0,
    "backend" TEXT,
    "dynamics_source" "DynamicsSource" NOT NULL DEFAULT 'TRAIN_FORWARD',
    "epochs" INTEGER NOT NULL,
    "scoring_config" JSONB NOT NULL DEFAULT '{}',
    "scoring_resolved" JSONB,
    "metrics" JSONB,
    "progress_epoch" INTEGER NOT NULL DEFAULT 0,
    "progress_step" INTEGER NOT NULL DEFAULT 0,
    "progress_steps" INTEGER NOT NULL DEFAULT 0,
    "examples_per_sec" DOUBLE PRECISION,
    "eta_seconds" DOUBLE PRECISION,
    "heartbeat_at" TIMESTAMPTZ(3),
    "error" TEXT,
    "created_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "run_examples" (
    "run_id" UUID NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "example_id" UUID NOT NULL,
    "weight" REAL NOT NULL DEFAULT 1,

    CONSTRAINT "run_examples_pkey" PRIMARY KEY ("run_id","ordinal")
);

-- CreateTable
CREATE TABLE "dynamics_blocks" (
    "run_id" UUID NOT NULL,
    "epoch" INTEGER NOT NULL,
    "block" INTEGER NOT NULL,
    "loss" BYTEA NOT NULL,
    "accuracy" BYTEA NOT NULL,
    "filled" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dynamics_blocks_pkey" PRIMARY KEY ("run_id","epoch","block")
);

-- CreateTable
CREATE TABLE "run_checkpoints" (
    "run_id" UUID NOT NULL,
    "epoch" INTEGER NOT NULL,
    "state" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "run_checkpoints_pkey" PRIMARY KEY ("run_id","epoch")
);

-- CreateTable
CREATE TABLE "example_scores" (
    "run_id" UUID NOT NULL,
    "example_id" UUID NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "difficulty" REAL NOT NULL,
    "memorization" REAL NOT NULL,
    "forget_events" INTEGER NOT NULL,
    "never_learned" BOOLEAN NOT NULL,
    "confidence" REAL NOT NULL,
    "variability" REAL NOT NULL,
    "correctness" REAL NOT NULL,
    "quadrant" "Quadrant" NOT NULL,

    CONSTRAINT "example_scores_pkey" PRIMARY KEY ("run_id","example_id")
);

-- CreateTable
CREATE TABLE "interventions" (
    "id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "example_id" UUID NOT NULL,
    "run_id" UUID,
    "action" "InterventionAction" NOT NULL,
    "weight" REAL NOT NULL,
    "policy" JSONB NOT NULL,
    "evidence" JSONB NOT NULL,
    "status" "InterventionStatus" NOT NULL DEFAULT 'PROPOSED',
    "proposed_by_id" UUID NOT NULL,
    "release_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "interventions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reviews" (
    "id" UUID NOT NULL,
    "intervention_id" UUID NOT NULL,
    "reviewer_id" UUID NOT NULL,
    "decision" "ReviewDecision" NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reviews_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "releases" (
    "id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "content_hash" TEXT NOT NULL,
    "lineage" JSONB NOT NULL,
    "gate_verdict" JSONB,
    "override_reason" TEXT,
    "released_by_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "releases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "studies" (
    "id" UUID NOT NULL,
    "version_id" UUID,
    "status" "StudyStatus" NOT NULL DEFAULT 'QUEUED',
    "config" JSONB NOT NULL,
    "progress" JSONB,
    "report" JSONB,
    "error" TEXT,
    "created_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "studies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "seq" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_id" UUID,
    "actor_label" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "api_tokens_user_id_idx" ON "api_tokens"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "datasets_name_key" ON "datasets"("name");

-- CreateIndex
CREATE UNIQUE INDEX "dataset_versions_dataset_id_number_key" ON "dataset_versions"("dataset_id", "number");

-- CreateIndex
CREATE UNIQUE INDEX "examples_dataset_id_content_hash_key" ON "examples"("dataset_id", "content_hash");

-- CreateIndex
CREATE UNIQUE INDEX "examples_dataset_id_key_key" ON "examples"("dataset_id", "key");

-- CreateIndex
CREATE INDEX "version_examples_example_id_idx" ON "version_examples"("example_id");

-- CreateIndex
CREATE INDEX "runs_version_id_idx" ON "runs"("version_id");

-- CreateIndex
CREATE UNIQUE INDEX "run_examples_run_id_example_id_key" ON "run_examples"("run_id", "example_id");

-- CreateIndex
CREATE INDEX "example_scores_run_id_quadrant_idx" ON "example_scores"("run_id", "quadrant");

-- CreateIndex
CREATE INDEX "example_scores_run_id_memorization_idx" ON "example_scores"("run_id", "memorization");

-- CreateIndex
CREATE INDEX "example_scores_run_id_difficulty_idx" ON "example_scores"("run_id", "difficulty");

-- CreateIndex
CREATE UNIQUE INDEX "example_scores_run_id_ordinal_key" ON "example_scores"("run_id", "ordinal");

-- CreateIndex
CREATE INDEX "interventions_version_id_status_idx" ON "interventions"("version_id", "status");

-- CreateIndex
CREATE INDEX "interventions_example_id_idx" ON "interventions"("example_id");

-- CreateIndex
CREATE INDEX "reviews_intervention_id_idx" ON "reviews"("intervention_id");

-- CreateIndex
CREATE UNIQUE INDEX "releases_version_id_key" ON "releases"("version_id");

-- CreateIndex
CREATE UNIQUE INDEX "audit_events_hash_key" ON "audit_events"("hash");

-- CreateIndex
CREATE INDEX "audit_events_target_type_target_id_idx" ON "audit_events"("target_type", "target_id");

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dataset_versions" ADD CONSTRAINT "dataset_versions_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dataset_versions" ADD CONSTRAINT "dataset_versions_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "dataset_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dataset_versions" ADD CONSTRAINT "dataset_versions_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "examples" ADD CONSTRAINT "examples_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "version_examples" ADD CONSTRAINT "version_examples_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "dataset_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "version_examples" ADD CONSTRAINT "version_examples_example_id_fkey" FOREIGN KEY ("example_id") REFERENCES "examples"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "dataset_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_examples" ADD CONSTRAINT "run_examples_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dynamics_blocks" ADD CONSTRAINT "dynamics_blocks_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_checkpoints" ADD CONSTRAINT "run_checkpoints_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "example_scores" ADD CONSTRAINT "example_scores_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "example_scores" ADD CONSTRAINT "example_scores_example_id_fkey" FOREIGN KEY ("example_id") REFERENCES "examples"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "interventions" ADD CONSTRAINT "interventions_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "dataset_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "interventions" ADD CONSTRAINT "interventions_example_id_fkey" FOREIGN KEY ("example_id") REFERENCES "examples"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "interventions" ADD CONSTRAINT "interventions_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "interventions" ADD CONSTRAINT "interventions_proposed_by_id_fkey" FOREIGN KEY ("proposed_by_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "interventions" ADD CONSTRAINT "interventions_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "releases"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_intervention_id_fkey" FOREIGN KEY ("intervention_id") REFERENCES "interventions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_reviewer_id_fkey" FOREIGN KEY ("reviewer_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "releases" ADD CONSTRAINT "releases_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "dataset_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "releases" ADD CONSTRAINT "releases_released_by_id_fkey" FOREIGN KEY ("released_by_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "studies" ADD CONSTRAINT "studies_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "dataset_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "studies" ADD CONSTRAINT "studies_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_actor_id_fkey" FOREIGN KEY ("actor_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- ─── Rules the database enforces itself (not expressible in the Prisma schema) ───

-- The audit trail is append-only: updates and deletes are refused. (A superuser can still
-- disable the trigger; the hash chain is what makes such tampering detectable.)
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- A released version never changes: its membership and weights are frozen.
CREATE FUNCTION version_examples_frozen_when_released() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.version_id ELSE NEW.version_id END;
BEGIN
  IF EXISTS (SELECT 1 FROM "dataset_versions" WHERE id = v_id AND status = 'RELEASED') THEN
    RAISE EXCEPTION 'dataset version % is released and can no longer change', v_id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER version_examples_frozen BEFORE INSERT OR UPDATE OR DELETE ON "version_examples"
  FOR EACH ROW EXECUTE FUNCTION version_examples_frozen_when_released();

-- …and a released version's own row only changes in ways that keep it released and hashed.
CREATE FUNCTION dataset_versions_frozen_when_released() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'RELEASED' THEN
    RAISE EXCEPTION 'dataset version % is released and can no longer change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER dataset_versions_frozen BEFORE UPDATE OR DELETE ON "dataset_versions"
  FOR EACH ROW EXECUTE FUNCTION dataset_versions_frozen_when_released();
