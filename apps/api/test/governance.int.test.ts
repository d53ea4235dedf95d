import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { canonicalWeight, contentHashOf, type Quadrant } from "@gdc/db";
import { seedDataset } from "@gdc/db/testing";
import { GQL, membership, seedScoredRun, startGovernanceHarness, type GovernanceHarness } from "./governance-harness.ts";

let h: GovernanceHarness;
beforeAll(async () => {
  h = await startGovernanceHarness();
});
afterAll(async () => h?.close());

/** A dataset (20 examples ex-0…ex-19 + 3 canaries), a scored run on v1, and a draft v2 from v1. */
async function curationSetup() {
  const { dataset, version: v1 } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 20, canaries: 3 });
  const examples = await h.db.prisma.example.findMany({ where: { datasetId: dataset.id }, orderBy: { key: "asc" } });
  const byKey = Object.fromEntries(examples.map((e) => [e.key, e]));
  const scores = examples.map((e) => {
    const i = Number(e.key.split("-")[1]);
    const canary = e.isCanary;
    // canaries are the most memorized of all: a policy must still not spend its budget on them
    const memorization = canary ? 1 : i / 20;
    const difficulty = canary ? 3 : (i % 4) * 0.5;
    const quadrant: Quadrant =
      memorization > 0.25 ? (difficulty > 1 ? "HOTSPOT_MEMORIZED" : "NOISY_OUTLIER") : difficulty > 1 ? "AMBIGUOUS_HARD" : "STABLE_EASY";
    return { exampleId: e.id, memorization, difficulty, quadrant };
  });
  const run = await seedScoredRun(h.db, v1.id, scores, h.users.ENGINEER.user.id);
  const { createDraftVersion: v2 } = await h.ok(h.users.ENGINEER.token, GQL.createDraft, { parent: v1.id, note: "curation" });
  return { dataset, v1, v2, run, byKey };
}

describe("drafts", () => {
  test("a draft copies its parent's members and weights, gets the next number and one audit event", async () => {
    const { v1, v2 } = await curationSetup();
    expect(v2).toMatchObject({ number: 2, status: "DRAFT", parent: { id: v1.id }, exampleCount: 23, canaryCount: 3 });
    expect(await membership(h.db, v2.id)).toEqual(await membership(h.db, v1.id));
    const events = await h.db.prisma.auditEvent.findMany({ where: { targetId: v2.id } });
    expect(events.map((e) => e.action)).toEqual(["version.createDraft"]);
  });
});

describe("proposals", () => {
  test("a policy proposes from the run's scores with evidence, leaves canaries out, and a repeat skips what is open", async () => {
    const { v2, run } = await curationSetup();
    const before = await h.auditCount();
    const policy = { name: "pruneTopByMemorization", params: { percent: 20 } };
    const { proposeInterventions: first } = await h.ok(h.users.ENGINEER.token, GQL.propose, {
      input: { versionId: v2.id, runId: run.id, policy, reason: "top memorized" },
    });
    expect(first.proposed).toBe(4); // 20 % of the 20 non-canary examples
    expect(first.skipped).toBe(0);
    expect(first.interventions.map((i: any) => i.example.key).sort()).toEqual(["ex-16", "ex-17", "ex-18", "ex-19"]);
    const top = first.interventions.find((i: any) => i.example.key === "ex-19");
    expect(top).toMatchObject({ action: "PRUNE", weight: 0, status: "PROPOSED", policy, proposedBy: { id: h.users.ENGINEER.user.id } });
    // The fixture run's scoringResolved names no signal, as runs scored before the signals: its memorization is the forget frequency.
    expect(top.evidence).toMatchObject({
      runId: run.id,
      memorization: 0.95,
      memorizationSignal: "forgetFrequency",
      quadrant: "HOTSPOT_MEMORIZED",
      reason: "top memorized",
    });
    expect(top.evidence.thresholds).toMatchObject({ source: "absolute", memorization: 0.25 });
    expect(await h.auditCount()).toBe(before + 1);

    const { proposeInterventions: again } = await h.ok(h.users.ENGINEER.token, GQL.propose, { input: { versionId: v2.id, runId: run.id, policy } });
    expect(again).toMatchObject({ proposed: 0, skipped: 4 });
  });

  test("a selection needs an action, skips canaries and duplicates, and names a non-member by index", async () => {
    const { v2, run, byKey } = await curationSetup();
    const ids = [byKey["ex-1"]!.id, byKey["ex-2"]!.id, byKey["ex-2"]!.id, byKey["canary-0"]!.id];
    const noAction = await h.gql(h.users.REVIEWER.token, GQL.propose, { input: { versionId: v2.id, exampleIds: ids } });
    expect(noAction.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "action" });
    const badWeight = await h.gql(h.users.REVIEWER.token, GQL.propose, { input: { versionId: v2.id, exampleIds: ids, action: "DOWNWEIGHT", weight: 1 } });
    expect(badWeight.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "weight" });

    const other = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 1 });
    const stranger = (await h.db.prisma.example.findFirst({ where: { datasetId: other.dataset.id } }))!;
    const before = await h.auditCount();
    const notMember = await h.gql(h.users.REVIEWER.token, GQL.propose, { input: { versionId: v2.id, exampleIds: [...ids, stranger.id], action: "PRUNE" } });
    expect(notMember.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "exampleIds.4" });
    expect(await h.db.prisma.intervention.count({ where: { versionId: v2.id } })).toBe(0);
    expect(await h.auditCount()).toBe(before);

    const { proposeInterventions: r } = await h.ok(h.users.REVIEWER.token, GQL.propose, {
      input: { versionId: v2.id, runId: run.id, exampleIds: ids, action: "DOWNWEIGHT", weight: 0.5, reason: "lasso" },
    });
    expect(r).toMatchObject({ proposed: 2, skipped: 2 });
    expect(r.interventions[0]).toMatchObject({ action: "DOWNWEIGHT", weight: 0.5, policy: { name: "selection", action: "DOWNWEIGHT", weight: 0.5 } });
    expect(r.interventions[0].evidence).toMatchObject({ source: "selection", runId: run.id, reason: "lasso", quadrant: expect.any(String) });
  });

  test("bulk: thousands of proposals in one call and one audit event", async () => {
    const n = 3_000;
    const { dataset, version } = await seedDataset(h.db, h.users.ENGINEER.actor, {
      records: Array.from({ length: n }, (_, i) => ({ id: `bulk-${i}`, text: `bulk example ${i}` })),
    });
    const examples = await h.db.prisma.example.findMany({ where: { datasetId: dataset.id }, select: { id: true } });
    const run = await seedScoredRun(
      h.db,
      version.id,
      examples.map((e, i) => ({ exampleId: e.id, memorization: (i % 10) / 10, difficulty: 2, quadrant: i % 10 > 2 ? "HOTSPOT_MEMORIZED" : "AMBIGUOUS_HARD" })),
    );
    const before = await h.auditCount();
    const { proposeInterventions: r } = await h.ok(
      h.users.ENGINEER.token,
      `mutation ($input: ProposeInput!) { proposeInterventions(input: $input) { proposed skipped } }`,
      {
        input: { versionId: version.id, runId: run.id, policy: { name: "downweightQuadrant", params: { quadrant: "HOTSPOT_MEMORIZED", weight: 0.5 } } },
      },
    );
    expect(r).toEqual({ proposed: 2_100, skipped: 0 });
    expect(await h.auditCount()).toBe(before + 1);
  });
});

describe("the review queue", () => {
  test("is a Relay connection: pages of first by cursor, hasNextPage false on the last page, nodes = the edges' nodes", async () => {
    const { v2, byKey } = await curationSetup();
    const exampleIds = ["ex-1", "ex-2", "ex-3"].map((k) => byKey[k]!.id);
    await h.ok(h.users.ENGINEER.token, GQL.propose, { input: { versionId: v2.id, exampleIds, action: "PRUNE", reason: "paging" } });
    const QUEUE = `query ($v: ID, $after: String) { reviewQueue(versionId: $v, first: 2, after: $after) { edges { cursor node { id example { key } } } nodes { id } pageInfo { hasNextPage endCursor } } }`;
    const page1 = (await h.ok(h.users.REVIEWER.token, QUEUE, { v: v2.id })).reviewQueue;
    expect(page1.edges).toHaveLength(2);
    expect(page1.edges.map((e: { cursor: string; node: { id: string } }) => e.cursor)).toEqual(page1.edges.map((e: { node: { id: string } }) => e.node.id));
    expect(page1.nodes).toEqual(page1.edges.map((e: { node: { id: string } }) => ({ id: e.node.id })));
    expect(page1.pageInfo).toEqual({ hasNextPage: true, endCursor: page1.edges[1].cursor });
    const page2 = (await h.ok(h.users.REVIEWER.token, QUEUE, { v: v2.id, after: page1.pageInfo.endCursor })).reviewQueue;
    const keys = (page: { edges: { node: { example: { key: string } } }[] }) => page.edges.map((e) => e.node.example.key);
    expect([...keys(page1), ...keys(page2)].sort()).toEqual(["ex-1", "ex-2", "ex-3"]);
    expect(page2.pageInfo).toEqual({ hasNextPage: false, endCursor: page2.edges[0].cursor });
    expect(
      (await h.ok(h.users.REVIEWER.token, `query ($v: ID) { reviewQueue(versionId: $v, first: 1) { totalCount } }`, { v: v2.id })).reviewQueue.totalCount,
    ).toBe(3);
  });

  test("a version's interventions are a connection too: pages by cursor, totalCount per status whatever the page", async () => {
    const { v2, byKey } = await curationSetup();
    const exampleIds = ["ex-4", "ex-5", "ex-6"].map((k) => byKey[k]!.id);
    await h.ok(h.users.ENGINEER.token, GQL.propose, { input: { versionId: v2.id, exampleIds, action: "PRUNE", reason: "paging" } });
    const PAGE = `query ($id: ID!, $after: ID) { version(id: $id) { interventions(status: PROPOSED, first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } totalCount } approved: interventions(status: APPROVED) { totalCount } } }`;
    const page1 = (await h.ok(h.users.VIEWER.token, PAGE, { id: v2.id })).version;
    expect(page1.interventions.nodes).toHaveLength(2);
    expect(page1.interventions).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true, endCursor: page1.interventions.nodes[1].id } });
    expect(page1.approved.totalCount).toBe(0);
    const page2 = (await h.ok(h.users.VIEWER.token, PAGE, { id: v2.id, after: page1.interventions.pageInfo.endCursor })).version;
    expect(page2.interventions.nodes).toHaveLength(1);
    expect(page2.interventions).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false } });
  });
});

describe("four eyes", () => {
  test("nobody reviews their own proposal; another reviewer can, once, with a reason", async () => {
    const { v2, byKey } = await curationSetup();
    const propose = async (who: "ADMIN" | "REVIEWER", key: string) =>
      (await h.ok(h.users[who].token, GQL.propose, { input: { versionId: v2.id, exampleIds: [byKey[key]!.id], action: "PRUNE" } })).proposeInterventions
        .interventions[0];
    const byAdmin = await propose("ADMIN", "ex-3");
    const byReviewer = await propose("REVIEWER", "ex-4");
    const before = await h.auditCount();

    for (const [who, intervention] of [
      ["ADMIN", byAdmin],
      ["REVIEWER", byReviewer],
    ] as const) {
      const own = await h.gql(h.users[who].token, GQL.review, { input: { interventionId: intervention.id, decision: "APPROVE", reason: "looks right" } });
      expect(own.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(own.errors?.[0]?.message).toMatch(/four eyes.*you proposed/i);
    }
    const canReview = `query ($id: ID!) { intervention(id: $id) { canReview status } }`;
    expect((await h.ok(h.users.REVIEWER.token, canReview, { id: byReviewer.id })).intervention.canReview).toBe(false);
    expect((await h.ok(h.users.REVIEWER2.token, canReview, { id: byReviewer.id })).intervention.canReview).toBe(true);
    expect((await h.ok(h.users.ENGINEER.token, canReview, { id: byReviewer.id })).intervention.canReview).toBe(false);

    const noReason = await h.gql(h.users.REVIEWER2.token, GQL.review, { input: { interventionId: byReviewer.id, decision: "APPROVE", reason: "   " } });
    expect(noReason.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "reason" });
    expect(await h.auditCount()).toBe(before);
    expect((await h.db.prisma.intervention.findUniqueOrThrow({ where: { id: byReviewer.id } })).status).toBe("PROPOSED");

    const { reviewIntervention: approved } = await h.ok(h.users.REVIEWER2.token, GQL.review, {
      input: { interventionId: byReviewer.id, decision: "APPROVE", reason: "memorized PII" },
    });
    expect(approved).toMatchObject({
      status: "APPROVED",
      reviews: [{ decision: "APPROVE", reason: "memorized PII", reviewer: { id: h.users.REVIEWER2.user.id } }],
    });
    const twice = await h.gql(h.users.ADMIN.token, GQL.review, { input: { interventionId: byReviewer.id, decision: "REJECT", reason: "changed my mind" } });
    expect(twice.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(await h.auditCount()).toBe(before + 1);
    expect(await h.db.prisma.review.count({ where: { interventionId: byReviewer.id } })).toBe(1);
  });

  test("two reviewers racing on one intervention: one wins, the other gets CONFLICT", async () => {
    const { v2, byKey } = await curationSetup();
    const { proposeInterventions: p } = await h.ok(h.users.ENGINEER.token, GQL.propose, {
      input: { versionId: v2.id, exampleIds: [byKey["ex-5"]!.id], action: "PRUNE" },
    });
    const id = p.interventions[0].id;
    const results = await Promise.all(
      (["REVIEWER", "REVIEWER2", "ADMIN"] as const).map((who) =>
        h.gql(h.users[who].token, GQL.review, { input: { interventionId: id, decision: "APPROVE", reason: who } }),
      ),
    );
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === "CONFLICT").length).toBe(2);
    expect(await h.db.prisma.review.count({ where: { interventionId: id } })).toBe(1);
  });
});

describe("reviewing many at once (reviewInterventions)", () => {
  const BATCH = `mutation ($input: ReviewBatchInput!) { reviewInterventions(input: $input) { id status reviews { decision reason reviewer { id } } } }`;
  const statuses = async (ids: string[]) =>
    (await h.db.prisma.intervention.findMany({ where: { id: { in: ids } }, orderBy: { id: "asc" } })).map((i) => i.status);

  test("all or nothing: one bad id (named by index) leaves every intervention PROPOSED and writes no event; then each gets its review and its own event", async () => {
    const { v2, run, byKey } = await curationSetup();
    const { proposeInterventions: p } = await h.ok(h.users.ENGINEER.token, GQL.propose, {
      input: { versionId: v2.id, runId: run.id, policy: { name: "pruneTopByMemorization", params: { percent: 30 } } },
    });
    const ids: string[] = p.interventions.map((i: { id: string }) => i.id);
    expect(ids).toHaveLength(6);
    const { proposeInterventions: own } = await h.ok(h.users.REVIEWER.token, GQL.propose, {
      input: { versionId: v2.id, exampleIds: [byKey["ex-2"]!.id], action: "PRUNE" },
    });
    const ownId: string = own.interventions[0].id;
    const before = await h.auditCount();
    const attempt = (token: string, interventionIds: string[], reason = "memorized") =>
      h.gql(token, BATCH, { input: { interventionIds, decision: "APPROVE", reason } });

    const cases: [string, string[], string, string][] = [
      ["four eyes", [...ids, ownId], "FORBIDDEN", `interventionIds.${ids.length}`],
      ["unknown", [ids[0]!, "00000000-0000-4000-8000-000000000000"], "NOT_FOUND", "interventionIds.1"],
      ["twice", [ids[0]!, ids[1]!, ids[0]!], "BAD_USER_INPUT", "interventionIds.2"],
    ];
    for (const [what, list, code, field] of cases) {
      const r = await attempt(h.users.REVIEWER.token, list);
      expect(r.errors?.[0]?.extensions, what).toMatchObject({ code, field });
    }
    expect((await attempt(h.users.REVIEWER.token, ids, " ")).errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "reason" });
    expect((await attempt(h.users.REVIEWER.token, [])).errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "interventionIds" });
    expect(await h.auditCount()).toBe(before);
    expect(await statuses([...ids, ownId])).toEqual(Array(ids.length + 1).fill("PROPOSED"));

    const { reviewInterventions: done } = await h.ok(h.users.REVIEWER.token, BATCH, {
      input: { interventionIds: ids, decision: "APPROVE", reason: "memorized" },
    });
    expect(done.map((i: { id: string }) => i.id)).toEqual([...ids].sort());
    for (const i of done)
      expect(i).toMatchObject({ status: "APPROVED", reviews: [{ decision: "APPROVE", reason: "memorized", reviewer: { id: h.users.REVIEWER.user.id } }] });
    expect(await h.auditCount()).toBe(before + ids.length);
    const events = await h.db.prisma.auditEvent.findMany({ where: { targetId: { in: ids } } });
    expect(events.map((e) => e.action)).toEqual(Array(ids.length).fill("intervention.review"));
    expect(new Set(events.map((e) => e.targetId))).toEqual(new Set(ids));

    // Reviewed ones cannot be reviewed again, in a batch either; the own proposal is still open for someone else.
    expect((await attempt(h.users.REVIEWER2.token, [ownId, ids[0]!])).errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", field: "interventionIds.1" });
    expect(await statuses([ownId])).toEqual(["PROPOSED"]);
    await h.ok(h.users.REVIEWER2.token, BATCH, { input: { interventionIds: [ownId], decision: "REJECT", reason: "keep it" } });
    expect(await statuses([ownId])).toEqual(["REJECTED"]);
  });
});

/** Proposes `changes` on a draft, approves them all (as REVIEWER2), rejects `rejected`. */
async function curate(versionId: string, byKey: Record<string, { id: string }>, changes: [string, number][], rejected: string[] = []) {
  const ids: string[] = [];
  for (const [key, weight] of changes) {
    const input = weight === 0 ? { action: "PRUNE" } : { action: "DOWNWEIGHT", weight };
    const { proposeInterventions: p } = await h.ok(h.users.ENGINEER.token, GQL.propose, { input: { versionId, exampleIds: [byKey[key]!.id], ...input } });
    await h.ok(h.users.REVIEWER2.token, GQL.review, { input: { interventionId: p.interventions[0].id, decision: "APPROVE", reason: `approve ${key}` } });
    ids.push(p.interventions[0].id);
  }
  for (const key of rejected) {
    const { proposeInterventions: p } = await h.ok(h.users.ENGINEER.token, GQL.propose, {
      input: { versionId, exampleIds: [byKey[key]!.id], action: "PRUNE" },
    });
    await h.ok(h.users.REVIEWER.token, GQL.review, { input: { interventionId: p.interventions[0].id, decision: "REJECT", reason: `keep ${key}` } });
  }
  return ids;
}

describe("releases", () => {
  test("apply only approved interventions, never canaries, and record lineage; the diff explains every row", async () => {
    const { v1, v2, byKey } = await curationSetup();
    const approved = await curate(
      v2.id,
      byKey,
      [
        ["ex-1", 0],
        ["ex-2", 0],
        ["ex-3", 0.25],
      ],
      ["ex-4"],
    );
    const { proposeInterventions: never } = await h.ok(h.users.ENGINEER.token, GQL.propose, {
      input: { versionId: v2.id, exampleIds: [byKey["ex-5"]!.id], action: "PRUNE" },
    }); // never reviewed
    const canReview = async () =>
      (await h.ok(h.users.REVIEWER.token, `query ($id: ID!) { intervention(id: $id) { canReview } }`, { id: never.interventions[0].id })).intervention
        .canReview;
    expect(await canReview()).toBe(true);
    const queue = async () =>
      (await h.ok(h.users.REVIEWER.token, `query ($v: ID) { reviewQueue(versionId: $v) { nodes { example { key } } } }`, { v: v2.id })).reviewQueue.nodes;
    expect(await queue()).toEqual([{ example: { key: "ex-5" } }]);

    const { releaseVersion: release } = await h.ok(h.users.ENGINEER.token, GQL.release, { input: { versionId: v2.id } });
    expect(release.lineage).toMatchObject({ parentVersionId: v1.id, removed: 2, reweighted: 1, canariesExcluded: 3, unreviewed: 1, examples: 18 });
    expect([...release.lineage.interventionIds].sort()).toEqual([...approved].sort());
    expect(release.version).toMatchObject({ id: v2.id, status: "RELEASED", contentHash: release.contentHash });
    expect(release.gateVerdict).toBeNull();

    const members = await membership(h.db, v2.id);
    expect(Object.keys(members)).toHaveLength(18);
    expect(members["ex-1"]).toBeUndefined();
    expect(members["ex-3"]).toBe(0.25);
    expect(members["ex-4"]).toBe(1);
    expect(members["ex-5"]).toBe(1);
    expect(Object.keys(members).some((k) => k.startsWith("canary"))).toBe(false);
    const statuses = await h.db.prisma.intervention.groupBy({ by: ["status"], where: { versionId: v2.id }, _count: true });
    expect(Object.fromEntries(statuses.map((s) => [s.status, s._count]))).toEqual({ APPLIED: 3, REJECTED: 1, PROPOSED: 1 });
    expect(await h.db.prisma.intervention.count({ where: { versionId: v2.id, releaseId: release.id } })).toBe(3);
    expect(await queue()).toEqual([]); // the unreviewed one is closed with the release: no longer in anyone's queue
    expect(await canReview()).toBe(false);

    // The hash is the documented function of the (content hash, weight) pairs.
    const rows = await h.db.sql<{ content_hash: string; weight: number }>(
      `SELECT e.content_hash, ve.weight FROM version_examples ve JOIN examples e ON e.id = ve.example_id WHERE ve.version_id = $1`,
      [v2.id],
    );
    expect(release.contentHash).toBe(contentHashOf(rows.map((r) => ({ contentHash: r.content_hash, weight: r.weight }))));

    const { version } = await h.ok(
      h.users.VIEWER.token,
      `query ($id: ID!) { version(id: $id) { exampleCount canaryCount release { id } diff(first: 10) { removedCount reweightedCount addedCount rows { edges { change parentWeight weight reason example { key } intervention { id status } } pageInfo { hasNextPage } } } } }`,
      { id: v2.id },
    );
    expect(version).toMatchObject({
      exampleCount: 18,
      canaryCount: 0,
      release: { id: release.id },
      diff: { removedCount: 5, reweightedCount: 1, addedCount: 0 },
    });
    const diffRows = version.diff.rows.edges as {
      change: string;
      reason: string | null;
      example: { key: string };
      weight: number | null;
      intervention: { status: string } | null;
    }[];
    const byExample = Object.fromEntries(diffRows.map((r) => [r.example.key, r]));
    expect(byExample["ex-1"]).toMatchObject({ change: "REMOVED", reason: "approve ex-1", intervention: { status: "APPLIED" } });
    expect(byExample["ex-3"]).toMatchObject({ change: "REWEIGHTED", weight: 0.25, reason: "approve ex-3" });
    expect(byExample["canary-0"]).toMatchObject({ change: "REMOVED", reason: "canary: never released", intervention: null });
  });

  test("a released version never changes: every mutation on it fails with a clear error, and so do raw writes", async () => {
    const { v2, byKey, run } = await curationSetup();
    const [open] = await curate(v2.id, byKey, [["ex-1", 0]]);
    const { proposeInterventions: pending } = await h.ok(h.users.ENGINEER.token, GQL.propose, {
      input: { versionId: v2.id, exampleIds: [byKey["ex-2"]!.id], action: "PRUNE" },
    });
    await h.ok(h.users.ENGINEER.token, GQL.release, { input: { versionId: v2.id } });
    const frozen = await membership(h.db, v2.id);
    const before = await h.auditCount();

    const attempts = [
      h.gql(h.users.ENGINEER.token, GQL.importExamples, { versionId: v2.id, examples: [{ text: "a late addition" }] }),
      h.gql(h.users.ENGINEER.token, GQL.propose, { input: { versionId: v2.id, exampleIds: [byKey["ex-6"]!.id], action: "PRUNE" } }),
      h.gql(h.users.ENGINEER.token, GQL.propose, {
        input: { versionId: v2.id, runId: run.id, policy: { name: "pruneTopByMemorization", params: { percent: 10 } } },
      }),
      h.gql(h.users.REVIEWER2.token, GQL.review, { input: { interventionId: pending.interventions[0].id, decision: "APPROVE", reason: "too late" } }),
      h.gql(h.users.ENGINEER.token, GQL.release, { input: { versionId: v2.id } }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.errors?.[0]?.extensions?.code).toBe("CONFLICT");
      expect(response.errors?.[0]?.message).toMatch(/released and can no longer change/);
    }
    // An already applied intervention is not reviewable either.
    const applied = await h.gql(h.users.REVIEWER.token, GQL.review, { input: { interventionId: open, decision: "REJECT", reason: "undo" } });
    expect(applied.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(await h.auditCount()).toBe(before);
    expect(await membership(h.db, v2.id)).toEqual(frozen);

    // The database refuses raw writes too.
    await expect(h.db.sql(`UPDATE version_examples SET weight = 0.5 WHERE version_id = $1`, [v2.id])).rejects.toThrow(/released and can no longer change/);
    await expect(h.db.sql(`DELETE FROM version_examples WHERE version_id = $1`, [v2.id])).rejects.toThrow(/released and can no longer change/);
    await expect(h.db.sql(`INSERT INTO version_examples (version_id, example_id) VALUES ($1, $2)`, [v2.id, byKey["canary-0"]!.id])).rejects.toThrow(/released/);
    await expect(h.db.sql(`UPDATE dataset_versions SET content_hash = 'x' WHERE id = $1`, [v2.id])).rejects.toThrow(/released/);
    await expect(h.db.sql(`UPDATE dataset_versions SET status = 'DRAFT' WHERE id = $1`, [v2.id])).rejects.toThrow(/released/);
    expect(await membership(h.db, v2.id)).toEqual(frozen);

    // What one does instead: a new draft from it.
    const { createDraftVersion: v3 } = await h.ok(h.users.ENGINEER.token, GQL.createDraft, { parent: v2.id });
    expect(v3).toMatchObject({ status: "DRAFT", number: 3, exampleCount: Object.keys(frozen).length, canaryCount: 0 });
  });

  test("identical curations hash identically whatever the order and history; different ones differ", async () => {
    const texts = Array.from({ length: 12 }, (_, i) => ({ id: `k-${i}`, text: `shared text ${i}` }));
    const release = async (records: typeof texts, changes: [string, number][], rejected: string[] = [], viaIntermediate = false) => {
      const { dataset, version: v1 } = await seedDataset(h.db, h.users.ENGINEER.actor, { records });
      const rows = await h.db.prisma.example.findMany({ where: { datasetId: dataset.id } });
      const byKey = Object.fromEntries(rows.map((e) => [e.key, e]));
      let parent = v1.id;
      let todo = changes;
      if (viaIntermediate) {
        // History: release part of the curation first, then the rest on a later draft.
        const { createDraftVersion: mid } = await h.ok(h.users.ENGINEER.token, GQL.createDraft, { parent });
        await curate(mid.id, byKey, changes.slice(0, 1));
        await h.ok(h.users.ENGINEER.token, GQL.release, { input: { versionId: mid.id } });
        parent = mid.id;
        todo = changes.slice(1);
      }
      const { createDraftVersion: draft } = await h.ok(h.users.ENGINEER.token, GQL.createDraft, { parent });
      await curate(draft.id, byKey, todo, rejected);
      return (await h.ok(h.users.ENGINEER.token, GQL.release, { input: { versionId: draft.id } })).releaseVersion.contentHash as string;
    };
    const curation: [string, number][] = [
      ["k-1", 0],
      ["k-2", 0.5],
      ["k-7", 0.3],
    ];
    const a = await release(texts, curation);
    const b = await release([...texts].reverse(), [...curation].reverse(), ["k-3", "k-4"]);
    const c = await release(texts, curation, [], true);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(
      await release(texts, [
        ["k-1", 0],
        ["k-2", 0.5],
        ["k-7", 0.31],
      ]),
    ).not.toBe(a);
    expect(
      await release(texts, [
        ["k-1", 0],
        ["k-2", 0.5],
      ]),
    ).not.toBe(a);
    expect(
      await release(texts, [
        ["k-1", 0],
        ["k-2", 0.5],
        ["k-8", 0.3],
      ]),
    ).not.toBe(a);
  });

  test("the canonical weight text is the float32 value with 9 significant digits", () => {
    expect(canonicalWeight(0.3)).toBe("0.300000012");
    expect(canonicalWeight(Math.fround(0.3))).toBe(canonicalWeight(0.3));
    expect(canonicalWeight(1)).toBe("1.00000000");
    expect(canonicalWeight(0.30000001)).toBe(canonicalWeight(0.3)); // same float32
    expect(canonicalWeight(0.3000001)).not.toBe(canonicalWeight(0.3));
  });
});

describe("release gate", () => {
  const SET_GATE = `mutation ($input: ReleaseGateInput!) { setReleaseGate(input: $input) { id releaseGate { maxExtractionRatio maxPerplexityIncrease } } }`;
  const VERDICT = `query ($id: ID!) { version(id: $id) { gateVerdict { passed reasons studyId } latestStudy { id status } } }`;

  test("blocks without a (good enough) study, says why, and only an ADMIN overrides, with a reason, audited", async () => {
    const { dataset, v2, byKey } = await curationSetup();
    await curate(v2.id, byKey, [["ex-1", 0]]);
    const { setReleaseGate } = await h.ok(h.users.ADMIN.token, SET_GATE, {
      input: { datasetId: dataset.id, maxExtractionRatio: 0.6, maxPerplexityIncrease: 0.005 },
    });
    expect(setReleaseGate.releaseGate).toEqual({ maxExtractionRatio: 0.6, maxPerplexityIncrease: 0.005 });
    const snapshot = async () => ({
      audit: await h.auditCount(),
      members: await membership(h.db, v2.id),
      version: await h.db.prisma.datasetVersion.findUniqueOrThrow({ where: { id: v2.id } }),
    });

    expect((await h.ok(h.users.VIEWER.token, VERDICT, { id: v2.id })).version.gateVerdict).toMatchObject({
      passed: false,
      reasons: [expect.stringMatching(/^no study/)],
      studyId: null,
    });
    const before = await snapshot();
    const noStudy = await h.gql(h.users.ENGINEER.token, GQL.release, { input: { versionId: v2.id } });
    expect(noStudy.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(noStudy.errors?.[0]?.message).toMatch(/release gate blocks.*no study/);
    expect(await snapshot()).toEqual(before); // a failed mutation leaves neither change nor audit event

    // A study through the API: QUEUED, with its job enqueued in the same transaction.
    const { startStudy } = await h.ok(
      h.users.ENGINEER.token,
      `mutation ($input: StartStudyInput!) { startStudy(input: $input) { id status version { id } } }`,
      {
        input: { versionId: v2.id, config: { seeds: [1] } },
      },
    );
    expect(startStudy).toMatchObject({ status: "QUEUED", version: { id: v2.id } });
    if (h.db.connectionString) {
      const jobs = await h.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'study' AND data->>'studyId' = $1`, [startStudy.id]);
      expect(jobs[0]!.n).toBe(1);
    }
    // The study job (apps/worker) would fill the report; here it is written as the job would.
    await h.db.prisma.study.update({
      where: { id: startStudy.id },
      data: { status: "SUCCEEDED", finishedAt: new Date(), report: { summary: { extractionRatio: 0.8, perplexityIncrease: 0.001 } } },
    });
    const verdict = (await h.ok(h.users.VIEWER.token, VERDICT, { id: v2.id })).version;
    expect(verdict.latestStudy).toEqual({ id: startStudy.id, status: "SUCCEEDED" });
    expect(verdict.gateVerdict).toMatchObject({
      passed: false,
      studyId: startStudy.id,
      reasons: [expect.stringMatching(/extraction ratio 0\.8000 exceeds the maximum 0\.6/)],
    });

    const beforeOverrides = await snapshot();
    const engineerOverride = await h.gql(h.users.ENGINEER.token, GQL.release, { input: { versionId: v2.id, overrideReason: "ship it" } });
    expect(engineerOverride.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const emptyOverride = await h.gql(h.users.ADMIN.token, GQL.release, { input: { versionId: v2.id, overrideReason: "   " } });
    expect(emptyOverride.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(await snapshot()).toEqual(beforeOverrides);

    const { releaseVersion: release } = await h.ok(h.users.ADMIN.token, GQL.release, {
      input: { versionId: v2.id, overrideReason: "legal approved the residual risk" },
    });
    expect(release.overrideReason).toBe("legal approved the residual risk");
    expect(release.gateVerdict).toMatchObject({ passed: false, studyId: startStudy.id, measured: { extractionRatio: 0.8, perplexityIncrease: 0.001 } });
    const event = await h.db.prisma.auditEvent.findFirstOrThrow({ where: { action: "version.release", targetId: v2.id } });
    expect(event.after).toMatchObject({ overrideReason: "legal approved the residual risk", gateVerdict: { passed: false } });
    expect(event.actorId).toBe(h.users.ADMIN.user.id);
  });

  test("passes with a good study, without override", async () => {
    const { dataset, v2 } = await curationSetup();
    await h.ok(h.users.ADMIN.token, SET_GATE, { input: { datasetId: dataset.id, maxExtractionRatio: 0.6 } });
    await h.db.prisma.study.create({
      data: {
        versionId: v2.id,
        status: "SUCCEEDED",
        config: {},
        finishedAt: new Date(),
        report: { summary: { extractionRatio: 0.55, perplexityIncrease: 0.2 } },
      },
    });
    const { releaseVersion: release } = await h.ok(h.users.ENGINEER.token, GQL.release, { input: { versionId: v2.id } });
    expect(release.gateVerdict).toMatchObject({ passed: true, reasons: [] });
    expect(release.overrideReason).toBeNull();
    // Removing the gate: no thresholds.
    const { setReleaseGate } = await h.ok(h.users.ADMIN.token, SET_GATE, { input: { datasetId: dataset.id } });
    expect(setReleaseGate.releaseGate).toBeNull();
  });
});
