// Export fidelity (issue 14): `gdc export` keeps each example's payload (and weight), and
// `gdc import-examples` reads the export back as the same examples: same keys, content hashes,
// payloads, splits and weights, so the re-released copy has the same content hash.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createDataset, importExamples, releaseVersion } from "@gdc/db";
import { startGovernanceHarness, type GovernanceHarness } from "../../api/test/governance-harness.ts";
import { gdc } from "./run-gdc.ts";

let h: GovernanceHarness;
let dir: string;
beforeAll(async () => {
  h = await startGovernanceHarness();
  dir = mkdtempSync(path.join(tmpdir(), "gdc-roundtrip-"));
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const members = (versionId: string) =>
  h.db.sql<{ key: string; content_hash: string; payload: unknown; split: string; weight: number }>(
    `SELECT e.key, e.content_hash, e.payload, e.split::text AS split, ve.weight FROM version_examples ve JOIN examples e ON e.id = ve.example_id
      WHERE ve.version_id = $1 ORDER BY e.key`,
    [versionId],
  );

test("export → import: the payload survives, and the copy releases with the same content hash", async () => {
  const engineer = h.users.ENGINEER.actor;
  const source = await createDataset(h.db, engineer, { name: "roundtrip-source" });
  const v1 = source.versions[0]!;
  await importExamples(h.db, engineer, {
    versionId: v1.id,
    records: [
      { id: "q-1", text: "What is 2 + 2?", payload: { question: "What is 2 + 2?", answer: "4", meta: { source: "arith", tags: ["easy", "math"] } } },
      { id: "q-2", text: "plain text, no payload" },
      { id: "q-3", text: "held out", split: "validation", payload: { label: 1 } },
      { id: "q-4", text: "down-weighted", weight: 0.25, payload: { unicode: "naïve — ✓" } },
    ],
  });
  const released = await releaseVersion(h.db, engineer, { versionId: v1.id });

  const out = path.join(dir, "export.jsonl");
  const exported = await gdc(["export", "--version", v1.id, "--out", out], { GDC_API_URL: h.api.url, GDC_TOKEN: h.users.VIEWER.token });
  expect(exported.code).toBe(0);
  const rows = readFileSync(out, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const row of rows) expect(Object.keys(row)).toEqual(["id", "text", "payload", "weight", "split"]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  expect(byId.get("q-1")!.payload).toEqual({ question: "What is 2 + 2?", answer: "4", meta: { source: "arith", tags: ["easy", "math"] } });
  expect(byId.get("q-2")!.payload).toBeNull();
  expect(byId.get("q-4")).toMatchObject({ weight: 0.25, payload: { unicode: "naïve — ✓" } });

  const copy = await createDataset(h.db, engineer, { name: "roundtrip-copy" });
  const imported = await gdc(["import-examples", out, "--version", copy.versions[0]!.id], { GDC_API_URL: h.api.url, GDC_TOKEN: h.users.ENGINEER.token });
  expect(imported.stderr + imported.stdout).not.toMatch(/error/i);
  expect(imported.code).toBe(0);
  expect(await members(copy.versions[0]!.id)).toEqual(await members(v1.id));
  const copyRelease = await releaseVersion(h.db, engineer, { versionId: copy.versions[0]!.id });
  expect(copyRelease.contentHash).toBe(released.contentHash);
});

test("gdc create-dataset says what it creates: the dataset and its empty draft version 1", async () => {
  const env = { GDC_API_URL: h.api.url, GDC_TOKEN: h.users.ENGINEER.token };
  const created = await gdc(["create-dataset", "said-what-it-made", "--description", "d"], env);
  expect(created.code).toBe(0);
  const [draft] = await h.db.sql<{ id: string; number: number; status: string }>(
    `SELECT v.id, v.number, v.status::text AS status FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.name = 'said-what-it-made'`,
  );
  expect(draft).toMatchObject({ number: 1, status: "DRAFT" });
  expect(created.stdout).toMatch(
    new RegExp(
      `^created dataset "said-what-it-made" \\(.+\\) with draft version 1 \\(${draft!.id}\\), empty\\nnext: gdc import-examples <file> --version ${draft!.id}\\n$`,
    ),
  );
  const json = await gdc(["create-dataset", "said-it-as-json", "--json"], env);
  expect(JSON.parse(json.stdout)).toMatchObject({ dataset: { name: "said-it-as-json" }, version: { number: 1, status: "DRAFT" } });
  const refused = await gdc(["create-dataset", "viewer-may-not"], { ...env, GDC_TOKEN: h.users.VIEWER.token });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/FORBIDDEN/);
});
