import { extname } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { Command } from "commander";
import { SCORE_FILE_FORMATS, type ScoreFileFormat } from "@gdc/cartography";
import { addApiOptions, type ApiOptions } from "../api-client.ts";
import { CliError } from "../errors.ts";
import { createProgress } from "../progress.ts";
import { fetchDownload, writeAtomically } from "./export.ts";

export function register(program: Command): void {
  addApiOptions(
    program
      .command("scores")
      .description(
        "Download a scored run's scores: every score column (difficulty, memorization, each memorization signal, forget events, " +
          "confidence, variability, correctness, quadrant) keyed by your example ids (example_key), one row per training example " +
          "in the order you imported them. Read the Arrow file with pyarrow.ipc.open_file(...).read_pandas().",
      )
      .requiredOption("--run <id>", "the scored run")
      .option("--format <format>", `${SCORE_FILE_FORMATS.join(" or ")} (default: from the --out extension, else ${SCORE_FILE_FORMATS[0]})`)
      .option("--out <file>", "write here instead of stdout (written to a temporary file, then renamed)"),
  ).action(async (options: ApiOptions & { run: string; format?: string; out?: string }) => {
    const { rows, format } = await downloadScores(options);
    if (options.out) process.stderr.write(`wrote the scores of ${rows} examples to ${options.out} (${format})\n`);
  });
}

/** The scores route next to the GraphQL endpoint: …/graphql → …/export/runs/<id>/scores.<format>. */
export const scoresUrl = (api: string, runId: string, format: ScoreFileFormat) =>
  new URL(`export/runs/${encodeURIComponent(runId)}/scores.${format}`, api).toString();

/** --format, else the --out extension when it names a format, else the first format. */
export function scoresFormat(options: { format?: string; out?: string }): ScoreFileFormat {
  const known = SCORE_FILE_FORMATS as readonly string[];
  if (options.format !== undefined) {
    if (!known.includes(options.format)) throw new CliError(`--format: must be one of ${SCORE_FILE_FORMATS.join(", ")}, got "${options.format}"`);
    return options.format as ScoreFileFormat;
  }
  const extension = options.out ? extname(options.out).slice(1).toLowerCase() : "";
  return known.includes(extension) ? (extension as ScoreFileFormat) : SCORE_FILE_FORMATS[0];
}

export async function downloadScores(options: ApiOptions & { run: string; format?: string; out?: string }): Promise<{ rows: number; format: ScoreFileFormat }> {
  if (!options.api) throw new CliError("--api: no GraphQL endpoint given (or set GDC_API_URL)");
  const format = scoresFormat(options);
  if (format === "arrow" && !options.out && process.stdout.isTTY) throw new CliError("--out: an Arrow file is binary; give --out <file> (or redirect stdout)");
  const response = await fetchDownload(scoresUrl(options.api, options.run, format), options.token);
  const rows = Number(response.headers.get("x-gdc-row-count") ?? Number.NaN);
  // Progress: CSV by rows (lines after the header), Arrow by bytes (its length is known).
  const bytes = Number(response.headers.get("content-length") ?? Number.NaN);
  const progress = format === "csv" ? createProgress("scores", rows, "rows") : createProgress("scores", Number.isFinite(bytes) ? bytes : 0, "bytes");
  let done = format === "csv" ? -1 : 0; // the CSV header is not a row
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (format === "csv") {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) done++;
      } else {
        done += chunk.length;
      }
      progress.update(Math.max(0, done));
      callback(null, chunk);
    },
  });
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  const complete = () => {
    if (format === "csv" && done !== rows)
      throw new CliError(
        `the download ended after ${done} of ${rows} rows (was the run scored again meanwhile?)${options.out ? "; nothing was written" : ""}`,
        2,
      );
  };
  try {
    if (options.out) await writeAtomically(body, options.out, { transforms: [counter], check: complete });
    else {
      await pipeline(body, counter, process.stdout, { end: false });
      complete();
    }
  } finally {
    progress.stop();
  }
  return { rows, format };
}
