import type { Command } from "commander";
import { CartographyError, DYNAMICS_FORMATS, inferDynamicsFormat, readDynamics, type DynamicsFormat, type DynamicsMatrix } from "@gdc/cartography";
import { ARROW_STREAM_TYPE, dynamicsIngestPath, dynamicsKeyColumn, encodeDynamicsArrow } from "@gdc/api";
import { MAX_BODY_BYTES } from "@gdc/api/body-limits";
import { BLOCK_SIZE, MAX_CELLS_PER_CHUNK } from "@gdc/db";
import { addApiOptions, ApiClient, type ApiOptions } from "../api-client.ts";
import { CliError } from "../errors.ts";
import { createProgress } from "../progress.ts";

export interface ImportDynamicsOptions extends ApiOptions {
  format?: string;
  run?: string;
  chunkSize?: string;
  /** "arrow" (default): POST /ingest/runs/<id>/dynamics, Arrow IPC; "graphql": the ingestDynamics mutation (JSON). */
  transport?: string;
  finish?: boolean;
  /** Attempts per chunk before giving up (retrying is safe: ingest is idempotent). */
  attempts?: number;
  /** Where progress and the summary go (default stderr). */
  log?: (message: string) => void;
}

export interface ImportDynamicsSummary {
  runId: string;
  examples: number;
  epochs: number;
  cells: number;
  chunks: number;
  accepted: number;
  unchanged: number;
  missing: number;
  retries: number;
  status: string;
}

/** Cells per ingestDynamics call: ~80 bytes of JSON each, so 20 000 is ~1.6 MB (the API takes MAX_BODY_BYTES). */
export const DEFAULT_CHUNK_CELLS = 20_000;
/**
 * Rows per Arrow request: the largest multiple of the store's block size within the server's
 * limit (MAX_CELLS_PER_CHUNK), so that each stored block is written once when rows are in run order.
 */
export const DEFAULT_ARROW_ROWS = Math.floor(MAX_CELLS_PER_CHUNK / BLOCK_SIZE) * BLOCK_SIZE;
const TRANSPORTS = ["arrow", "graphql"] as const;
/** What a JSON chunk's request may take of the API's body limit (the rest: the query and headroom). */
const JSON_BODY_BUDGET = MAX_BODY_BYTES - 64 * 1024;
/** Bytes of the ingestDynamics request for `cells`, as ApiClient sends it. */
const requestBytes = (cells: unknown[]) =>
  Buffer.byteLength(JSON.stringify({ query: INGEST, variables: { input: { runId: "00000000-0000-0000-0000-000000000000", cells } } }));
/** Inputs above this size get a progress bar while they are read. */
const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

const RUN_QUERY = /* GraphQL */ `query ($id: ID!) { run(id: $id) { id kind status epochs exampleCount } }`;
const INGEST = /* GraphQL */ `
  mutation ($input: DynamicsChunkInput!) { ingestDynamics(input: $input) { accepted unchanged received missing } }`;
const FINISH = /* GraphQL */ `mutation ($runId: ID!) { finishRun(input: { runId: $runId }) { id status } }`;

export function register(program: Command): void {
  addApiOptions(
    program
      .command("import-dynamics")
      .description(
        "Send an external run's training dynamics to the API in chunks (idempotent: a retried or repeated chunk changes nothing), " +
          "then finish the run, which enqueues its scoring. Examples are matched by key (the allenai/cartography guid, or the id column).",
      )
      .argument("<path>", "allenai/cartography model folder (or its training_dynamics/), a .jsonl file or a .csv file")
      .requiredOption("--run <id>", "the EXTERNAL run (createExternalRun) the dynamics belong to")
      .option("--format <format>", `input format: ${DYNAMICS_FORMATS.join("|")} (default: a folder is cartography, else the extension)`)
      .option(
        "--chunk-size <cells>",
        `cells (example × epoch) per request: with arrow, rows of one epoch, at most ${MAX_CELLS_PER_CHUNK} (default ${DEFAULT_ARROW_ROWS}); ` +
          `with graphql at most ${MAX_CELLS_PER_CHUNK} (default ${DEFAULT_CHUNK_CELLS}), fewer when a chunk's JSON would exceed the API's ` +
          `${MAX_BODY_BYTES / 1024 / 1024} MB request limit (~${Math.floor(MAX_BODY_BYTES / 80 / 1000)} k cells with short keys)`,
      )
      .option(
        "--transport <arrow|graphql>",
        "arrow: the bulk binary endpoint, one epoch shard per request; graphql: the ingestDynamics mutation (JSON)",
        "arrow",
      )
      .option("--no-finish", "leave the run RUNNING after the upload (more files to come)"),
  ).action(async (path: string, options: ImportDynamicsOptions) => {
    const summary = await importDynamics(path, options);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  });
}

export async function importDynamics(path: string, options: ImportDynamicsOptions): Promise<ImportDynamicsSummary> {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const runId = options.run;
  if (!runId) throw new CliError("--run: the id of the EXTERNAL run is required");
  const transport = options.transport ?? "arrow";
  if (!(TRANSPORTS as readonly string[]).includes(transport))
    throw new CliError(`--transport: must be one of ${TRANSPORTS.join(", ")}, got ${JSON.stringify(transport)}`);
  const arrow = transport === "arrow";
  // One limit for both transports, the service's; JSON chunks are also kept under the body limit below.
  const maxChunk = MAX_CELLS_PER_CHUNK;
  const chunkSize = Number(options.chunkSize ?? (arrow ? DEFAULT_ARROW_ROWS : DEFAULT_CHUNK_CELLS));
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > maxChunk) {
    throw new CliError(`--chunk-size: must be an integer in [1, ${maxChunk}] with --transport ${transport}, got ${JSON.stringify(options.chunkSize)}`);
  }
  if (options.format !== undefined && !(DYNAMICS_FORMATS as readonly string[]).includes(options.format)) {
    throw new CliError(`--format: must be one of ${DYNAMICS_FORMATS.join(", ")}, got ${JSON.stringify(options.format)}`);
  }
  const client = ApiClient.from(options);

  const { run } = await client.request<{ run: { id: string; kind: string; status: string; epochs: number; exampleCount: number } | null }>(RUN_QUERY, {
    id: runId,
  });
  if (!run) throw new CliError(`--run: no run ${runId}`);
  if (run.kind !== "EXTERNAL" || run.status !== "RUNNING") {
    throw new CliError(`run ${runId} is ${run.kind} and ${run.status}: dynamics are imported into a RUNNING EXTERNAL run (createExternalRun)`);
  }

  const matrix = await readMatrix(path, options.format as DynamicsFormat | undefined, log);
  const N = matrix.ids.length;
  const T = matrix.epochs;
  if (T !== run.epochs) throw new CliError(`${path}: holds ${T} epochs, but run ${runId} records ${run.epochs}`);
  if (N !== run.exampleCount)
    log(`note: ${path} has ${N} examples, the run ${run.exampleCount}; the run is finished only once every one of its examples has all epochs`);

  const total = N * T;
  const attempts = options.attempts ?? 4;
  const progress = createProgress("ingest", total, "cells");
  const summary: ImportDynamicsSummary = {
    runId,
    examples: N,
    epochs: T,
    cells: total,
    chunks: 0,
    accepted: 0,
    unchanged: 0,
    missing: 0,
    retries: 0,
    status: run.status,
  };
  const onRetry = (what: string) => (attempt: number, err: Error) => {
    summary.retries++;
    log(`${what}: attempt ${attempt} failed (${err.message}); retrying (safe: ingest is idempotent)`);
  };
  try {
    if (arrow) {
      // Epoch-major: each request is a shard of one epoch; a shard's key column is built once and sent every epoch.
      const ingestUrl = (epoch: number) => new URL(dynamicsIngestPath(runId, epoch).slice(1), client.url).toString();
      const shards: { from: number; to: number; keys: ReturnType<typeof dynamicsKeyColumn> }[] = [];
      for (let from = 0; from < N; from += chunkSize)
        shards.push({ from, to: Math.min(N, from + chunkSize), keys: dynamicsKeyColumn(matrix.ids.slice(from, from + chunkSize)) });
      let done = 0;
      for (let epoch = 0; epoch < T; epoch++) {
        for (const { from, to, keys } of shards) {
          const loss = new Float32Array(to - from);
          const accuracy = new Float32Array(to - from);
          for (let i = from; i < to; i++) {
            loss[i - from] = matrix.loss[i * T + epoch]!;
            accuracy[i - from] = matrix.acc[i * T + epoch]!;
          }
          const body = encodeDynamicsArrow({ keys, epoch, loss, accuracy });
          const result = await withRetries(
            attempts,
            () => postArrow(ingestUrl(epoch), options.token, body, from),
            onRetry(`epoch ${epoch}, examples ${from}…${to - 1}`),
          );
          summary.chunks++;
          summary.accepted += result.accepted;
          summary.unchanged += result.unchanged;
          summary.missing = result.missing;
          done += to - from;
          progress.update(done);
        }
      }
    }
    // Example-major chunks: each touches few examples (a cheap key lookup) and few blocks per epoch.
    // A chunk whose request would exceed the API's body limit is cut to fit (long keys).
    for (let from = 0, to = 0; !arrow && from < total; from = to) {
      to = Math.min(total, from + chunkSize);
      const cellsOf = (end: number) => {
        const cells = new Array<{ exampleKey: string; epoch: number; loss: number; accuracy: number }>(end - from);
        for (let c = from; c < end; c++) {
          cells[c - from] = { exampleKey: matrix.ids[Math.floor(c / T)]!, epoch: c % T, loss: matrix.loss[c]!, accuracy: matrix.acc[c]! };
        }
        return cells;
      };
      let cells = cellsOf(to);
      for (let bytes = requestBytes(cells); bytes > JSON_BODY_BUDGET; bytes = requestBytes(cells)) {
        if (to - from === 1)
          throw new CliError(
            `${path}: the cell of example ${JSON.stringify(matrix.ids[Math.floor(from / T)]!.slice(0, 80))} alone exceeds the API's request limit (${MAX_BODY_BYTES} bytes)`,
          );
        to = from + Math.max(1, Math.floor(((to - from) * JSON_BODY_BUDGET) / bytes));
        cells = cellsOf(to);
      }
      const result = await withRetries(
        attempts,
        () => client.request<{ ingestDynamics: { accepted: number; unchanged: number; missing: number } }>(INGEST, { input: { runId, cells } }),
        onRetry(`chunk of cells ${from}…${to - 1}`),
      );
      summary.chunks++;
      summary.accepted += result.ingestDynamics.accepted;
      summary.unchanged += result.ingestDynamics.unchanged;
      summary.missing = result.ingestDynamics.missing;
      progress.update(to);
    }
  } finally {
    progress.stop();
  }
  log(
    `sent ${total} cells in ${summary.chunks} ${arrow ? "Arrow requests" : "chunks"}: ${summary.accepted} new or changed, ${summary.unchanged} already stored; the run lacks ${summary.missing}`,
  );

  if (options.finish !== false) {
    const { finishRun } = await client.request<{ finishRun: { status: string } }>(FINISH, { runId });
    summary.status = finishRun.status;
    log(`run ${runId} finished: ${finishRun.status} (scoring is queued)`);
  }
  return summary;
}

async function readMatrix(path: string, format: DynamicsFormat | undefined, log: (m: string) => void): Promise<DynamicsMatrix> {
  try {
    const chosen = format ?? (await inferDynamicsFormat(path));
    let reading: ReturnType<typeof createProgress> | null = null;
    try {
      return await readDynamics(path, chosen, {
        onProgress(done, total) {
          if (total < PROGRESS_MIN_BYTES) return;
          reading ??= createProgress("read", total, "bytes");
          reading.update(done);
        },
      });
    } finally {
      (reading as ReturnType<typeof createProgress> | null)?.stop();
    }
  } catch (err) {
    if (err instanceof CartographyError) throw new CliError(err.message);
    log(`cannot read ${path}`);
    throw err;
  }
}

interface IngestAnswer {
  accepted: number;
  unchanged: number;
  received: number;
  missing: number;
}

/**
 * POSTs one Arrow body to the bulk ingest endpoint. A refusal names the row within the whole
 * file's example order (the server counts rows from 0 in the request: `firstRow` is added).
 */
async function postArrow(url: string, token: string | undefined, body: Uint8Array, firstRow: number): Promise<IngestAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": ARROW_STREAM_TYPE, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
  } catch (err) {
    throw new CliError(`cannot reach the API at ${url}: ${err instanceof Error ? err.message : String(err)}`, 3);
  }
  const text = await response.text();
  let parsed: (Partial<IngestAnswer> & { errors?: { message: string; extensions?: { code?: string } }[] }) | undefined;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    /* below */
  }
  const error = parsed?.errors?.[0];
  if (error) {
    const code = error.extensions?.code ?? "";
    const message = error.message.replace(/\brows\[(\d+)\]/g, (_, row: string) => `rows[${row}] (example ${firstRow + Number(row)} of the file)`);
    throw new CliError(`${message}${code ? ` [${code}]` : ""}`, response.status >= 500 ? 3 : response.status === 401 || response.status === 403 ? 4 : 2);
  }
  if (response.status !== 200 || !parsed || typeof parsed.accepted !== "number") {
    const hint = response.status === 404 ? " (a server without the bulk endpoint: use --transport graphql)" : "";
    throw new CliError(`the API answered ${response.status} to ${url}: ${text.slice(0, 200)}${hint}`, response.status === 404 ? 2 : 3);
  }
  return parsed as IngestAnswer;
}

/** Network failures and server errors are retried with backoff; a refused chunk (bad cell, wrong state) is not. */
async function withRetries<T>(attempts: number, send: () => Promise<T>, onRetry: (attempt: number, err: Error) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      const transient = err instanceof CliError && (err.exitCode === 3 || /\[INTERNAL_SERVER_ERROR\]$/.test(err.message));
      if (!transient || attempt >= attempts) throw err;
      onRetry(attempt, err);
      await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
    }
  }
}
