import type { Command } from "commander";
import { addApiOptions, ApiClient, type ApiOptions } from "../api-client.ts";
import { CliError } from "../errors.ts";

const REVIEW_MUTATION = /* GraphQL */ `
  mutation Review($input: ReviewInput!) {
    reviewIntervention(input: $input) { id status }
  }
`;
const QUEUE_QUERY = /* GraphQL */ `
  query Queue($versionId: ID, $after: String) {
    reviewQueue(versionId: $versionId, first: 500, after: $after) { id canReview }
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
      .description(
        "Approve or reject proposed interventions, with a reason. Four eyes: interventions you proposed are left for another reviewer.",
      )
      .argument("[interventionIds...]", "interventions to review")
      .option("--approve", "approve them")
      .option("--reject", "reject them")
      .option("--reason <text>", "why (required)")
      .option("--queue", "review every PROPOSED intervention you may review (of --version, if given)")
      .option("--version <id>", "with --queue: only this version's queue"),
  ).action(async (ids: string[], options: ReviewOptions) => {
    if (Boolean(options.approve) === Boolean(options.reject)) throw new CliError("give exactly one of --approve, --reject");
    if (!options.reason?.trim()) throw new CliError("--reason: a review needs a reason");
    if (options.queue === Boolean(ids.length)) throw new CliError("give intervention ids, or --queue (not both)");
    const client = ApiClient.from(options);
    const decision = options.approve ? "APPROVE" : "REJECT";
    let skipped = 0;
    if (options.queue) {
      ids = [];
      let after: string | null = null;
      for (;;) {
        const page: { reviewQueue: { id: string; canReview: boolean }[] } = await client.request(QUEUE_QUERY, { versionId: options.version ?? null, after });
        for (const item of page.reviewQueue) {
          if (item.canReview) ids.push(item.id);
          else skipped++;
        }
        if (page.reviewQueue.length < 500) break;
        after = page.reviewQueue.at(-1)!.id;
      }
    }
    const failures: string[] = [];
    let done = 0;
    for (const interventionId of ids) {
      try {
        await client.request(REVIEW_MUTATION, { input: { interventionId, decision, reason: options.reason } });
        done++;
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        failures.push(`${interventionId}: ${err.message}`);
      }
    }
    const verb = decision === "APPROVE" ? "approved" : "rejected";
    process.stdout.write(`${verb} ${done} interventions${skipped ? ` (${skipped} in the queue left for another reviewer)` : ""}\n`);
    if (failures.length) throw new CliError(`${failures.length} reviews failed:\n${failures.join("\n")}`);
  });
}
