import type { Command } from "commander";
import { addApiOptions, ApiClient, type ApiOptions } from "../api-client.ts";

const RELEASE_MUTATION = /* GraphQL */ `
  mutation Release($input: ReleaseInput!) {
    releaseVersion(input: $input) { id contentHash lineage gateVerdict overrideReason }
  }
`;

export function register(program: Command): void {
  addApiOptions(
    program
      .command("release")
      .description(
        "Release a draft version: applies the approved interventions, leaves canaries out, records lineage and the content hash. " +
          "A released version never changes. A blocked release gate says why; an ADMIN may override it with a reason.",
      )
      .requiredOption("--version <id>", "the draft version to release")
      .option("--override-reason <text>", "ADMIN only: release although the release gate blocks, and why")
      .option("--json", "print the release as JSON"),
  ).action(async (options: ApiOptions & { version: string; overrideReason?: string; json?: boolean }) => {
    const client = ApiClient.from(options);
    const { releaseVersion: release } = await client.request<{
      releaseVersion: { id: string; contentHash: string; lineage: Record<string, unknown>; gateVerdict: unknown; overrideReason: string | null };
    }>(RELEASE_MUTATION, { input: { versionId: options.version, ...(options.overrideReason ? { overrideReason: options.overrideReason } : {}) } });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(release)}\n`);
      return;
    }
    const l = release.lineage as { examples?: number; removed?: number; reweighted?: number; canariesExcluded?: number; interventionIds?: unknown[]; unreviewed?: number };
    process.stdout.write(
      `released version ${options.version} (release ${release.id})\n` +
        `content hash ${release.contentHash}\n` +
        `${l.examples} examples; ${l.interventionIds?.length ?? 0} interventions applied: ${l.removed} removed, ${l.reweighted} re-weighted; ` +
        `${l.canariesExcluded} canaries left out${l.unreviewed ? `; ${l.unreviewed} proposals were never reviewed and were not applied` : ""}\n` +
        (release.overrideReason ? `release gate overridden: ${release.overrideReason}\n` : ""),
    );
  });
}
