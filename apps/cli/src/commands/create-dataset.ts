import type { Command } from "commander";
import { addApiOptions, ApiClient, type ApiOptions } from "../api-client.ts";

const CREATE_MUTATION = /* GraphQL */ `
  mutation CreateDataset($name: String!, $description: String) {
    createDataset(input: { name: $name, description: $description }) { id name versions { id number status } }
  }
`;

export function register(program: Command): void {
  addApiOptions(
    program
      .command("create-dataset")
      .description("Create a dataset. It comes with its first version, an empty draft numbered 1: import examples into it, then release it.")
      .argument("<name>", "the dataset's name (unique)")
      .option("--description <text>", "what the dataset holds")
      .option("--json", "print the dataset and its draft version as JSON"),
  ).action(async (name: string, options: ApiOptions & { description?: string; json?: boolean }) => {
    const client = ApiClient.from(options);
    const { createDataset: dataset } = await client.request<{
      createDataset: { id: string; name: string; versions: { id: string; number: number; status: string }[] };
    }>(CREATE_MUTATION, { name, ...(options.description !== undefined ? { description: options.description } : {}) });
    const draft = dataset.versions[0]!;
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ dataset: { id: dataset.id, name: dataset.name }, version: draft })}\n`);
      return;
    }
    process.stdout.write(
      `created dataset ${JSON.stringify(dataset.name)} (${dataset.id}) with draft version ${draft.number} (${draft.id}), empty\n` +
        `next: gdc import-examples <file> --version ${draft.id}\n`,
    );
  });
}
