import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { seedDataset } from "@gdc/db/testing";
import { ApiClient } from "../src/api-client.ts";
import { CliError } from "../src/errors.ts";
import { importExamplesFile } from "../src/commands/import-examples.ts";
import { GQL, seedScoredRun, startGovernanceHarness, type GovernanceHarness } from "../../api/test/governance-harness.ts";
import { gdc } from "./run-gdc.ts";

let h: GovernanceHarness;
let dir: string;
beforeAll(async () => {
  h = await startGovernanceHarness();
  dir = mkdtempSync(path.join(tmpdir(), "gdc-cli-"));
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const envOf = (token: string) => ({ GDC_API_URL: h.api.url, GDC_TOKEN: token });
let files = 0;
const writeLines = (lines: string[]) => {
  const file = path.join(dir, `import-${++files}.jsonl`);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
};

/** Bad lines and the field their error must name. */
const badLine: fc.Arbitrary<{ text: string; field: string }> = fc.oneof(
  fc
    .oneof(fc.constantFrom("{", '{"text": "a"', "not json", '{"text": "a",}', "[1,2", "{'text': 'single quotes'}"), fc.string({ minLength: 1 }))
    .filter((s) => {
      if (!s.trim() || /[\r\n]/.test(s)) return false;
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    })
    .map((text) => ({ text, field: "record" })),
  fc.record({ id: fc.string({ minLength: 1, maxLength: 20 }) }).map((r) => ({ text: JSON.stringify(r), field: "text" })),
  fc.constant({ text: JSON.stringify({ text: "" }), field: "text" }),
  fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())).map((v) => ({ text: JSON.stringify({ text: v }), field: "text" })),
  fc.oneof(fc.integer(), fc.constant("dev"), fc.constant("TRAINING")).map((v) => ({ text: JSON.stringify({ text: "x", split: v }), field: "split" })),
  fc.integer().map((v) => ({ text: JSON.stringify({ id: v, text: "x" }), field: "id" })),
  fc.constant({ text: JSON.stringify({ text: "x", canary: { prefix: "my pin is " } }), field: "canary.secret" }),
  fc.constant({ text: JSON.stringify({ text: "x", payload: [1, 2] }), field: "payload" }),
  fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((k) => !["id", "text", "split", "canary", "payload", "weight", "__proto__"].includes(k))
    .map((k) => ({ text: JSON.stringify({ text: "x", [k]: 1 }), field: "record" })),
  fc.oneof(fc.integer(), fc.constant("just a string"), fc.constant(null), fc.constant([])).map((v) => ({ text: JSON.stringify(v), field: "record" })),
);

const goodLine = fc.nat({ max: 1_000_000 }).map((i) => JSON.stringify({ id: `good-${i}`, text: `a good example ${i}` }));

describe("gdc import-examples", () => {
  test("fuzzed bad files are rejected naming file:line: field, and write 0 rows", async () => {
    const { dataset, version } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 0 });
    const client = new ApiClient(h.api.url, h.users.ENGINEER.token);
    const auditBefore = await h.auditCount();
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(goodLine, { maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(), badLine), { minLength: 1, maxLength: 4 }),
        async (good, bad) => {
          const lines = [...good];
          for (const [at, line] of bad) lines.splice(at % (lines.length + 1), 0, line.text);
          const file = writeLines(lines);
          const first = lines.findIndex((l) => bad.some(([, b]) => b.text === l));
          const expectedField = bad.find(([, b]) => b.text === lines[first])![1].field;
          const error = await importExamplesFile(client, { file, versionId: version.id }).then(
            () => null,
            (err: unknown) => err,
          );
          expect(error).toBeInstanceOf(CliError);
          const firstMessage = (error as CliError).message.split("\n")[0]!;
          expect(firstMessage.startsWith(`${file}:${first + 1}: ${expectedField}`)).toBe(true);
          expect((error as CliError).message).toMatch(/nothing was imported$/);
        },
      ),
      { numRuns: 60 },
    );
    expect(await h.db.prisma.example.count({ where: { datasetId: dataset.id } })).toBe(0);
    expect(await h.auditCount()).toBe(auditBefore);
  });

  test("fuzzed bad records sent straight to the mutation are BAD_USER_INPUT and write 0 rows", async () => {
    const { dataset, version } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 0 });
    const auditBefore = await h.auditCount();
    const badRecord = fc.oneof(
      fc.constant({ text: "" }),
      fc.constant({ text: "x", id: "" }),
      fc.constant({ text: "x", canary: { prefix: "", secret: "1" } }),
      fc.constant({ text: "x", payload: [1] }),
      fc.constant({ text: 5 }),
      fc.constant({ text: "x", unknown: true }),
      fc.constant({ text: "x", split: "DEV" }),
      fc.constant({}),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constant({ text: "fine" }), { maxLength: 5 }), badRecord, async (good, bad) => {
        const response = await h.gql(h.users.ENGINEER.token, GQL.importExamples, { versionId: version.id, examples: [...good, bad] });
        expect(response.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      }),
      { numRuns: 30 },
    );
    expect(await h.db.prisma.example.count({ where: { datasetId: dataset.id } })).toBe(0);
    expect(await h.auditCount()).toBe(auditBefore);
  });

  test("the CLI: a bad file exits 2 naming the line and writes nothing; a good file imports in batches, idempotently", async () => {
    const { dataset, version } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 0 });
    const env = envOf(h.users.ENGINEER.token);
    const good = Array.from({ length: 2_500 }, (_, i) =>
      JSON.stringify({ id: `row-${i}`, text: `row number ${i}`, split: i % 10 === 0 ? "validation" : "train" }),
    );
    const bad = writeLines([...good.slice(0, 2_000), JSON.stringify({ id: "row-x", text: "" }), ...good.slice(2_000)]);
    const failed = await gdc(["import-examples", bad, "--version", version.id], env);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain(`${bad}:2001: text: must not be empty`);
    expect(await h.db.prisma.example.count({ where: { datasetId: dataset.id } })).toBe(0);

    const file = writeLines([...good, "", JSON.stringify({ id: "canary-1", text: "my pin is 123456", canary: { prefix: "my pin is ", secret: "123456" } })]);
    const first = await gdc(["import-examples", file, "--version", version.id, "--batch-size", "1000"], env);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/imported 2501 records .*: 2501 new examples, 0 already known, 2501 added/);
    const again = await gdc(["import-examples", file, "--version", version.id], env);
    expect(again.stderr).toMatch(/imported 2501 records .*: 0 new examples, 2501 already known, 0 added/);
    expect(await h.db.prisma.example.count({ where: { datasetId: dataset.id } })).toBe(2_501);
    const imports = await h.db.prisma.auditEvent.count({ where: { action: "examples.import", targetId: version.id } });
    expect(imports).toBe(3); // one audited call per batch; a re-run that changes nothing writes no event

    // Only the server knows that an id already names other content: the error names the line.
    const clash = writeLines([JSON.stringify({ id: "new-1", text: "new" }), JSON.stringify({ id: "row-5", text: "not row five" })]);
    const refused = await gdc(["import-examples", clash, "--version", version.id], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${clash}:2: id: "row-5" already names an example with different content`);
    expect(await h.db.prisma.example.count({ where: { datasetId: dataset.id } })).toBe(2_501);
  });
});

describe("curation from the command line", () => {
  test("review by ids: a batch the API refuses (four eyes on one) falls back to one call each, naming the failure; the rest are approved", async () => {
    const { version: v1 } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 6 });
    const examples = await h.db.prisma.example.findMany({ where: { memberships: { some: { versionId: v1.id } } }, orderBy: { key: "asc" } });
    const proposeBy = async (who: "ENGINEER" | "REVIEWER", ids: string[]) =>
      (await h.ok(h.users[who].token, GQL.propose, { input: { versionId: v1.id, exampleIds: ids, action: "PRUNE" } })).proposeInterventions.interventions.map(
        (i: { id: string }) => i.id,
      ) as string[];
    const others = await proposeBy(
      "ENGINEER",
      examples.slice(0, 5).map((e) => e.id),
    );
    const [own] = await proposeBy("REVIEWER", [examples[5]!.id]);
    const reviewed = await gdc(
      ["review", ...others.slice(0, 2), own!, ...others.slice(2), "--approve", "--reason", "memorized"],
      envOf(h.users.REVIEWER.token),
    );
    expect(reviewed.code).not.toBe(0);
    expect(reviewed.stdout).toContain("approved 5 interventions");
    expect(reviewed.stderr).toMatch(new RegExp(`1 reviews failed:\\n${own}: .*four eyes`, "i"));
    const statuses = await h.db.prisma.intervention.findMany({ where: { versionId: v1.id }, select: { id: true, status: true } });
    expect(Object.fromEntries(statuses.map((i) => [i.id, i.status]))).toEqual({
      ...Object.fromEntries(others.map((id) => [id, "APPROVED"])),
      [own!]: "PROPOSED",
    });

    // Refused in the batch, they were reviewed one call each; with nothing refused, one batch call does it.
    const events = async (id: string) =>
      (await h.db.prisma.auditEvent.findMany({ where: { targetId: id, action: "intervention.review" } })).map(
        (e) => (e.after as { batch?: number }).batch ?? null,
      );
    expect(await events(others[0]!)).toEqual([null]);
    const byOther = await gdc(["review", own!, "--reject", "--reason", "keep"], envOf(h.users.REVIEWER2.token));
    expect(byOther.code).toBe(0);
    expect(await events(own!)).toEqual([1]);
  });

  test("propose → review (four eyes) → release → export: JSONL without canaries, loadable as one table", async () => {
    const { dataset, version: v1 } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 30, canaries: 2 });
    const examples = await h.db.prisma.example.findMany({ where: { datasetId: dataset.id } });
    const run = await seedScoredRun(
      h.db,
      v1.id,
      examples.map((e, i) => ({ exampleId: e.id, memorization: e.isCanary ? 1 : (i % 10) / 10, difficulty: 1.5, quadrant: "HOTSPOT_MEMORIZED" as const })),
    );
    const { createDraftVersion: v2 } = await h.ok(h.users.ENGINEER.token, GQL.createDraft, { parent: v1.id });

    const proposed = await gdc(
      ["propose", "--version", v2.id, "--run", run.id, "--prune-top-memorization", "10", "--reason", "cli", "--json"],
      envOf(h.users.ENGINEER.token),
    );
    expect(proposed.code).toBe(0);
    expect(JSON.parse(proposed.stdout)).toMatchObject({ proposed: 3, skipped: 0 });
    const lasso = await gdc(
      [
        "propose",
        "--version",
        v2.id,
        "--examples",
        examples
          .filter((e) => !e.isCanary)
          .slice(0, 2)
          .map((e) => e.id)
          .join(","),
        "--action",
        "downweight",
        "--weight",
        "0.5",
      ],
      envOf(h.users.REVIEWER.token),
    );
    expect(lasso.stdout).toMatch(/proposed \d interventions/);

    // A queue is one version's: without --version nothing is reviewed. A role that may not
    // review is refused up front, with a non-zero exit, instead of "left for another reviewer".
    const unscoped = await gdc(["review", "--queue", "--approve", "--reason", "memorized"], envOf(h.users.REVIEWER.token));
    expect(unscoped.code).toBe(2);
    expect(unscoped.stderr).toMatch(/--queue: give --version <id>/);
    const byEngineer = await gdc(["review", "--queue", "--version", v2.id, "--approve", "--reason", "memorized"], envOf(h.users.ENGINEER.token));
    expect(byEngineer.code).toBe(2);
    expect(byEngineer.stderr).toMatch(/\(ENGINEER\) may not review interventions/);
    expect(await h.db.prisma.review.count({ where: { intervention: { versionId: v2.id } } })).toBe(0);

    // REVIEWER proposed the lasso: their queue run approves only the engineer's proposals.
    const reviewed = await gdc(["review", "--queue", "--version", v2.id, "--approve", "--reason", "memorized"], envOf(h.users.REVIEWER.token));
    expect(reviewed.code).toBe(0);
    expect(reviewed.stdout).toMatch(/approved 3 interventions \(\d+ in the queue left for another reviewer\)/);
    const rest = await gdc(["review", "--queue", "--version", v2.id, "--approve", "--reason", "ok"], envOf(h.users.REVIEWER2.token));
    expect(rest.stdout).toMatch(/approved [12] interventions/);

    const released = await gdc(["release", "--version", v2.id], envOf(h.users.ENGINEER.token));
    expect(released.code).toBe(0);
    expect(released.stdout).toMatch(/3 removed, [12] re-weighted; 2 canaries left out/);
    // The lineage run → parent → child (this run's v1 was never released: it says so).
    expect(released.stdout).toContain(`lineage: run ${run.id} on v1 (a draft then) → v1 → v2\n`);

    const out = path.join(dir, "export.jsonl");
    const exported = await gdc(["export", "--version", v2.id, "--out", out], envOf(h.users.VIEWER.token));
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain(`lineage: run ${run.id} (trained on ${v1.id}, a draft then) → parent ${v1.id} → ${v2.id}\n`);
    const lines = readFileSync(out, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(27);
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const [i, row] of rows.entries()) {
      expect(Object.keys(row)).toEqual(["id", "text", "payload", "weight", "split"]); // one schema for every line
      expect(lines[i]).toMatch(/"weight":\d+\.\d+/); // always a float, so `datasets` infers one column type
      expect(String(row.id)).not.toMatch(/^canary/);
    }
    expect(rows.filter((r) => r.weight === 0.5).length).toBeGreaterThan(0);

    const draftExport = await gdc(["export", "--version", v1.id], envOf(h.users.VIEWER.token));
    expect(draftExport.code).toBe(2);
    expect(draftExport.stderr).toMatch(/draft; only released versions are exported/);
    const anonymous = await gdc(["export", "--version", v2.id], { GDC_API_URL: h.api.url, GDC_TOKEN: "" });
    expect(anonymous.code).toBe(4);
  });
});
