import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, runScore, type ScoreCommandOptions } from "../src/commands/score.ts";
import { CliError } from "../src/errors.ts";
import { gdc } from "./run-gdc.ts";

const HEADER = "id,difficulty,memorization,forget_events,never_learned,confidence,variability,correctness,quadrant";

/** Runs `gdc score` in-process (the binary's start-up is slow on a busy machine). */
async function scoreInProcess(path: string, options: ScoreCommandOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: "", stderr: "" };
  stdout.on("data", (d: Buffer) => (chunks.stdout += d.toString()));
  stderr.on("data", (d: Buffer) => (chunks.stderr += d.toString()));
  await runScore(path, options, { stdout, stderr });
  return chunks;
}

/** Parses a `gdc score …` command line as the binary would and returns the user error. */
async function cliError(args: string[]): Promise<CliError> {
  const program = new Command().exitOverride();
  register(program);
  const error = await program.parseAsync(["node", "gdc", "score", ...args]).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error, args.join(" ")).toBeInstanceOf(CliError);
  return error as CliError;
}

let root: string;
let csv: string;
let cartography: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gdc-score-"));
  csv = join(root, "dynamics.csv");
  // a: learned, forgotten, learned, forgotten (ε = median 0.55); b: never; c: always.
  await writeFile(
    csv,
    "id,epoch,loss,accuracy\n" +
      ["a,0,1,0", "a,1,0.1,1", "a,2,1,0", "a,3,0.1,1", "b,0,2,0", "b,1,2,0", "b,2,2,0", "b,3,2,0", "c,0,0.1,1", "c,1,0.1,1", "c,2,0.1,1", "c,3,0.1,1"].join("\n") +
      "\n",
  );
  cartography = join(root, "model");
  await mkdir(join(cartography, "training_dynamics"), { recursive: true });
  const trends: Record<string, number[][]> = {
    x: [[2, 0], [0, 2], [2, 0]], // gold 0: correct, wrong, correct
    y: [[0, 2], [0, 2], [2, 0]], // gold 0: wrong, wrong, correct
  };
  for (let e = 0; e < 3; e++) {
    const lines = Object.entries(trends).map(([guid, logits]) => JSON.stringify({ guid, [`logits_epoch_${e}`]: logits[e], gold: 0 }));
    await writeFile(join(cartography, "training_dynamics", `dynamics_epoch_${e}.jsonl`), lines.join("\n") + "\n");
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("gdc score (the binary)", () => {
  it("writes CSV to stdout, JSON to --out, and exits 2 naming the bad line", async () => {
    const out = join(root, "scores.json");
    const bad = join(root, "bad.csv");
    await writeFile(bad, "id,epoch,loss,accuracy\na,0,1,1\na,1,inf,1\n");
    const never = join(root, "never.csv");
    // In parallel: each start-up of the binary takes seconds on a busy machine.
    const [csvRun, jsonRun, badRun] = await Promise.all([
      gdc(["score", csv]),
      gdc(["score", cartography, "--format", "cartography", "--learned-by", "accuracy", "--tau", "1", "--output-format", "json", "--out", out]),
      gdc(["score", bad, "--out", never]),
    ]);

    expect(csvRun.code).toBe(0);
    const lines = csvRun.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(HEADER);
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 5).join(","))).toEqual([
      "a,1,0.3333333333333333,1,false",
      "b,2,0,0,true",
      "c,0.10000000149011612,0,0,false",
    ]);
    expect(csvRun.stderr).toMatch(/STABLE_EASY 2, AMBIGUOUS_HARD 1, HOTSPOT_MEMORIZED 0, NOISY_OUTLIER 0; never learned 1/);

    expect(jsonRun.code).toBe(0);
    expect(jsonRun.stdout).toBe("");
    const result = JSON.parse(await readFile(out, "utf8")) as { config: unknown; examples: { id: string; forgetEvents: number; correctness: number }[] };
    expect(result.config).toMatchObject({ learnedBy: "accuracy", tau: 1, epochs: 3, examples: 2 });
    // Forget events with --learned-by accuracy --tau 1: correctness 1 → 0 transitions.
    expect(result.examples.map((e) => [e.id, e.forgetEvents, e.correctness])).toEqual([
      ["x", 1, 2 / 3],
      ["y", 0, 1 / 3],
    ]);
    expect((await readdir(root)).filter((f) => f.includes(".tmp-"))).toEqual([]);

    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toBe(`gdc: ${bad}:3: loss: "inf" is not a finite number\n`);
    await expect(readFile(never)).rejects.toThrow();
  });
});

describe("gdc score (in-process)", () => {
  it("writes the exact CSV header and one row per example in input order, summary on stderr", async () => {
    const { stdout, stderr } = await scoreInProcess(csv);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(HEADER);
    expect(lines).toHaveLength(4);
    expect(lines[2]!.endsWith(",AMBIGUOUS_HARD")).toBe(true);
    expect(stderr).toContain("scored 3 examples × 4 epochs");
    expect(stderr).toContain("(median of the loss matrix)");
    expect(stderr).toContain("thresholds (quantiles q_d = 0.5, q_m = 0.9)");
  });

  it("honours --epsilon, --early-epochs and the quantile flags", async () => {
    const { stdout, stderr } = await scoreInProcess(csv, { epsilon: "1.5", earlyEpochs: "2", qMemorization: "0" });
    expect(stdout.split("\n")[1]).toMatch(/^a,0\.55000000074505\d*,0,0,false,/);
    expect(stderr).toContain("ε = 1.5 (absolute)");
    expect(stderr).toContain("first 2 epoch(s)");
    expect(stderr).toContain("q_m = 0");
  });

  it("rejects bad flags with exit code 2 and a message naming the flag or file", async () => {
    const cases: [string[], RegExp][] = [
      [[csv, "--tau", "0.5"], /^--tau: applies only with --learned-by accuracy$/],
      [[csv, "--epsilon", "abc"], /^--epsilon: "abc" is not a number$/],
      [[csv, "--early-epochs", "9"], /^--early-epochs: must be an integer in \[1, 4\]/],
      [[csv, "--early-epochs", "1.5"], /^--early-epochs: "1.5" is not an integer$/],
      [[csv, "--learned-by", "vibes"], /^--learned-by: "vibes" is not one of loss, accuracy/],
      [[csv, "--format", "parquet"], /^--format: "parquet" is not one of cartography, jsonl, csv/],
      [[csv, "--output-format", "xml"], /^--output-format: "xml" is not one of csv, json/],
      [[csv, "--q-difficulty", "2"], /^--q-difficulty: must be in \[0, 1\], got 2$/],
      [[join(root, "absent.csv")], /absent\.csv: no such file or folder/],
      [[csv, "--format", "jsonl"], /dynamics\.csv:1: invalid JSON/],
    ];
    for (const [args, message] of cases) {
      const error = await cliError(args);
      expect(error.exitCode).toBe(2);
      expect(error.message, args.join(" ")).toMatch(message);
    }
  });
});
