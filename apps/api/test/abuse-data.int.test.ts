// The abuse suite for stored data (issue 13 F8): released content cannot be changed with SQL,
// and what /export serves is checked against the release hash, against the real HTTP server
// and PostgreSQL (the test database connects as a superuser, as the probe did).
import http from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { exampleContentHash, exportVersion } from "@gdc/db";
import { seedDataset } from "@gdc/db/testing";
import { GQL, startGovernanceHarness, type GovernanceHarness } from "./governance-harness.ts";

let h: GovernanceHarness;
beforeAll(async () => {
  h = await startGovernanceHarness();
});
afterAll(async () => h?.close());

/**
 * A released version 2 of a dataset whose examples carry payloads: one example pruned and one
 * down-weighted by reviewed interventions; the release, the intervention and review ids.
 */
async function released(examples = 6) {
  const records = Array.from({ length: examples }, (_, i) => ({
    id: `ex-${i}`,
    text: `released text ${i}`,
    payload: { source: "probe", n: i, tags: ["b", "a"] },
  }));
  const { version: v1 } = await seedDataset(h.db, h.users.ENGINEER.actor, { records });
  const { createDraftVersion: v2 } = await h.ok(h.users.ENGINEER.token, GQL.createDraft, { parent: v1.id });
  const members = await h.db.prisma.versionExample.findMany({ where: { versionId: v2.id }, include: { example: true }, orderBy: { example: { key: "asc" } } });
  const { proposeInterventions: prune } = await h.ok(h.users.ENGINEER.token, GQL.propose, {
    input: { versionId: v2.id, exampleIds: [members[0]!.exampleId], action: "PRUNE", reason: "memorized" },
  });
  const { proposeInterventions: down } = await h.ok(h.users.ENGINEER.token, GQL.propose, {
    input: { versionId: v2.id, exampleIds: [members[1]!.exampleId], action: "DOWNWEIGHT", weight: 0.3, reason: "noisy" },
  });
  const interventionIds = [prune.interventions[0].id as string, down.interventions[0].id as string];
  for (const interventionId of interventionIds)
    await h.ok(h.users.REVIEWER.token, GQL.review, { input: { interventionId, decision: "APPROVE", reason: "agreed" } });
  const { releaseVersion: release } = await h.ok(h.users.ENGINEER.token, GQL.release, { input: { versionId: v2.id } });
  const reviews = await h.db.prisma.review.findMany({ where: { interventionId: { in: interventionIds } } });
  const kept = members.slice(1).map((m) => m.example);
  return { v1, v2, release, interventionIds, reviewIds: reviews.map((r) => r.id), kept };
}

async function download(versionId: string) {
  const base = h.api.url.replace(/\/graphql$/, "");
  const response = await fetch(`${base}/export/versions/${versionId}.jsonl`, { headers: { authorization: `Bearer ${h.users.VIEWER.token}` } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Runs `sql` as the superuser with the named trigger disabled for the statement (and re-enabled). */
async function withoutTrigger(table: string, trigger: string, sql: string, params: unknown[]) {
  await h.db.sql(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
  try {
    await h.db.sql(sql, params);
  } finally {
    await h.db.sql(`ALTER TABLE ${table} ENABLE TRIGGER ${trigger}`);
  }
}

describe("F8: frozen means frozen, even for SQL", () => {
  test("UPDATE or DELETE of a released version's example, intervention, review or release is refused naming the rule", async () => {
    const { v2, release, interventionIds, reviewIds, kept } = await released();
    const exampleId = kept[0]!.id;
    const attempts: [string, unknown[], RegExp][] = [
      [
        `UPDATE examples SET text = 'TAMPERED' WHERE id = $1::uuid`,
        [exampleId],
        /example .* belongs to released dataset version .* \(UPDATE refused: released content is frozen\)/,
      ],
      [`UPDATE examples SET payload = '{"x":1}' WHERE id = $1::uuid`, [exampleId], /released content is frozen/],
      [`DELETE FROM examples WHERE id = $1::uuid`, [exampleId], /\(DELETE refused: released content is frozen\)/],
      [
        `UPDATE interventions SET status = 'PROPOSED' WHERE id = $1::uuid`,
        [interventionIds[0]],
        /intervention .* belongs to released dataset version .* \(UPDATE refused/,
      ],
      [`DELETE FROM interventions WHERE id = $1::uuid`, [interventionIds[1]], /intervention .* \(DELETE refused: released content is frozen\)/],
      [`UPDATE reviews SET reason = 'forged' WHERE id = $1::uuid`, [reviewIds[0]], /review .* belongs to released dataset version .* \(UPDATE refused/],
      [`DELETE FROM reviews WHERE id = $1::uuid`, [reviewIds[1]], /review .* \(DELETE refused/],
      [
        `UPDATE releases SET content_hash = 'forged' WHERE id = $1::uuid`,
        [release.id],
        /release .* can no longer change \(UPDATE refused: releases are immutable\)/,
      ],
      [`DELETE FROM releases WHERE id = $1::uuid`, [release.id], /releases are immutable/],
    ];
    for (const [sql, params, rule] of attempts) await expect(h.db.sql(sql, params), sql).rejects.toThrow(rule);
    // Nothing changed.
    expect((await h.db.prisma.example.findUniqueOrThrow({ where: { id: exampleId } })).text).toBe(kept[0]!.text);
    expect((await h.db.prisma.intervention.findMany({ where: { id: { in: interventionIds } } })).map((i) => i.status)).toEqual(["APPLIED", "APPLIED"]);
    expect(await h.db.prisma.review.count({ where: { id: { in: reviewIds } } })).toBe(2);
    expect((await h.db.prisma.release.findUniqueOrThrow({ where: { id: release.id } })).contentHash).toBe(release.contentHash);
    expect(v2.id).toBe(release.version.id);
  });

  test("normal work goes on: a new draft of the released version, and its own interventions can still be reviewed and released", async () => {
    const { v2, kept } = await released();
    const { createDraftVersion: v3 } = await h.ok(h.users.ENGINEER.token, GQL.createDraft, { parent: v2.id });
    expect(v3.exampleCount).toBe(kept.length);
    const { proposeInterventions } = await h.ok(h.users.ENGINEER.token, GQL.propose, {
      input: { versionId: v3.id, exampleIds: [kept[0]!.id], action: "PRUNE", reason: "again" },
    });
    const interventionId = proposeInterventions.interventions[0].id as string;
    await h.ok(h.users.REVIEWER.token, GQL.review, { input: { interventionId, decision: "APPROVE", reason: "agreed" } });
    const { releaseVersion } = await h.ok(h.users.ENGINEER.token, GQL.release, { input: { versionId: v3.id } });
    expect(releaseVersion.version.status).toBe("RELEASED");
    expect(releaseVersion.lineage.removed).toBe(1);
    // The example pruned from v3 is still a member of released v2: still frozen.
    await expect(h.db.sql(`UPDATE examples SET text = 'x' WHERE id = $1::uuid`, [kept[0]!.id])).rejects.toThrow(/released content is frozen/);
  });

  test("an honest export serves every member, with the release hash", async () => {
    const { v2, release, kept } = await released();
    const response = await download(v2.id);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-gdc-content-hash")).toBe(release.contentHash);
    const lines = response.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; weight: number });
    expect(lines.map((l) => l.id).sort()).toEqual(kept.map((e) => e.key).sort());
  });

  test("with the trigger disabled by a superuser and a text edited, /export refuses with 409 RELEASED_CONTENT_MISMATCH and serves no row", async () => {
    const { v2, kept } = await released();
    await withoutTrigger("examples", "examples_frozen", `UPDATE examples SET text = 'TAMPERED' WHERE id = $1::uuid`, [kept[2]!.id]);
    const response = await download(v2.id);
    expect(response.status).toBe(409);
    expect(response.text).not.toContain("TAMPERED");
    const body = JSON.parse(response.text) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe("CONFLICT");
    expect(body.errors[0]!.message).toMatch(new RegExp(`RELEASED_CONTENT_MISMATCH: .*released version ${v2.id}.*example ${kept[2]!.id} hashes to`));
  });

  test("text and stored content hash both rewritten consistently: the whole-version hash no longer matches, refused", async () => {
    const { v2, kept } = await released();
    // The forger recomputes the example hash too (sha256 of the canonical {payload,text}), so only the release hash can tell.
    const payload = { source: "probe", n: 3, tags: ["b", "a"] };
    const forged = exampleContentHash({ text: "FORGED", payload });
    expect(forged).not.toBe(kept[2]!.contentHash);
    await withoutTrigger("examples", "examples_frozen", `UPDATE examples SET text = 'FORGED', content_hash = $2 WHERE id = $1::uuid`, [kept[2]!.id, forged]);
    const response = await download(v2.id);
    expect(response.status).toBe(409);
    expect(response.text).toMatch(/RELEASED_CONTENT_MISMATCH: .*the rows hash to [0-9a-f]{64}, the release to/);
    expect(response.text).not.toContain("FORGED");
  });

  describe("over HTTP, an export longer than one page (5,000 rows)", () => {
    const ROWS = 5_003;
    /**
     * A released version of ROWS examples of ~6 kB each: the first page (30 MB) is far more than
     * the loopback socket buffers, so a client that stops reading holds the server inside it.
     */
    async function releasedLarge() {
      const pad = "x".repeat(6_000);
      const records = Array.from({ length: ROWS }, (_, i) => ({ id: `big-${i}`, text: `released text ${i} ${pad}` }));
      const { version } = await seedDataset(h.db, h.users.ENGINEER.actor, { records });
      const { releaseVersion: release } = await h.ok(h.users.ENGINEER.token, GQL.release, { input: { versionId: version.id } });
      // The export pages in example-id order: the last member is on the second page.
      const [last] = await h.db.sql<{ id: string }>(
        `SELECT example_id AS id FROM version_examples WHERE version_id = $1::uuid ORDER BY example_id DESC LIMIT 1`,
        [version.id],
      );
      return { version, release, lastId: last!.id };
    }
    /** GETs the export, reading nothing until `beforeReading` (after the headers) has run: the status, the lines read and how the body ended. */
    function exportOver(versionId: string, beforeReading: () => Promise<void>) {
      const url = new URL(`${h.api.url.replace(/\/graphql$/, "")}/export/versions/${versionId}.jsonl`);
      return new Promise<{ status: number; hash: string | null; lines: string[]; ended: "complete" | "cut off" }>((resolve, reject) => {
        const req = http.get(url, { headers: { authorization: `Bearer ${h.users.VIEWER.token}` } }, (res) => {
          res.pause();
          const chunks: Buffer[] = [];
          const finish = (ended: "complete" | "cut off") => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({
              status: res.statusCode!,
              hash: (res.headers["x-gdc-content-hash"] as string | undefined) ?? null,
              lines: text.split("\n").filter(Boolean),
              ended,
            });
          };
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => finish(res.complete ? "complete" : "cut off"));
          res.on("aborted", () => finish("cut off"));
          res.on("error", () => finish("cut off"));
          beforeReading().then(() => res.resume(), reject);
        });
        req.on("error", reject);
      });
    }

    test("content altered in SQL between pages (while the client reads the first): the response is cut off before the last page, the altered row never served", async () => {
      const { version, release, lastId } = await releasedLarge();
      const served = await exportOver(version.id, async () => {
        // The server has sent the headers and is blocked writing the first page; only then is the second page's row altered.
        await new Promise((r) => setTimeout(r, 1_000));
        await withoutTrigger("examples", "examples_frozen", `UPDATE examples SET text = 'TAMPERED' WHERE id = $1::uuid`, [lastId]);
      });
      expect(served.status).toBe(200);
      expect(served.hash).toBe(release.contentHash);
      expect(served.ended).toBe("cut off");
      expect(served.lines.length).toBeLessThan(ROWS);
      expect(served.lines.join("\n")).not.toContain("TAMPERED");
    }, 240_000);

    test("content altered in SQL before the request, on the second page: 200 with the headers, then cut off before the last page", async () => {
      const { version, lastId } = await releasedLarge();
      const forged = exampleContentHash({ text: "FORGED", payload: undefined });
      await withoutTrigger("examples", "examples_frozen", `UPDATE examples SET text = 'FORGED', content_hash = $2 WHERE id = $1::uuid`, [lastId, forged]);
      const served = await exportOver(version.id, async () => {});
      expect(served.status).toBe(200);
      expect(served.ended).toBe("cut off");
      expect(served.lines.length).toBeLessThan(ROWS);
      expect(served.lines.join("\n")).not.toContain("FORGED");
    }, 240_000);
  });

  test("a multi-page export with a tampered row is cut off before its last page (the client never sees a complete body)", async () => {
    const { v2, kept } = await released(8);
    const last = [...kept].sort((a, b) => (a.id < b.id ? -1 : 1)).at(-1)!;
    await withoutTrigger("examples", "examples_frozen", `UPDATE examples SET text = 'TAMPERED' WHERE id = $1::uuid`, [last.id]);
    const exported = await exportVersion(h.db, { versionId: v2.id, pageSize: 2 });
    const served: string[] = [];
    await expect(
      (async () => {
        for await (const row of exported.rows) served.push(row.text);
      })(),
    ).rejects.toThrow(/RELEASED_CONTENT_MISMATCH/);
    expect(served.length).toBeLessThan(kept.length);
    expect(served).not.toContain("TAMPERED");
  });
});
