import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { DEFAULT_MEMORIZATION_SIGNALS, MEMORIZATION_SIGNALS } from "@gdc/cartography";
import type { InterventionStudyOptions, StudyConfig, StudyPassage, StudyProgress, StudyReport, StudyScoringConfig } from "@gdc/study";
import { CliError } from "../errors.ts";
import { createProgress, type Progress } from "../progress.ts";

export interface StudyCommandOptions {
  seeds?: string;
  epochs?: string;
  prune?: string;
  downweight?: string;
  out?: string;
  quick?: boolean;
  passages?: string;
  references?: string;
  repetitions?: string;
  canariesPerLevel?: string;
  training?: string;
  forgetEvents?: string;
  corpus?: string;
  memorizationSignal?: string;
  equalSteps?: boolean;
  auditEqualSteps?: boolean;
  learnedBy?: string;
  epsilon?: string;
  tau?: string;
  earlyEpochs?: string;
  qDifficulty?: string;
  qMemorization?: string;
}

export function register(program: Command): void {
  program
    .command("study")
    .description(
      "Run the intervention study without a database: train a baseline with per-example tracking on a corpus with canaries, " +
        "score it, retrain the same model (same seeds and schedule) on each policy's curated data — GenDataCarto's prune-by-memorization, " +
        "down-weight-hotspots and the paper's prune-by-forget-frequency, and the random, top-loss and exact-duplicate baselines; prune arms " +
        "also at the baseline's number of optimizer steps — and compare canary exposure (with bootstrap intervals), extraction and validation " +
        "perplexity, and how well each memorization signal finds the canaries. Prints a table; writes report.json, report.md and SVG charts.",
    )
    .argument(
      "[corpus]",
      'JSONL corpus: {"text", "id"?, "split"?: train|validation, "canary"?: {prefix, secret, repetitions?}} per line (default: a bundled corpus, see --corpus)',
    )
    .option("--corpus <name>", "bundled corpus when no file is given: moby-dick (default) or sotu (State of the Union addresses)")
    .option("--seeds <list>", "training seeds, comma-separated (default 1,2,3,4,5; --quick: 1,2)")
    .option("--epochs <n>", "training epochs (default 8; --quick: 3)")
    .option("--prune <percent>", "x of the prune policies, in % (default 10)")
    .option("--downweight <w>", "weight the down-weight policy gives HOTSPOT_MEMORIZED examples, in (0, 1) (default 0.5)")
    .option("--out <dir>", "directory for report.json, report.md and the SVG charts", "study-report")
    .option("--quick", "a small, fast study that checks the machinery (300 passages, 6 canaries, tiny model, 3 epochs, 2 seeds)")
    .option("--passages <n>", "passages of the bundled corpus to use (default 1800; --quick: 300)")
    .option("--references <n>", "reference secrets per canary for exposure (default 500; --quick: 200)")
    .option("--repetitions <list>", "canary repetition levels k, comma-separated (default 1,2,4,8,16); ignored when the corpus has canaries")
    .option("--canaries-per-level <n>", "canaries per repetition level (default 4; each canary has its own sentence frame, at most 24 canaries)")
    .option(
      "--memorization-signal <name>",
      `the memorization signal the policies and quadrants use: ${MEMORIZATION_SIGNALS.join(", ")} (default ${DEFAULT_MEMORIZATION_SIGNALS.languageModel}, the default for language-model input; forgetFrequency is the paper's)`,
    )
    .option("--no-equal-steps", "skip retraining the prune arms for the baseline's number of optimizer steps")
    .option("--audit-equal-steps", "audit the canaries of the equal-steps retrains too (default: their perplexity only)")
    .option("--training <json>", 'training-config overrides as JSON, e.g. \'{"learningRate":0.003,"model":{…}}\'')
    .option("--forget-events <unit>", "count forget events per epoch (DESIGN default) or per presentation (copies of one text as one item)", "epoch")
    .option(
      "--learned-by <criterion>",
      "learned means loss < ε (loss) or accuracy ≥ τ (accuracy); auto (default): accuracy when every accuracy is 0/1, else loss",
    )
    .option("--epsilon <x>", "absolute ε in nats (default: the median of the loss matrix)")
    .option("--tau <x>", "accuracy threshold τ for --learned-by accuracy (default 1)")
    .option("--early-epochs <n>", "Te, the epochs difficulty averages over (default max(1, ceil(T/4)))")
    .option("--q-difficulty <q>", "quantile threshold for high difficulty (default 0.5)")
    .option("--q-memorization <q>", "quantile threshold for high memorization (default 0.9)")
    .action(async (corpus: string | undefined, options: StudyCommandOptions) => {
      await runStudyCommand(corpus, options);
    });
}

function parseNumber(flag: string, value: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n)) throw new CliError(`${flag}: ${JSON.stringify(value)} is not ${expected}`);
  return n;
}

const positiveInteger = (n: number) => Number.isInteger(n) && n > 0;

function parseList(flag: string, value: string | undefined, check: (n: number) => boolean, expected: string): number[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(",").map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === "")) throw new CliError(`${flag}: ${JSON.stringify(value)} is not a comma-separated list`);
  return items.map((s) => parseNumber(flag, s, check, expected)!);
}

/** --training's JSON (syntax only: its fields are checked by the study config schema). */
function parseTraining(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new CliError(`--training: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new CliError("--training: must be a JSON object");
  return parsed as Record<string, unknown>;
}

/** The flag behind each field of the study config, for errors the config schema finds. */
const FLAG_OF: Record<string, string> = {
  seeds: "--seeds",
  epochs: "--epochs",
  prunePercent: "--prune",
  downweight: "--downweight",
  references: "--references",
  passages: "--passages",
  corpus: "--corpus",
  "canaries.repetitions": "--repetitions",
  "canaries.perLevel": "--canaries-per-level",
  training: "--training",
  "scoring.forgetEventsOver": "--forget-events",
  "scoring.learnedBy": "--learned-by",
  "scoring.memorizationSignal": "--memorization-signal",
  "scoring.epsilon": "--epsilon",
  "scoring.tau": "--tau",
  "scoring.earlyEpochs": "--early-epochs",
  "scoring.quadrants.qDifficulty": "--q-difficulty",
  "scoring.quadrants.qMemorization": "--q-memorization",
};

function flagError(field: string, reason: string): CliError {
  if (field === "training" || field.startsWith("training."))
    return new CliError(`--training: ${field === "training" ? "" : `${field.slice("training.".length)}: `}${reason}`);
  const key = Object.keys(FLAG_OF).find((k) => field === k || field.startsWith(`${k}.`));
  return new CliError(`${key ? FLAG_OF[key] : field}: ${reason}`);
}

function scoringOf(options: StudyCommandOptions): StudyScoringConfig {
  const unit = options.forgetEvents ?? "epoch";
  if (unit !== "epoch" && unit !== "presentation") throw new CliError(`--forget-events: ${JSON.stringify(unit)} is not one of epoch, presentation`);
  const learnedBy = options.learnedBy ?? "auto";
  if (learnedBy !== "loss" && learnedBy !== "accuracy" && learnedBy !== "auto")
    throw new CliError(`--learned-by: ${JSON.stringify(learnedBy)} is not one of auto, loss, accuracy`);
  const scoring: StudyScoringConfig = { forgetEventsOver: unit, ...(learnedBy === "auto" ? {} : { learnedBy }) };
  if (options.memorizationSignal !== undefined) {
    if (!(MEMORIZATION_SIGNALS as readonly string[]).includes(options.memorizationSignal)) {
      throw new CliError(`--memorization-signal: ${JSON.stringify(options.memorizationSignal)} is not one of ${MEMORIZATION_SIGNALS.join(", ")}`);
    }
    scoring.memorizationSignal = options.memorizationSignal as NonNullable<StudyScoringConfig["memorizationSignal"]>;
  }
  const epsilon = parseNumber("--epsilon", options.epsilon, Number.isFinite, "a number");
  const tau = parseNumber("--tau", options.tau, (n) => n >= 0 && n <= 1, "a number in [0, 1]");
  const earlyEpochs = parseNumber("--early-epochs", options.earlyEpochs, positiveInteger, "a positive integer");
  if (epsilon !== undefined) {
    if (learnedBy === "accuracy") throw new CliError("--epsilon: applies only with --learned-by loss");
    scoring.epsilon = epsilon;
  }
  if (tau !== undefined) {
    if (learnedBy === "loss") throw new CliError("--tau: applies only with --learned-by accuracy");
    scoring.tau = tau;
  }
  if (earlyEpochs !== undefined) scoring.earlyEpochs = earlyEpochs;
  const qDifficulty = parseNumber("--q-difficulty", options.qDifficulty, (n) => n >= 0 && n <= 1, "a number in [0, 1]");
  const qMemorization = parseNumber("--q-memorization", options.qMemorization, (n) => n >= 0 && n <= 1, "a number in [0, 1]");
  if (qDifficulty !== undefined || qMemorization !== undefined) {
    scoring.quadrants = { ...(qDifficulty === undefined ? {} : { qDifficulty }), ...(qMemorization === undefined ? {} : { qMemorization }) };
  }
  return scoring;
}

/** Where `gdc study` writes: the table to stdout, progress and the file list to stderr. */
export interface StudyOutput {
  stdout: Writable;
  stderr: Writable;
}

export async function runStudyCommand(corpusPath: string | undefined, options: StudyCommandOptions, io: StudyOutput = process): Promise<StudyReport> {
  // Loaded here, not at start-up: TensorFlow.js is heavy and only this command needs it.
  const study = await import("@gdc/study");
  const quick = Boolean(options.quick);
  const seeds = parseList("--seeds", options.seeds, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, "a list of integers in [0, 2³²)");
  const epochs = parseNumber("--epochs", options.epochs, positiveInteger, "a positive integer");
  const prunePercent = parseNumber("--prune", options.prune, (n) => n >= 0 && n <= 100, "a percentage in [0, 100]");
  const downweight = parseNumber("--downweight", options.downweight, (n) => n > 0 && n < 1, "a weight strictly between 0 and 1");
  const passages = parseNumber("--passages", options.passages, positiveInteger, "a positive integer");
  const references = parseNumber("--references", options.references, positiveInteger, "a positive integer");
  const repetitions = parseList("--repetitions", options.repetitions, positiveInteger, "a list of positive integers");
  const perLevel = parseNumber("--canaries-per-level", options.canariesPerLevel, positiveInteger, "a positive integer");
  const training = parseTraining(options.training);
  const scoring = scoringOf(options);
  if (options.corpus !== undefined && !study.isBundledCorpusName(options.corpus)) {
    throw new CliError(`--corpus: ${JSON.stringify(options.corpus)} is not one of ${Object.keys(study.BUNDLED_CORPORA).join(", ")}`);
  }

  try {
    study.assertCorpusChoice({ corpus: options.corpus as StudyConfig["corpus"], passages }, corpusPath !== undefined);
  } catch (err) {
    if (err instanceof study.ConfigError) throw flagError(err.field, err.reason);
    throw err;
  }

  let own: { corpus: StudyPassage[]; corpusSource: string } | null = null;
  if (corpusPath !== undefined) {
    let content: string;
    try {
      content = await readFile(corpusPath, "utf8");
    } catch (err) {
      throw new CliError(`${corpusPath}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
    }
    try {
      own = { corpus: study.parseCorpusJsonl(content, corpusPath), corpusSource: path.basename(corpusPath) };
    } catch (err) {
      if (err instanceof study.StudyInputError) throw new CliError(err.message);
      throw err;
    }
  }
  // The flags as a study configuration: the same schema and assembly as a study started
  // through the API (libs/study config.ts, options.ts). --repetitions and --canaries-per-level
  // are ignored when the corpus file has canaries of its own.
  const ownCanaries = own?.corpus.some((p) => p.canary) ?? false;
  const config: StudyConfig = {
    ...(seeds === undefined ? {} : { seeds }),
    ...(references === undefined ? {} : { references }),
    scoring,
    quick,
    equalSteps: options.equalSteps !== false,
    auditEqualSteps: Boolean(options.auditEqualSteps),
    ...(options.corpus === undefined ? {} : { corpus: options.corpus as NonNullable<StudyConfig["corpus"]> }),
    ...(passages === undefined ? {} : { passages }),
    ...(epochs === undefined ? {} : { epochs }),
    ...(prunePercent === undefined ? {} : { prunePercent }),
    ...(downweight === undefined ? {} : { downweight }),
    ...(training === undefined ? {} : { training: training as StudyConfig["training"] }),
    ...(!ownCanaries && (repetitions || perLevel !== undefined)
      ? { canaries: { ...(repetitions ? { repetitions } : {}), ...(perLevel === undefined ? {} : { perLevel }) } }
      : {}),
  };
  let studyOptions: InterventionStudyOptions;
  try {
    studyOptions = study.resolveStudyOptions(config, own);
  } catch (err) {
    if (err instanceof study.ConfigError) throw flagError(err.field, err.reason);
    if (err instanceof study.StudyInputError) throw new CliError(err.message);
    throw err;
  }

  let bar: Progress | null = null;
  let barKey = "";
  let barSteps = 0;
  const onProgress = (p: StudyProgress) => {
    const key = `${p.seed}/${p.arm}`;
    if (p.phase === "audit" || key !== barKey) {
      bar?.stop();
      bar = null;
      barKey = "";
    }
    if (p.phase !== "train" || p.training === null) return;
    if (bar === null) {
      // Steps of the whole schedule: full epochs, except that a step budget may end mid-epoch
      // (then the total is an upper bound and the bar stops short of it).
      bar = createProgress(`[${p.trainingsDone + 1}/${p.trainings}] seed ${p.seed} ${p.arm}`, p.training.epochs * p.training.steps, "steps");
      barKey = key;
      barSteps = 0;
    }
    bar.update(++barSteps);
  };

  let report: StudyReport;
  try {
    report = await study.runInterventionStudy(studyOptions, onProgress);
  } catch (err) {
    if (err instanceof study.StudyInputError) throw new CliError(err.message);
    if (err instanceof RangeError && /config|weights|repetitions|perLevel|secret/i.test(err.message)) throw new CliError(err.message);
    throw err;
  } finally {
    (bar as Progress | null)?.stop();
  }

  const rendered = study.renderStudyReport(report, { images: "files" });
  const outDir = options.out ?? "study-report";
  const files: [string, string][] = [
    ["report.json", `${JSON.stringify(report, null, 2)}\n`],
    ["report.md", rendered.markdown],
    ...rendered.charts.map((c): [string, string] => [c.file, c.svg]),
  ];
  try {
    await mkdir(outDir, { recursive: true });
    for (const [name, content] of files) await writeAtomically(path.join(outDir, name), content);
  } catch (err) {
    throw new CliError(`--out ${outDir}: ${(err as Error).message}`);
  }
  io.stdout.write(rendered.table);
  io.stderr.write(`wrote ${files.map(([n]) => n).join(", ")} to ${outDir} (${(report.timing.seconds / 60).toFixed(1)} min)\n`);
  return report;
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
