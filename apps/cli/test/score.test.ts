import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, runScore, type ScoreCommandOptions } from "../src/commands/score.ts";
import { CliError } from "../src/errors.ts";
import { gdc } from "./run-gdc.ts";

const HEADER =
  "id,difficulty,memorization,forget_frequency,loss_drop,relative_loss_drop,excess_loss_drop,accuracy_gain,mean_loss,forget_events,never_learned,confidence,variability,correctness,quadrant";
/** The CSV's 0.1, as the readers store losses (float32). */
const F = Math.fround(0.1);

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
  // Accuracies are all 0 or 1, so learnedBy "auto" learns by accuracy (τ = 1: correct), and
  // with loss < ε = median 0.55 it would be the same: a: correct, wrong, correct, wrong (one
  // forget event, at epoch 2); b: never correct; c: always. T = 4, so Te = Tl = 1.
  await writeFile(
    csv,
    "id,epoch,loss,accuracy\n" +
      ["a,0,1,0", "a,1,0.1,1", "a,2,1,0", "a,3,0.1,1", "b,0,2,0", "b,1,2,0", "b,2,2,0", "b,3,2,0", "c,0,0.1,1", "c,1,0.1,1", "c,2,0.1,1", "c,3,0.1,1"].join(
        "\n",
      ) +
      "\n",
  );
  cartography = join(root, "model");
  await mkdir(join(cartography, "training_dynamics"), { recursive: true });
  const trends: Record<string, number[][]> = {
    x: [
      [2, 0],
      [0, 2],
      [2, 0],
    ], // gold 0: correct, wrong, correct
    y: [
      [0, 2],
      [0, 2],
      [2, 0],
    ], // gold 0: wrong, wrong, correct
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
    // id, difficulty (first epoch's loss), memorization (= loss drop, the default signal), forget
    // frequency (1 of 3 transitions for a), loss drop (first − last loss), relative loss drop
    // (1 − last/first), accuracy gain (last − first accuracy), mean loss, forget events, never learned.
    // (excess loss drop, column 7, is checked below), accuracy gain, mean loss, forget events, never learned.
    const rows = lines.slice(1).map((l) => l.split(","));
    expect(rows.map((c) => [...c.slice(0, 6), ...c.slice(7, 11)].join(","))).toEqual([
      `a,1,${1 - F},${1 / 3},${1 - F},${1 - F / 1},1,${(1 + F + 1 + F) / 4},1,false`,
      "b,2,0,0,0,0,0,2,0,true",
      `c,${F},0,0,0,0,0,${(F + F + F + F) / 4},0,false`,
    ]);
    // Excess loss drop: x = ln(early + δ) = ln 1, ln 2, ln F; y = ln(late + δ) = ln F, ln 2, ln F.
    // c and b lie on y = x; a ended far below it. Least squares over the three points:
    const x = [1, 2, F].map((l) => Math.log(l + 1e-6));
    const y = [F, 2, F].map((l) => Math.log(l + 1e-6));
    const mx = (x[0]! + x[1]! + x[2]!) / 3;
    const my = (y[0]! + y[1]! + y[2]!) / 3;
    const slope = x.reduce((acc, xi, i) => acc + (xi - mx) * (y[i]! - my), 0) / x.reduce((acc, xi) => acc + (xi - mx) ** 2, 0);
    expect(rows.map((c) => Number(c[6]))).toEqual(x.map((xi, i) => expect.closeTo(my + slope * (xi - mx) - y[i]!, 9)));
    expect(Number(rows[0]![6])).toBeGreaterThan(Number(rows[2]![6]));
    // θd = 1 (the lower median of 0.1, 1, 2) and θm = the lower 0.9-quantile of 0.9, 0, 0, i.e.
    // a's own loss drop: high means strictly above, so only b is high (difficulty), nothing memorized.
    expect(csvRun.stderr).toMatch(/STABLE_EASY 2, AMBIGUOUS_HARD 1, HOTSPOT_MEMORIZED 0, NOISY_OUTLIER 0; never learned 1/);
    expect(csvRun.stderr).toContain("learned ⇔ correct (every accuracy is 0 or 1: classifier input)");
    expect(csvRun.stderr).toContain("memorization = lossDrop (loss drop: mean loss of the first 1 epoch(s) − of the last 1, in nats)");

    expect(jsonRun.code).toBe(0);
    expect(jsonRun.stdout).toBe("");
    const result = JSON.parse(await readFile(out, "utf8")) as {
      config: unknown;
      examples: {
        id: string;
        forgetEvents: number;
        correctness: number;
        memorization: number;
        lossDrop: number;
        accuracyGain: number;
        forgetFrequency: number;
      }[];
    };
    expect(result.config).toMatchObject({
      learnedBy: "accuracy",
      learnedBySource: "configured",
      memorizationSignal: "lossDrop",
      tau: 1,
      epochs: 3,
      earlyEpochs: 1,
      lateEpochs: 1,
      examples: 2,
    });
    // Forget events with --learned-by accuracy --tau 1: correctness 1 → 0 transitions.
    expect(result.examples.map((e) => [e.id, e.forgetEvents, e.forgetFrequency, e.correctness, e.accuracyGain])).toEqual([
      ["x", 1, 1 / 2, 2 / 3, 0],
      ["y", 0, 0, 1 / 3, 1],
    ]);
    // Loss drop: x ends where it started (logits [2,0] at epochs 0 and 2); y goes from logits
    // [0,2] to [2,0] for gold 0: log(1 + e²) − log(1 + e⁻²) = 2 nats. memorization is the loss drop.
    expect(result.examples[0]!.lossDrop).toBeCloseTo(0, 6);
    expect(result.examples[1]!.lossDrop).toBeCloseTo(2, 5);
    for (const e of result.examples) expect(e.memorization).toBe(e.lossDrop);
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
    expect(stderr).toContain("learned ⇔ correct (every accuracy is 0 or 1: classifier input)");
    expect(stderr).toContain("thresholds (quantiles q_d = 0.5, q_m = 0.9)");
  });

  it("--learned-by loss uses the median ε; --memorization-signal forgetFrequency gives the paper's memorization", async () => {
    const { stdout, stderr } = await scoreInProcess(csv, { learnedBy: "loss", memorizationSignal: "forgetFrequency" });
    // Same forget events as by accuracy here (loss < 0.55 ⇔ correct), so a's memorization is 1/3.
    expect(
      stdout
        .split("\n")
        .slice(1, 4)
        .map((l) => l.split(",").slice(0, 4).join(",")),
    ).toEqual([`a,1,${1 / 3},${1 / 3}`, "b,2,0,0", `c,${F},0,0`]);
    expect(stderr).toContain(`learned ⇔ loss < ε = ${(1 + F) / 2} (median of the loss matrix)`);
    expect(stderr).toContain("memorization = forgetFrequency (forget frequency: forget events / (T − 1), the paper's memorization)");
    expect(stderr).toContain("memorization > 0.3333333333333333");
  });

  it("--late-epochs sets Tl: the late window of the loss drop", async () => {
    // Te = 1, Tl = 2: a's late loss is the mean of 1 and 0.1; b and c are flat.
    const { stdout, stderr } = await scoreInProcess(csv, { lateEpochs: "2" });
    expect(stdout.split("\n")[1]!.split(",").slice(0, 5)).toEqual(["a", "1", String(1 - (1 + F) / 2), String(1 / 3), String(1 - (1 + F) / 2)]);
    expect(stderr).toContain("mean loss of the first 1 epoch(s) − of the last 2");
  });

  it("honours --epsilon, --early-epochs and the quantile flags", async () => {
    const { stdout, stderr } = await scoreInProcess(csv, { epsilon: "1.5", earlyEpochs: "2", qMemorization: "0" });
    // An ε means learned by loss: every loss of a is < 1.5, so no forget event. Te = Tl = 2:
    // difficulty (1 + 0.1) / 2, and the first two epochs equal the last two, so every drop and gain is 0.
    // The excess drop is 0 up to rounding: every example lies on y = x, the least-squares line.
    expect(stdout.split("\n")[1]).toMatch(/^a,0\.55000000074505\d*,0,0,0,0,[-\de.]+,0,0\.55000000074505\d*,0,false,/);
    expect(Math.abs(Number(stdout.split("\n")[1]!.split(",")[6]))).toBeLessThan(1e-12);
    expect(stderr).toContain("ε = 1.5 (absolute)");
    expect(stderr).toContain("first 2 epoch(s)");
    expect(stderr).toContain("q_m = 0");
  });

  it("rejects bad flags with exit code 2 and a message naming the flag or file", async () => {
    const cases: [string[], RegExp][] = [
      [[csv, "--learned-by", "loss", "--tau", "0.5"], /^--tau: applies only with --learned-by accuracy$/],
      // "auto" with an ε learns by loss: a τ beside it is a mistake.
      [[csv, "--epsilon", "1", "--tau", "0.5"], /^--tau: applies only with --learned-by accuracy$/],
      [
        [csv, "--memorization-signal", "loudness"],
        /^--memorization-signal: "loudness" is not one of lossDrop, relativeLossDrop, excessLossDrop, accuracyGain, meanLoss, forgetFrequency$/,
      ],
      [[csv, "--late-epochs", "9"], /^--late-epochs: must be an integer in \[1, 4\]/],
      [[csv, "--late-epochs", "2.5"], /^--late-epochs: "2.5" is not an integer$/],
      [[csv, "--epsilon", "abc"], /^--epsilon: "abc" is not a number$/],
      [[csv, "--early-epochs", "9"], /^--early-epochs: must be an integer in \[1, 4\]/],
      [[csv, "--early-epochs", "1.5"], /^--early-epochs: "1.5" is not an integer$/],
      [[csv, "--learned-by", "vibes"], /^--learned-by: "vibes" is not one of auto, loss, accuracy/],
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
