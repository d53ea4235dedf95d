// `gdc scores`: a run's scores from the API's download route, as CSV (stdout or --out) or Arrow
// (format from --format or the --out extension), with progress on stderr, keyed by the user's
// example keys in import order; refusals exit non-zero with the server's message.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RUN_SCORES_FILE_COLUMNS } from "@gdc/db";
import { seedDataset } from "@gdc/db/testing";
import { seedScoredRun, startGovernanceHarness, type GovernanceHarness } from "../../api/test/governance-harness.ts";
import { gdc } from "./run-gdc.ts";

let h: GovernanceHarness;
let dir: string;
let runId: string;
let unscoredRunId: string;
/** Import order, not key order. */
const keys = ["z-first", "a-second", "m,third with a comma", "b-fourth", "y-fifth"];

beforeAll(async () => {
  h = await startGovernanceHarness();
  dir = mkdtempSync(path.join(tmpdir(), "gdc-scores-"));
  const { version } = await seedDataset(h.db, h.users.ENGINEER.actor, { records: keys.map((id, i) => ({ id, text: `text ${i}` })) });
  const examples = await h.db.sql<{ id: string; key: string }>(`SELECT id, key FROM examples WHERE dataset_id = $1 ORDER BY position`, [version.datasetId]);
  expect(examples.map((e) => e.key)).toEqual(keys);
  const run = await seedScoredRun(
    h.db,
    version.id,
    examples.map((e, i) => ({ exampleId: e.id, difficulty: 0.5 + i, memorization: i / 8, quadrant: i % 2 ? "HOTSPOT_MEMORIZED" : "STABLE_EASY" })),
  );
  runId = run.id;
  unscoredRunId = (await h.db.prisma.run.create({ data: { versionId: version.id, kind: "EXTERNAL", status: "RUNNING", epochs: 2 } })).id;
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const envOf = (token: string) => ({ GDC_API_URL: h.api.url, GDC_TOKEN: token });

describe("gdc scores", () => {
  test("CSV to stdout: header, the user's keys in import order, every score; signals the run did not store are empty", async () => {
    const result = await gdc(["scores", "--run", runId], envOf(h.users.VIEWER.token));
    expect(result.stderr).toContain("scores: 100% (5/5 rows)");
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trimEnd().split("\n");
    expect(header).toBe(RUN_SCORES_FILE_COLUMNS.join(","));
    expect(rows.map((r) => (r.startsWith('"') ? r.slice(1, r.indexOf('"', 1)) : r.split(",")[0]))).toEqual(keys);
    // difficulty 0.5 + i, memorization i / 8; loss_drop etc. were not stored by this fixture; forget_events round(3m).
    expect(rows[1]).toBe("a-second,1.5,0.125,,,,,,,0,false,0.5,0.1,0.5,HOTSPOT_MEMORIZED");
    expect(rows[2]!.startsWith('"m,third with a comma",2.5,0.25,')).toBe(true);
  });

  test("Arrow by the --out extension: the same rows, typed, written whole", async () => {
    const out = path.join(dir, "scores.arrow");
    const result = await gdc(["scores", "--run", runId, "--out", out], envOf(h.users.REVIEWER.token));
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`wrote the scores of 5 examples to ${out} (arrow)`);
    const table = tableFromIPC(readFileSync(out));
    expect(table.schema.fields.map((f) => f.name)).toEqual([...RUN_SCORES_FILE_COLUMNS]);
    expect(table.getChild("example_key")!.toArray()).toEqual(keys);
    expect(Array.from(table.getChild("difficulty")!.toArray() as Float32Array)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5]);
    expect(table.getChild("loss_drop")!.nullCount).toBe(5);
    expect(table.getChild("quadrant")!.get(1)).toBe("HOTSPOT_MEMORIZED");
    const csv = path.join(dir, "scores.data");
    expect((await gdc(["scores", "--run", runId, "--format", "csv", "--out", csv], envOf(h.users.ENGINEER.token))).code).toBe(0);
    expect(readFileSync(csv, "utf8").split("\n")[0]).toBe(RUN_SCORES_FILE_COLUMNS.join(","));
  });

  test("refusals exit non-zero naming the cause, and leave no file", async () => {
    const out = path.join(dir, "never.csv");
    const badFormat = await gdc(["scores", "--run", runId, "--format", "parquet", "--out", out], envOf(h.users.VIEWER.token));
    expect(badFormat.code).not.toBe(0);
    expect(badFormat.stderr).toContain('--format: must be one of csv, arrow, got "parquet"');
    const unscored = await gdc(["scores", "--run", unscoredRunId, "--out", out], envOf(h.users.VIEWER.token));
    expect(unscored.code).toBe(2);
    expect(unscored.stderr).toMatch(/has no scores yet.*\[NOT_FOUND\]/);
    const anonymous = await gdc(["scores", "--run", runId, "--out", out], { GDC_API_URL: h.api.url, GDC_TOKEN: "" });
    expect(anonymous.code).toBe(4);
    expect(anonymous.stderr).toContain("UNAUTHENTICATED");
    expect(existsSync(out)).toBe(false);
  });
});
