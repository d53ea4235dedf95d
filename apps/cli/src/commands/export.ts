import { createWriteStream } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import { Readable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { Command } from "commander";
import { addApiOptions, type ApiOptions } from "../api-client.ts";
import { CliError } from "../errors.ts";

export function register(program: Command): void {
  addApiOptions(
    program
      .command("export")
      .description(
        'Export a released version as JSONL, one {"id", "text", "payload", "weight", "split"} object per line (canaries are never exported; ' +
          "payload is null for an example imported without one; gdc import-examples reads the file back as the same examples). " +
          'Load it with Hugging Face datasets: load_dataset("json", data_files="version.jsonl").',
      )
      .requiredOption("--version <id>", "the released version")
      .option("--out <file>", "write here instead of stdout (written to a temporary file, then renamed)"),
  ).action(async (options: ApiOptions & { version: string; out?: string }) => {
    const { count, lineage } = await exportToFile(options);
    if (options.out) process.stderr.write(`exported ${count} examples to ${options.out}\n`);
    if (lineage) process.stderr.write(`lineage: ${describeLineage(lineage, options.version)}\n`);
  });
}

/** The export route next to the GraphQL endpoint: …/graphql → …/export/versions/<id>.jsonl. */
export const exportUrl = (api: string, versionId: string) => new URL(`export/versions/${encodeURIComponent(versionId)}.jsonl`, api).toString();

/** The export's `x-gdc-lineage` header: run → parent → this version. */
export interface ExportLineage {
  parentVersionId: string | null;
  runs: { runId: string; versionId: string; onDraft: boolean }[];
  recorded: boolean;
}

/** "run <id> (trained on <version>) → parent <id> → <version>" for one line of output. */
export function describeLineage(lineage: ExportLineage, versionId: string): string {
  const runs = lineage.runs.length
    ? lineage.runs.map((r) => `run ${r.runId} (trained on ${r.versionId}${r.onDraft ? ", a draft then" : ""})`).join(", ")
    : "no run";
  return `${runs} → parent ${lineage.parentVersionId ?? "none"} → ${versionId}`;
}

export async function exportToFile(options: ApiOptions & { version: string; out?: string }): Promise<{ count: number; lineage: ExportLineage | null }> {
  if (!options.api) throw new CliError("--api: no GraphQL endpoint given (or set GDC_API_URL)");
  const response = await fetchDownload(exportUrl(options.api, options.version), options.token);
  const count = Number(response.headers.get("x-gdc-example-count") ?? Number.NaN);
  const header = response.headers.get("x-gdc-lineage");
  const lineage = header ? (JSON.parse(header) as ExportLineage) : null;
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  if (!options.out) {
    await pipeline(body, process.stdout, { end: false });
    return { count, lineage };
  }
  await writeAtomically(body, options.out);
  return { count, lineage };
}

/**
 * GET an /export file with the token: the response once its status is OK and it has a body;
 * else a CliError with the server's message and code (exit 4 for 401/403, 3 when unreachable).
 */
export async function fetchDownload(url: string, token: string | undefined): Promise<Response & { body: ReadableStream<Uint8Array> }> {
  let response: Response;
  try {
    response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (err) {
    throw new CliError(`cannot reach the API at ${url}: ${err instanceof Error ? err.message : String(err)}`, 3);
  }
  if (!response.ok || !response.body) {
    const text = await response.text();
    let message = text.slice(0, 300);
    let code = "";
    try {
      const body = JSON.parse(text) as { errors?: { message: string; extensions?: { code?: string } }[] };
      message = body.errors?.[0]?.message ?? message;
      code = body.errors?.[0]?.extensions?.code ?? "";
    } catch {
      /* not JSON: show the text */
    }
    throw new CliError(`${message}${code ? ` [${code}]` : ""}`, response.status === 401 || response.status === 403 ? 4 : 2);
  }
  return response as Response & { body: ReadableStream<Uint8Array> };
}

/**
 * Writes a stream (through `transforms`) to a temporary file beside `out`, renamed to `out` once
 * complete and `check` (if given) has not thrown: nothing half-written stays.
 */
export async function writeAtomically(body: Readable, out: string, options: { transforms?: Transform[]; check?: () => void } = {}): Promise<void> {
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await pipeline([body, ...(options.transforms ?? []), createWriteStream(tmp)]);
    options.check?.();
    await rename(tmp, out);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
