import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { addApiOptions, ApiClient, type ApiOptions } from "../api-client.ts";
import { CliError } from "../errors.ts";

const PROPOSE_MUTATION = /* GraphQL */ `
  mutation Propose($input: ProposeInput!) {
    proposeInterventions(input: $input) { proposed skipped interventions { id } }
  }
`;

interface ProposeOptions extends ApiOptions {
  version: string;
  run?: string;
  policy?: string;
  pruneTopMemorization?: string;
  examples?: string;
  action?: string;
  weight?: string;
  reason?: string;
  json?: boolean;
}

export function register(program: Command): void {
  addApiOptions(
    program
      .command("propose")
      .description(
        "Propose interventions on a draft version, from a policy over a run's scores or from an explicit list of example ids. " +
          "Nothing changes until a reviewer approves and the version is released.",
      )
      .requiredOption("--version <id>", "the draft version to curate")
      .option("--run <id>", "the run whose scores are the evidence (required with a policy)")
      .option("--policy <json|@file>", 'a policy spec, e.g. \'{"name":"downweightQuadrant","params":{"quadrant":"HOTSPOT_MEMORIZED","weight":0.5}}\'')
      .option("--prune-top-memorization <percent>", "shorthand for the policy pruneTopByMemorization with this percent")
      .option("--examples <ids|@file>", "comma-separated example ids, or @file with one id per line")
      .option("--action <action>", "with --examples: prune|downweight")
      .option("--weight <w>", "with --action downweight: the weight in (0, 1)")
      .option("--reason <text>", "why (kept with each intervention's evidence)")
      .option("--json", "print the result as JSON (with the new intervention ids)"),
  ).action(async (options: ProposeOptions) => {
    const input = await proposeInput(options);
    const client = ApiClient.from(options);
    const { proposeInterventions: result } = await client.request<{
      proposeInterventions: { proposed: number; skipped: number; interventions: { id: string }[] };
    }>(PROPOSE_MUTATION, { input });
    if (options.json)
      process.stdout.write(
        `${JSON.stringify({ proposed: result.proposed, skipped: result.skipped, interventionIds: result.interventions.map((i) => i.id) })}\n`,
      );
    else process.stdout.write(`proposed ${result.proposed} interventions on version ${options.version} (${result.skipped} skipped)\n`);
  });
}

async function readArgument(value: string): Promise<string> {
  if (!value.startsWith("@")) return value;
  try {
    return await readFile(value.slice(1), "utf8");
  } catch {
    throw new CliError(`${value.slice(1)}: cannot read the file`);
  }
}

export async function proposeInput(options: ProposeOptions): Promise<Record<string, unknown>> {
  const input: Record<string, unknown> = { versionId: options.version };
  if (options.run) input.runId = options.run;
  if (options.reason) input.reason = options.reason;
  const sources = [options.policy, options.pruneTopMemorization, options.examples].filter((x) => x !== undefined);
  if (sources.length !== 1) throw new CliError("give exactly one of --policy, --prune-top-memorization, --examples");
  if (options.policy !== undefined) {
    try {
      input.policy = JSON.parse(await readArgument(options.policy));
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`--policy: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
  } else if (options.pruneTopMemorization !== undefined) {
    const percent = Number(options.pruneTopMemorization);
    if (!options.pruneTopMemorization.trim() || !Number.isFinite(percent))
      throw new CliError(`--prune-top-memorization: "${options.pruneTopMemorization}" is not a number`);
    input.policy = { name: "pruneTopByMemorization", params: { percent } };
  } else {
    input.exampleIds = (await readArgument(options.examples!)).split(/[\s,]+/).filter(Boolean);
    const action = options.action?.toUpperCase();
    if (action !== "PRUNE" && action !== "DOWNWEIGHT") throw new CliError("--action: with --examples, give prune or downweight");
    input.action = action;
    if (options.weight !== undefined) {
      const weight = Number(options.weight);
      if (!options.weight.trim() || !Number.isFinite(weight)) throw new CliError(`--weight: "${options.weight}" is not a number`);
      input.weight = weight;
    }
  }
  return input;
}
