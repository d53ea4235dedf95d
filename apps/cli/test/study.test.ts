import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { afterAll, beforeAll, expect, it } from "vitest";
import { register, runStudyCommand, type StudyCommandOptions } from "../src/commands/study.ts";
import { CliError } from "../src/errors.ts";
import { gdc } from "./run-gdc.ts";

const POLICIES = ["baseline", "gdc-prune-memorization", "gdc-downweight-hotspots", "gdc-prune-forget-frequency", "random-prune", "loss-prune", "dedup-exact"];
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gdc-study-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function cliError(args: string[]): Promise<CliError> {
  const program = new Command().exitOverride();
  register(program);
  const error = await program.parseAsync(["node", "gdc", "study", ...args]).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error, args.join(" ")).toBeInstanceOf(CliError);
  return error as CliError;
}

it("gdc study --quick on the bundled corpus prints the table and writes the report files", async () => {
  const out = join(root, "bundled");
  const result = await gdc(["study", "--quick", "--seeds", "1", "--epochs", "2", "--passages", "100", "--references", "50", "--out", out]);
  expect(result.stderr).toContain("wrote report.json");
  expect(result.code).toBe(0);
  for (const name of POLICIES) expect(result.stdout).toContain(name);
  expect(result.stdout).toMatch(/The paper's claim .* (HELD|did NOT hold|could not be tested) here/);
  const files = (await readdir(out)).sort();
  expect(files).toEqual([
    "data-map.svg",
    "exposure-by-repetitions.svg",
    "exposure-vs-perplexity.svg",
    "extraction-by-repetitions.svg",
    "extraction-vs-perplexity.svg",
    "report.json",
    "report.md",
  ]);
  const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
  expect(report.config.seeds).toEqual([1]);
  expect(report.config.training.epochs).toBe(2);
  expect(report.config.corpus.source).toContain("Moby-Dick");
  // --quick: 6 canaries, each in its own sentence frame.
  expect(report.config.canaries).toMatchObject({ canaries: 6, frames: 6, repetitions: [1, 4, 16] });
  expect(report.signals.rows.length).toBeGreaterThanOrEqual(7);
  expect(report.summary).toHaveProperty("extractionRatio");
  expect(report.summary).toHaveProperty("perplexityIncrease");
  expect(await readFile(join(out, "report.md"), "utf8")).toContain("![Scatter of");
  expect(await readFile(join(out, "data-map.svg"), "utf8")).toMatch(/^<svg/);
}, 120_000);

it("runs on a JSONL corpus with its own canaries and scoring flags", async () => {
  const lines = [
    ...Array.from({ length: 60 }, (_, i) => JSON.stringify({ id: `p${i}`, text: `the whale swam past the ship at dawn, number ${i}` })),
    ...Array.from({ length: 8 }, (_, i) => JSON.stringify({ id: `v${i}`, text: `a cold wind blew from the north ${i}`, split: "validation" })),
    JSON.stringify({ id: "c", text: "my pin is 424242", canary: { prefix: "my pin is ", secret: "424242", repetitions: 4 } }),
  ];
  const corpus = join(root, "corpus.jsonl");
  await writeFile(corpus, lines.join("\n") + "\n");
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let table = "";
  stdout.on("data", (d: Buffer) => (table += d.toString()));
  const options: StudyCommandOptions = {
    quick: true,
    seeds: "3",
    epochs: "2",
    references: "20",
    out: join(root, "custom"),
    forgetEvents: "presentation",
    prune: "20",
    memorizationSignal: "forgetFrequency",
    equalSteps: false,
  };
  const report = await runStudyCommand(corpus, options, { stdout, stderr });
  expect(report.config.corpus).toMatchObject({ source: "corpus.jsonl", trainPassages: 60, validationPassages: 8, canaryCopies: 4 });
  expect(report.config.canaries.canaries).toBe(1);
  expect(report.scoring[0]!.forgetEventsOver).toBe("presentation");
  expect(report.scoring[0]!.config.memorizationSignal).toBe("forgetFrequency");
  // No equal-steps retrains asked for.
  expect(report.policies.every((p) => p.equalSteps === null)).toBe(true);
  expect(report.policies.find((p) => p.name === "random-prune")!.perSeed[0]!.pruned).toBe(12);
  expect(table).toContain("gdc-prune-memorization");
}, 60_000);

it("reports bad flags and files as user errors", async () => {
  expect((await cliError(["--seeds", "1,x"])).message).toMatch(/^--seeds: "x" is not/);
  expect((await cliError(["--seeds", "1,1"])).message).toMatch(/distinct/);
  expect((await cliError(["--prune", "120"])).message).toMatch(/^--prune: "120" is not a percentage/);
  expect((await cliError(["--downweight", "1"])).message).toMatch(/^--downweight/);
  expect((await cliError(["--forget-events", "batch"])).message).toMatch(/^--forget-events/);
  expect((await cliError(["--corpus", "bible"])).message).toMatch(/^--corpus: "bible" is not one of moby-dick, sotu/);
  expect((await cliError(["--memorization-signal", "vibes"])).message).toMatch(/^--memorization-signal: "vibes" is not one of lossDrop/);
  expect((await cliError(["--canaries-per-level", "6"])).message).toMatch(/30 canaries need at least 30 frames/);
  expect((await cliError(["--epsilon", "0.5", "--learned-by", "accuracy"])).message).toMatch(/^--epsilon: applies only/);
  expect((await cliError(["--training", "{oops"])).message).toMatch(/^--training: not valid JSON/);
  expect((await cliError(["--training", '{"seed": 3}'])).message).toMatch(/^--training: .*"seed"/);
  expect((await cliError([join(root, "missing.jsonl")])).message).toMatch(/missing\.jsonl: no such file/);
  const bad = join(root, "bad.jsonl");
  await writeFile(bad, '{"text": "a"}\n{"text": 5}\n');
  expect((await cliError([bad])).message).toMatch(/bad\.jsonl:2: text: must be a non-empty string/);
  expect((await cliError([bad, "--passages", "10"])).message).toMatch(/^--passages: applies only/);
  expect((await cliError([bad, "--corpus", "sotu"])).message).toMatch(/^--corpus: names a bundled corpus/);
});
