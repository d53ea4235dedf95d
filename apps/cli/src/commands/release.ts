import type { Command } from "commander";
import { addApiOptions, ApiClient, type ApiOptions } from "../api-client.ts";

const RELEASE_MUTATION = /* GraphQL */ `
  mutation Release($input: ReleaseInput!) {
    releaseVersion(input: $input) {
      id contentHash lineage gateVerdict overrideReason
      version { number parent { id number } lineage { runs { run { id name } trainedOn { id number } onDraft } } }
    }
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
      releaseVersion: {
        id: string;
        contentHash: string;
        lineage: Record<string, unknown>;
        gateVerdict: unknown;
        overrideReason: string | null;
        version: ReleasedVersion;
      };
    }>(RELEASE_MUTATION, { input: { versionId: options.version, ...(options.overrideReason ? { overrideReason: options.overrideReason } : {}) } });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(release)}\n`);
      return;
    }
    const l = release.lineage as {
      examples?: number;
      removed?: number;
      reweighted?: number;
      canariesExcluded?: number;
      interventionIds?: unknown[];
      unreviewed?: number;
    };
    process.stdout.write(
      `released version ${options.version} (release ${release.id})\n` +
        `content hash ${release.contentHash}\n` +
        `${l.examples} examples; ${l.interventionIds?.length ?? 0} interventions applied: ${l.removed} removed, ${l.reweighted} re-weighted; ` +
        `${l.canariesExcluded} canaries left out${l.unreviewed ? `; ${l.unreviewed} proposals were never reviewed and were not applied` : ""}\n` +
        `lineage: ${lineageLine(release.version)}\n` +
        (release.overrideReason ? `release gate overridden: ${release.overrideReason}\n` : ""),
    );
  });
}

interface ReleasedVersion {
  number: number;
  parent: { id: string; number: number } | null;
  lineage: { runs: { run: { id: string; name: string }; trainedOn: { id: string; number: number }; onDraft: boolean }[] };
}

/** run → parent → child in one line: "run <name> (<id>) on v1 → v1 → v2". */
export function lineageLine(version: ReleasedVersion): string {
  const runs = version.lineage.runs.map(
    (r) => `run ${r.run.name ? `${r.run.name} (${r.run.id})` : r.run.id} on v${r.trainedOn.number}${r.onDraft ? " (a draft then)" : ""}`,
  );
  const chain = [runs.length ? runs.join(", ") : "no run", ...(version.parent ? [`v${version.parent.number}`] : []), `v${version.number}`];
  return chain.join(" → ");
}
