import type { Command } from "commander";
import { addApiOptions, ApiClient, type ApiOptions } from "../api-client.ts";
import { CliError } from "../errors.ts";
import { createProgress } from "../progress.ts";

const REVIEW_MUTATION = /* GraphQL */ `
  mutation Review($input: ReviewInput!) {
    reviewIntervention(input: $input) { id status }
  }
`;
const REVIEW_BATCH_MUTATION = /* GraphQL */ `
  mutation ReviewBatch($input: ReviewBatchInput!) {
    reviewInterventions(input: $input) { id }
  }
`;
/** Interventions per reviewInterventions call (the API's limit). */
const BATCH = 500;
const ME_QUERY = /* GraphQL */ `
  query Me {
    me { email role permissions }
  }
`;
const QUEUE_QUERY = /* GraphQL */ `
  query Queue($versionId: ID, $after: String) {
    reviewQueue(versionId: $versionId, first: 500, after: $after) { nodes { id canReview } pageInfo { hasNextPage endCursor } }
  }
`;

interface ReviewOptions extends ApiOptions {
  approve?: boolean;
  reject?: boolean;
  reason?: string;
  queue?: boolean;
  version?: string;
}

export function register(program: Command): void {
  addApiOptions(
    program
      .command("review")
      .description("Approve or reject proposed interventions, with a reason. Four eyes: interventions you proposed are left for another reviewer.")
      .argument("[interventionIds...]", "interventions to review")
      .option("--approve", "approve them")
      .option("--reject", "reject them")
      .option("--reason <text>", "why (required)")
      .option("--queue", "review every PROPOSED intervention you may review in one version's queue (needs --version)")
      .option("--version <id>", "with --queue: the dataset version whose queue to review (required: a queue is one version's)"),
  ).action(async (ids: string[], options: ReviewOptions) => {
    if (Boolean(options.approve) === Boolean(options.reject)) throw new CliError("give exactly one of --approve, --reject");
    if (!options.reason?.trim()) throw new CliError("--reason: a review needs a reason");
    if (options.queue === Boolean(ids.length)) throw new CliError("give intervention ids, or --queue (not both)");
    if (options.queue && !options.version) {
      throw new CliError(
        "--queue: give --version <id>: the review queue of one dataset version (every dataset's queue at once is too easy to approve by mistake)",
      );
    }
    if (options.version && !options.queue) throw new CliError("--version: applies only with --queue");
    const client = ApiClient.from(options);
    // The API's permission table says whether this role may review at all: refuse up front
    // instead of reporting every item as "left for another reviewer".
    const { me }: { me: { email: string; role: string; permissions: string[] } | null } = await client.request(ME_QUERY, {});
    if (!me) throw new CliError("not signed in: set GDC_TOKEN or --token");
    if (!me.permissions.includes("reviewIntervention")) {
      throw new CliError(`${me.email} (${me.role}) may not review interventions: reviewing needs the REVIEWER or ADMIN role`);
    }
    const decision = options.approve ? "APPROVE" : "REJECT";
    let skipped = 0;
    if (options.queue) {
      ids = [];
      let after: string | null = null;
      for (;;) {
        const page: { reviewQueue: { nodes: { id: string; canReview: boolean }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
          await client.request(QUEUE_QUERY, { versionId: options.version, after });
        for (const item of page.reviewQueue.nodes) {
          if (item.canReview) ids.push(item.id);
          else skipped++;
        }
        if (!page.reviewQueue.pageInfo.hasNextPage) break;
        after = page.reviewQueue.pageInfo.endCursor;
      }
    }
    const failures: string[] = [];
    let done = 0;
    const reviewOne = async (interventionId: string) => {
      try {
        await client.request(REVIEW_MUTATION, { input: { interventionId, decision, reason: options.reason } });
        done++;
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        failures.push(`${interventionId}: ${err.message}`);
      }
    };
    // Batches of 500 (one call, all or nothing, each intervention still reviewed and audited on
    // its own); a batch the API refuses is retried one by one, so that each failure is named.
    const progress = ids.length > BATCH ? createProgress("review", ids.length, "interventions") : null;
    try {
      for (let from = 0; from < ids.length; from += BATCH) {
        const batch = ids.slice(from, from + BATCH);
        try {
          await client.request(REVIEW_BATCH_MUTATION, { input: { interventionIds: batch, decision, reason: options.reason } });
          done += batch.length;
        } catch (err) {
          if (!(err instanceof CliError)) throw err;
          for (const interventionId of batch) await reviewOne(interventionId);
        }
        progress?.update(Math.min(ids.length, from + BATCH));
      }
    } finally {
      progress?.stop();
    }
    const verb = decision === "APPROVE" ? "approved" : "rejected";
    process.stdout.write(`${verb} ${done} interventions${skipped ? ` (${skipped} in the queue left for another reviewer)` : ""}\n`);
    if (failures.length) throw new CliError(`${failures.length} reviews failed:\n${failures.join("\n")}`);
  });
}
