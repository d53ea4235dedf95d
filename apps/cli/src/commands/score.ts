import { createWriteStream } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import { once } from "node:events";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import {
  assignQuadrants,
  CartographyError,
  computeScores,
  ConfigError,
  DYNAMICS_FORMATS,
  inferDynamicsFormat,
  DEFAULT_MEMORIZATION_SIGNALS,
  isMemorizationSignal,
  MEMORIZATION_SIGNALS,
  QUADRANTS,
  readDynamics,
  scoreCsvLines,
  scoreRows,
  type DynamicsFormat,
  type MemorizationSignal,
  type QuadrantAssignment,
  type Scores,
  type ScoringConfig,
} from "@gdc/cartography";
import { CliError } from "../errors.ts";
import { createProgress, type Progress } from "../progress.ts";

export interface ScoreCommandOptions {
  format?: string;
  learnedBy?: string;
  memorizationSignal?: string;
  epsilon?: string;
  tau?: string;
  earlyEpochs?: string;
  lateEpochs?: string;
  qDifficulty?: string;
  qMemorization?: string;
  out?: string;
  outputFormat?: string;
}

/** Inputs above this size get a progress bar while they are read. */
const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;
const FLAG_OF_FIELD: Record<string, string> = {
  learnedBy: "--learned-by",
  memorizationSignal: "--memorization-signal",
  epsilon: "--epsilon",
  tau: "--tau",
  earlyEpochs: "--early-epochs",
  lateEpochs: "--late-epochs",
  qDifficulty: "--q-difficulty",
  qMemorization: "--q-memorization",
};

export function register(program: Command): void {
  program
    .command("score")
    .description(
      "Score training dynamics without a database: per-example difficulty, memorization, forget events and " +
        "cartography metrics, with quadrants. Writes one row per example, in input id order. memorization is one of " +
        "the memorization signals (--memorization-signal; every signal has its own column too).",
    )
    .argument("<path>", "allenai/cartography model folder (or its training_dynamics/), a .jsonl file or a .csv file")
    .option("--format <format>", `input format: ${DYNAMICS_FORMATS.join("|")} (default: a folder is cartography, else the extension)`)
    .option(
      "--learned-by <criterion>",
      "learned means loss < ε (loss) or accuracy ≥ τ (accuracy); auto: accuracy when every accuracy is 0 or 1 (classifier input), " +
        "else loss (an --epsilon means loss, a --tau accuracy)",
      "auto",
    )
    .option(
      "--memorization-signal <name>",
      `what memorization is: ${MEMORIZATION_SIGNALS.join("|")} (default ${DEFAULT_MEMORIZATION_SIGNALS.languageModel} for ` +
        `language-model input, ${DEFAULT_MEMORIZATION_SIGNALS.classifier} for classifier input (every accuracy 0 or 1); forgetFrequency reproduces the paper's map)`,
    )
    .option("--epsilon <x>", "absolute ε in nats (default: the median of the whole loss matrix)")
    .option("--tau <x>", "accuracy threshold τ in [0, 1] for --learned-by accuracy (default 1)")
    .option("--early-epochs <n>", "Te, the epochs difficulty averages over (default max(1, ceil(T/4)))")
    .option("--late-epochs <n>", "Tl, the last epochs the late loss and accuracy of the signals average over (default Te)")
    .option("--q-difficulty <q>", "quantile of difficulty above which an example is hard (default 0.5)")
    .option("--q-memorization <q>", "quantile of memorization above which an example is memorized (default 0.9)")
    .option("--out <file>", "write here instead of stdout (written to a temporary file, then renamed)")
    .option("--output-format <format>", "csv|json", "csv")
    .action(async (path: string, options: ScoreCommandOptions) => {
      await runScore(path, options);
    });
}

function parseNumberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new CliError(`${flag}: ${JSON.stringify(value)} is not a number`);
  return n;
}

function parseIntegerFlag(flag: string, value: string | undefined): number | undefined {
  const n = parseNumberFlag(flag, value);
  if (n !== undefined && !Number.isInteger(n)) throw new CliError(`${flag}: ${JSON.stringify(value)} is not an integer`);
  return n;
}

function scoringConfigOf(options: ScoreCommandOptions): ScoringConfig {
  const learnedBy = options.learnedBy ?? "auto";
  if (learnedBy !== "auto" && learnedBy !== "loss" && learnedBy !== "accuracy") {
    throw new CliError(`--learned-by: ${JSON.stringify(learnedBy)} is not one of auto, loss, accuracy`);
  }
  const memorizationSignal = options.memorizationSignal;
  if (memorizationSignal !== undefined && !isMemorizationSignal(memorizationSignal)) {
    throw new CliError(`--memorization-signal: ${JSON.stringify(memorizationSignal)} is not one of ${MEMORIZATION_SIGNALS.join(", ")}`);
  }
  const config: ScoringConfig = { learnedBy, ...(memorizationSignal === undefined ? {} : { memorizationSignal }) };
  const epsilon = parseNumberFlag("--epsilon", options.epsilon);
  const tau = parseNumberFlag("--tau", options.tau);
  const earlyEpochs = parseIntegerFlag("--early-epochs", options.earlyEpochs);
  const lateEpochs = parseIntegerFlag("--late-epochs", options.lateEpochs);
  if (epsilon !== undefined) config.epsilon = epsilon;
  if (tau !== undefined) config.tau = tau;
  if (earlyEpochs !== undefined) config.earlyEpochs = earlyEpochs;
  if (lateEpochs !== undefined) config.lateEpochs = lateEpochs;
  return config;
}

/** Library errors are the user's input being wrong: show them as CLI errors, flags named as typed. */
function asCliError(err: unknown): unknown {
  if (err instanceof ConfigError) {
    const flag = FLAG_OF_FIELD[err.field] ?? err.field;
    const detail = err.message.slice(err.field.length + 2).replace(/learnedBy "(\w+)"/g, "--learned-by $1");
    return new CliError(`${flag}: ${detail}`);
  }
  if (err instanceof CartographyError) return new CliError(err.message);
  return err;
}

/** Where `gdc score` writes: rows to stdout (unless --out), summary and progress to stderr. */
export interface ScoreOutput {
  stdout: Writable;
  stderr: Writable;
}

export async function runScore(path: string, options: ScoreCommandOptions, io: ScoreOutput = process): Promise<void> {
  const outputFormat = options.outputFormat ?? "csv";
  if (outputFormat !== "csv" && outputFormat !== "json") {
    throw new CliError(`--output-format: ${JSON.stringify(outputFormat)} is not one of csv, json`);
  }
  if (options.format !== undefined && !(DYNAMICS_FORMATS as readonly string[]).includes(options.format)) {
    throw new CliError(`--format: ${JSON.stringify(options.format)} is not one of ${DYNAMICS_FORMATS.join(", ")}`);
  }
  const config = scoringConfigOf(options);
  const qDifficulty = parseNumberFlag("--q-difficulty", options.qDifficulty);
  const qMemorization = parseNumberFlag("--q-memorization", options.qMemorization);

  let progress: Progress | null = null;
  let scores: Scores;
  let quadrants: QuadrantAssignment;
  let ids: readonly string[];
  try {
    const format = (options.format as DynamicsFormat | undefined) ?? (await inferDynamicsFormat(path));
    const dyn = await readDynamics(path, format, {
      onProgress(done, total) {
        if (total < PROGRESS_MIN_BYTES) return;
        progress ??= createProgress("reading", Math.ceil(total / 1e6), "MB");
        progress.update(Math.floor(done / 1e6));
      },
    });
    (progress as Progress | null)?.stop();
    ids = dyn.ids;
    scores = computeScores(dyn, config);
    quadrants = assignQuadrants(scores, {
      ...(qDifficulty === undefined ? {} : { qDifficulty }),
      ...(qMemorization === undefined ? {} : { qMemorization }),
    });
  } catch (err) {
    (progress as Progress | null)?.stop();
    throw asCliError(err);
  }

  const lines = outputFormat === "csv" ? scoreCsvLines(ids, scores, quadrants) : scoreJsonChunks(ids, scores, quadrants);
  if (options.out === undefined) {
    await writeAll(io.stdout, lines);
  } else {
    await writeFileAtomically(options.out, lines);
  }
  io.stderr.write(summaryOf(scores, quadrants));
}

function* scoreJsonChunks(ids: readonly string[], scores: Scores, quadrants: QuadrantAssignment): Generator<string> {
  const { thresholds, counts } = quadrants;
  yield `{"config":${JSON.stringify(scores.config)},"thresholds":${JSON.stringify(thresholds)},"counts":${JSON.stringify(counts)},"examples":[`;
  let first = true;
  for (const row of scoreRows(ids, scores, quadrants)) {
    yield (first ? "\n" : ",\n") + JSON.stringify(row);
    first = false;
  }
  yield "\n]}\n";
}

const BATCH_BYTES = 1 << 16;

/**
 * Encodes the chunks into one 64 KiB buffer, writes it, and waits until the stream has taken
 * it before refilling it. Reusing one buffer keeps memory flat: fresh buffers per batch lived
 * long enough in the stream's queue to reach V8's old space, and 1 M rows piled up ~190 MB of
 * them before a full GC.
 */
async function writeAll(stream: Writable, chunks: Iterable<string>): Promise<void> {
  let buf = Buffer.allocUnsafe(BATCH_BYTES);
  let used = 0;
  const flush = async () => {
    if (used === 0) return;
    const bytes = buf.subarray(0, used);
    used = 0;
    await new Promise<void>((resolve, reject) => {
      stream.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  };
  for (const chunk of chunks) {
    // A UTF-16 code unit takes at most 3 UTF-8 bytes.
    if (used + chunk.length * 3 > buf.length) {
      await flush();
      if (chunk.length * 3 > buf.length) buf = Buffer.allocUnsafe(chunk.length * 3);
    }
    used += buf.write(chunk, used);
  }
  await flush();
}

/** Nothing half-written stays: the rows go to a temporary file that is renamed when complete. */
async function writeFileAtomically(file: string, chunks: Iterable<string>): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const stream = createWriteStream(tmp);
  try {
    await once(stream, "open");
    await writeAll(stream, chunks);
    stream.end();
    await once(stream, "finish");
    await rename(tmp, file);
  } catch (err) {
    stream.destroy();
    await unlink(tmp).catch(() => {});
    throw new CliError(`--out ${file}: ${(err as Error).message}`);
  }
}

/** What each signal is, for the summary: Te and Tl are filled in. */
const SIGNAL_DESCRIPTIONS: Record<MemorizationSignal, (te: number, tl: number) => string> = {
  lossDrop: (te, tl) => `loss drop: mean loss of the first ${te} epoch(s) − of the last ${tl}, in nats`,
  relativeLossDrop: (te, tl) => `relative loss drop: 1 − mean loss of the last ${tl} epoch(s) ÷ of the first ${te}`,
  excessLossDrop: (te, tl) =>
    `excess loss drop: how far (log) the mean loss of the last ${tl} epoch(s) ends below that of examples whose first ${te} epoch(s) were as hard (least-squares fit over the run)`,
  accuracyGain: (te, tl) => `accuracy gain: mean accuracy of the last ${tl} epoch(s) − of the first ${te}`,
  meanLoss: () => "mean loss over all epochs, in nats",
  forgetFrequency: () => "forget frequency: forget events / (T − 1), the paper's memorization",
};

function summaryOf(scores: Scores, quadrants: QuadrantAssignment): string {
  const c = scores.config;
  // How "learned" was decided: as configured (--learned-by, --epsilon, --tau), or by "auto" from the accuracies.
  let criterion: string;
  if (c.learnedBySource === "binary-accuracy") {
    criterion = `correct (every accuracy is 0 or 1: classifier input)`;
  } else if (c.learnedBy === "loss") {
    const auto = c.learnedBySource === "fractional-accuracy" ? "; accuracies are fractional" : "";
    criterion = `loss < ε = ${c.epsilon} (${c.epsilonSource === "median" ? "median of the loss matrix" : "absolute"}${auto})`;
  } else {
    criterion = `accuracy ≥ τ = ${c.tau}`;
  }
  const t = quadrants.thresholds;
  const source = t.source === "quantile" ? `quantiles q_d = ${t.qDifficulty}, q_m = ${t.qMemorization}` : "absolute";
  let neverLearned = 0;
  for (let i = 0; i < scores.neverLearned.length; i++) neverLearned += scores.neverLearned[i]!;
  const counts = QUADRANTS.map((q) => `${q} ${quadrants.counts[q]}`).join(", ");
  return (
    `scored ${c.examples} examples × ${c.epochs} epochs; learned ⇔ ${criterion}; difficulty over the first ${c.earlyEpochs} epoch(s)\n` +
    `memorization = ${c.memorizationSignal} (${SIGNAL_DESCRIPTIONS[c.memorizationSignal](c.earlyEpochs, c.lateEpochs)})\n` +
    `thresholds (${source}): difficulty > ${t.difficulty}, memorization > ${t.memorization}\n` +
    `${counts}; never learned ${neverLearned}\n`
  );
}
