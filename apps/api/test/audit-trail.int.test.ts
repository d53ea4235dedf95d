import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { seedDataset } from "@gdc/db/testing";
import { gdc } from "../../cli/test/run-gdc.ts";
import { GQL, startGovernanceHarness, type GovernanceHarness } from "./governance-harness.ts";

let h: GovernanceHarness;
beforeAll(async () => {
  h = await startGovernanceHarness();
});
afterAll(async () => h?.close());

const EVENTS = `query ($first: Int, $after: String, $targetId: String) { auditEvents(first: $first, after: $after, targetId: $targetId) { edges { cursor node { seq action actorLabel targetType targetId before after prevHash hash } } nodes { seq } pageInfo { hasNextPage endCursor } } }`;
const VERIFY = `{ verifyAuditChain { ok checked headHash firstBrokenSeq reason } }`;

describe("the audit trail through the API", () => {
  test("every mutation writes one event, in the same transaction; pages go newest first by seq", async () => {
    const { version } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 3 });
    const before = await h.auditCount();
    const { createDraftVersion: draft } = await h.ok(h.users.ENGINEER.token, GQL.createDraft, { parent: version.id });
    await h.ok(h.users.ENGINEER.token, GQL.importExamples, { versionId: draft.id, examples: [{ text: "one more" }] });
    const failed = await h.gql(h.users.ENGINEER.token, GQL.importExamples, { versionId: draft.id, examples: [{ text: "fine" }, { text: "" }] });
    expect(failed.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "examples[1].text" });
    expect(await h.auditCount()).toBe(before + 2);

    const page1 = (await h.ok(h.users.VIEWER.token, EVENTS, { first: 1, targetId: draft.id })).auditEvents;
    expect(page1.edges).toHaveLength(1);
    expect(page1.edges[0].node).toMatchObject({
      action: "examples.import",
      actorLabel: h.users.ENGINEER.actor.label,
      targetType: "DatasetVersion",
      after: { created: 1 },
    });
    // A Relay connection: each edge's cursor is its event's seq, the page's endCursor the last edge's cursor, nodes the edges' nodes.
    expect(page1.edges[0].cursor).toBe(page1.edges[0].node.seq);
    expect(page1.nodes).toEqual([{ seq: page1.edges[0].node.seq }]);
    expect(page1.pageInfo).toEqual({ hasNextPage: true, endCursor: page1.edges[0].cursor });
    const page2 = (await h.ok(h.users.VIEWER.token, EVENTS, { first: 1, after: page1.pageInfo.endCursor, targetId: draft.id })).auditEvents;
    expect(page2.edges[0].node).toMatchObject({ action: "version.createDraft" });
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect(BigInt(page2.edges[0].node.seq)).toBeLessThan(BigInt(page1.edges[0].node.seq));
  });

  test("an altered audit row is named by the verifyAuditChain query and by `gdc audit verify` (exit 1)", async () => {
    const env = { GDC_API_URL: h.api.url, GDC_TOKEN: h.users.VIEWER.token };
    const intact = (await h.ok(h.users.VIEWER.token, VERIFY)).verifyAuditChain;
    expect(intact).toMatchObject({ ok: true, checked: await h.auditCount(), firstBrokenSeq: null });
    const good = await gdc(["audit", "verify"], env);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(new RegExp(`audit chain ok: ${intact.checked} events, head ${intact.headHash}`));

    // Someone with superuser rights bypasses the append-only trigger and edits history.
    const rows = await h.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } });
    const victim = rows[Math.floor(rows.length / 2)]!;
    await h.db.sql(`ALTER TABLE audit_events DISABLE TRIGGER USER`);
    await h.db.sql(`UPDATE audit_events SET actor_label = 'user:someone-else@example.test' WHERE seq = $1`, [victim.seq.toString()]);
    await h.db.sql(`ALTER TABLE audit_events ENABLE TRIGGER USER`);

    const broken = (await h.ok(h.users.VIEWER.token, VERIFY)).verifyAuditChain;
    expect(broken).toMatchObject({ ok: false, firstBrokenSeq: victim.seq.toString(), reason: expect.stringMatching(/altered/) });
    const bad = await gdc(["audit", "verify"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`audit chain broken at event seq ${victim.seq}: content does not match its hash`));

    // The trigger is back: the trail cannot be edited (or repaired) in place.
    await expect(h.db.sql(`UPDATE audit_events SET actor_label = $2 WHERE seq = $1`, [victim.seq.toString(), victim.actorLabel])).rejects.toThrow(
      /append-only/,
    );
  });
});
