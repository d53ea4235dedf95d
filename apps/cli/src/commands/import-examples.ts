import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { DomainError, exampleContentHash, parseExampleRecord, type ExampleRecord } from "@gdc/db";
import { addApiOptions, ApiClient, type ApiOptions } from "../api-client.ts";
import { CliError } from "../errors.ts";
import { createProgress } from "../progress.ts";

/** Records per importExamples call (the API takes at most 5 000). */
export const DEFAULT_BATCH_SIZE = 1_000;
/** A batch is also cut when its JSON would exceed this (the API refuses bodies over 8 MiB). */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** How many bad lines one run reports before stopping. */
const MAX_REPORTED_ERRORS = 20;

export interface ImportTotals {
  lines: number;
  received: number;
  created: number;
  alreadyPresent: number;
  addedToVersion: number;
}

const IMPORT_MUTATION = /* GraphQL */ `
  mutation ImportExamples($versionId: ID!, $examples: [ExampleInput!]!, $dryRun: Boolean) {
    importExamples(input: { versionId: $versionId, examples: $examples, dryRun: $dryRun }) { received created alreadyPresent addedToVersion }
  }
`;

export function register(program: Command): void {
  addApiOptions(
    program
      .command("import-examples")
      .description(
        "Import examples from a JSONL file into a draft version: one JSON object per line with " +
          '"text" (required), "id", "split" (train|validation|test), "canary" {prefix, secret}, "payload". ' +
          "The whole file is checked before anything is written: every line locally, then every batch by the server " +
          "(ids that already name other content in the dataset) without writing; a bad line writes nothing. Idempotent by content hash, " +
          "so an interrupted import can simply be run again.",
      )
      .argument("<file>", "JSONL file")
      .requiredOption("--version <id>", "id of the draft dataset version to import into")
      .option("--batch-size <n>", `records per request (1–5000, default ${DEFAULT_BATCH_SIZE})`),
  ).action(async (file: string, options: ApiOptions & { version: string; batchSize?: string }) => {
    const batchSize = options.batchSize === undefined ? DEFAULT_BATCH_SIZE : Number(options.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5_000)
      throw new CliError(`--batch-size: "${options.batchSize}" is not an integer in [1, 5000]`);
    const client = ApiClient.from(options);
    const totals = await importExamplesFile(client, { file, versionId: options.version, batchSize, progress: true });
    process.stderr.write(
      `imported ${totals.received} records from ${file}: ${totals.created} new examples, ${totals.alreadyPresent} already known, ` +
        `${totals.addedToVersion} added to version ${options.version}\n`,
    );
  });
}

/** Non-blank lines of a file with their 1-based line numbers. */
async function* numberedLines(file: string): AsyncGenerator<{ line: number; text: string }> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim()) yield { line, text };
  }
}

/** One line → a validated record; errors read "file:line: field: message". */
function parseLine(file: string, line: number, text: string): ExampleRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file}:${line}: record: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    return parseExampleRecord(value, `${file}:${line}`);
  } catch (err) {
    if (err instanceof DomainError) throw new CliError(err.message);
    throw err;
  }
}

/**
 * Checks every line of the file — JSON, the record schema (including what the database would
 * refuse: NUL characters and invalid Unicode in any string), and that no id names two different
 * contents — without sending anything. Throws one CliError listing the first bad lines.
 */
export async function validateExamplesFile(file: string): Promise<{ records: number }> {
  try {
    await access(file);
  } catch {
    throw new CliError(`${file}: no such file`);
  }
  const errors: string[] = [];
  const keys = new Map<string, { hash: string; line: number }>();
  let records = 0;
  for await (const { line, text } of numberedLines(file)) {
    try {
      const record = parseLine(file, line, text);
      const hash = exampleContentHash(record);
      const key = record.id ?? hash;
      const seen = keys.get(key);
      if (seen && seen.hash !== hash) throw new CliError(`${file}:${line}: id: "${key}" is also used by line ${seen.line} with different content`);
      if (!seen) keys.set(key, { hash, line });
      records++;
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      errors.push(err.message);
      if (errors.length >= MAX_REPORTED_ERRORS) break;
    }
  }
  if (errors.length) {
    const more = errors.length >= MAX_REPORTED_ERRORS ? `\n(stopped after ${MAX_REPORTED_ERRORS} bad lines)` : "";
    throw new CliError(`${errors.join("\n")}${more}\nnothing was imported`);
  }
  if (records === 0) throw new CliError(`${file}: no records (the file is empty)`);
  return { records };
}

const toInput = (r: ExampleRecord) => ({
  ...(r.id !== undefined ? { id: r.id } : {}),
  text: r.text,
  ...(r.split !== undefined ? { split: r.split.toUpperCase() } : {}),
  ...(r.canary !== undefined ? { canary: r.canary } : {}),
  ...(r.payload != null ? { payload: r.payload } : {}),
  ...(r.weight !== undefined ? { weight: r.weight } : {}),
});

/**
 * Validates the whole file first (nothing is sent if any line is bad), then has the server check
 * every batch without writing (importExamples with dryRun: the version, and ids that already
 * name different content in the dataset, which only the server can see), and only then streams
 * the file a third time, writing batch by batch through the importExamples mutation. So a bad
 * line anywhere in the file, in the first batch or the last, writes nothing (issue 13 F5). Each
 * batch is all-or-nothing and imports are idempotent by content hash, so a write pass cut short
 * (network, server restart, or a conflicting id imported by someone else between the check and
 * the write) is finished by running the command again.
 */
export async function importExamplesFile(
  client: ApiClient,
  options: { file: string; versionId: string; batchSize?: number; progress?: boolean },
): Promise<ImportTotals> {
  const { file, versionId } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const { records } = await validateExamplesFile(file);
  await sendBatches(client, { file, versionId, batchSize, records, dryRun: true, progress: options.progress ?? false });
  return sendBatches(client, { file, versionId, batchSize, records, dryRun: false, progress: options.progress ?? false });
}

/** One pass over the file in batches: checking (dryRun, nothing written) or importing. */
async function sendBatches(
  client: ApiClient,
  options: { file: string; versionId: string; batchSize: number; records: number; dryRun: boolean; progress: boolean },
): Promise<ImportTotals> {
  const { file, versionId, batchSize, dryRun } = options;
  const bar = options.progress ? createProgress(dryRun ? "checking" : "importing", options.records, "records") : null;
  const totals: ImportTotals = { lines: 0, received: 0, created: 0, alreadyPresent: 0, addedToVersion: 0 };
  let batch: ReturnType<typeof toInput>[] = [];
  let batchBytes = 0;
  /** The file line of each record in the batch, to name lines in server errors. */
  let batchLines: number[] = [];
  const send = async () => {
    if (!batch.length) return;
    let result: Omit<ImportTotals, "lines">;
    try {
      ({ importExamples: result } = await client.request<{ importExamples: Omit<ImportTotals, "lines"> }>(IMPORT_MUTATION, {
        versionId,
        examples: batch,
        dryRun,
      }));
    } catch (err) {
      if (err instanceof CliError) {
        // The server names records by their index in the batch ("examples[3]"); name the line instead.
        const message = err.message.replace(/examples\[(\d+)\]/g, (whole, i: string) => {
          const line = batchLines[Number(i)];
          return line === undefined ? whole : `${file}:${line}`;
        });
        const done = dryRun
          ? "\nnothing was imported"
          : totals.received
            ? ` (${totals.received} records before line ${batchLines[0]} were imported; running the command again is safe)`
            : "";
        throw new CliError(`${message}${done}`, err.exitCode);
      }
      throw err;
    }
    totals.received += result.received;
    totals.created += result.created;
    totals.alreadyPresent += result.alreadyPresent;
    totals.addedToVersion += result.addedToVersion;
    bar?.update(totals.received);
    batch = [];
    batchLines = [];
    batchBytes = 0;
  };
  try {
    for await (const { line, text } of numberedLines(file)) {
      const input = toInput(parseLine(file, line, text));
      const bytes = Buffer.byteLength(text) + 64;
      if (batch.length && (batch.length >= batchSize || batchBytes + bytes > MAX_BATCH_BYTES)) await send();
      batch.push(input);
      batchLines.push(line);
      batchBytes += bytes;
      totals.lines = line;
    }
    await send();
  } finally {
    bar?.stop();
  }
  return totals;
}
