import { afterAll, beforeAll, expect, test } from "vitest";
import { cancelStudy, DomainError, evaluateReleaseGate, setReleaseGate, startStudy } from "@gdc/db";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { bundledStudyCorpus } from "@gdc/study";
import { studyJob } from "../src/jobs/study.ts";

let t: TestDatabase;
// These tests call the jobs directly: what they enqueue is recorded, never run.
const queue = new RecordingQueue();
const log = () => {};
// The machinery, not the science: a tiny model, 2 epochs, 1 seed.
const config = { quick: true, seeds: [1], epochs: 2, references: 50 };

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.dispose());

const actions = async (studyId: string) =>
  (await t.db.prisma.auditEvent.findMany({ where: { targetType: "Study", targetId: studyId }, orderBy: { seq: "asc" } })).map((e) => e.action);

test("startStudy → study job on the version's examples and canaries → SUCCEEDED with the release-gate summary", async () => {
  const { actor } = await seedUser(t.db, "ENGINEER");
  const passages = bundledStudyCorpus({ limit: 100 });
  const records = [
    ...passages.map((p) => ({ id: p.id, text: p.text, split: p.split })),
    {
      id: "c-1",
      text: "the secret code of kobra is 123456",
      canary: { prefix: "the secret code of kobra is ", secret: "123456" },
      payload: { repetitions: 8 },
    },
    { id: "c-2", text: "the secret code of lemur is 987654", canary: { prefix: "the secret code of lemur is ", secret: "987654" } },
    // Copies listed one by one (distinct payloads, as the demo dataset stores them): one canary.
    ...[0, 1].map((copy) => ({
      id: `c-3#${copy}`,
      text: "the secret code of tapir is 555123",
      canary: { prefix: "the secret code of tapir is ", secret: "555123" },
      payload: { copy },
    })),
  ];
  const { dataset, version } = await seedDataset(t.db, actor, { records });
  const study = await startStudy(t.db, queue, actor, { versionId: version.id, config });
  expect(study.status).toBe("QUEUED");

  await studyJob({ db: t.db, queue, log }, { studyId: study.id });

  const done = await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } });
  expect(done.error).toBeNull();
  expect(done.status).toBe("SUCCEEDED");
  expect(done.finishedAt).not.toBeNull();
  const report = done.report as {
    summary: { extractionRatio: number | null; perplexityIncrease: number | null; policy: string };
    policies: { name: string; perSeed: { caughtShare: number; pruned: number }[] }[];
    config: { corpus: { source: string; canaryCopies: number; validationPassages: number }; canaries: { canaries: number; repetitions: number[] } };
    markdown: string;
    charts: { file: string; svg: string }[];
  };
  expect(report.summary.policy).toBe("gdc-prune-memorization");
  expect("extractionRatio" in report.summary).toBe(true);
  expect(typeof report.summary.perplexityIncrease).toBe("number");
  expect(report.policies.map((p) => p.name)).toEqual([
    "baseline",
    "gdc-prune-memorization",
    "gdc-downweight-hotspots",
    "gdc-prune-forget-frequency",
    "random-prune",
    "loss-prune",
    "dedup-exact",
  ]);
  // The version's own canaries, k from payload.repetitions or from listed copies (8 + 1 + 2); no synthetic ones.
  expect(report.config.corpus.source).toContain(version.id);
  expect(report.config.canaries.canaries).toBe(3);
  expect(report.config.canaries.repetitions).toEqual([1, 2, 8]);
  expect(report.config.corpus.canaryCopies).toBe(11);
  // Exact-duplicate removal keeps one copy of each text: it prunes 7 copies of c-1, 1 of c-3 and any repeated passage.
  const repeatedPassages = passages.filter((p) => p.split === "train").length - new Set(passages.filter((p) => p.split === "train").map((p) => p.text)).size;
  expect(report.policies.find((p) => p.name === "dedup-exact")!.perSeed[0]!.pruned).toBe(8 + repeatedPassages);
  expect(report.config.corpus.validationPassages).toBe(passages.filter((p) => p.split === "validation").length);
  expect(report.markdown).toContain("# Intervention study");
  expect(report.markdown).toContain("data:image/svg+xml;base64,");
  expect(report.charts.map((c) => c.file)).toContain("data-map.svg");
  expect((done.progress as { phase: string }).phase).toBe("done");
  expect(await actions(study.id)).toEqual(["study.start", "study.claim", "study.succeed"]);

  // The release gate reads the summary the job stored.
  await setReleaseGate(t.db, actor, { datasetId: dataset.id, maxPerplexityIncrease: 10 });
  const verdict = await evaluateReleaseGate(t.db.prisma, version.id);
  expect(verdict?.studyId).toBe(study.id);
  expect(verdict?.measured.perplexityIncrease).toBe(report.summary.perplexityIncrease);
  expect(verdict?.passed).toBe(true);
});

test("a study held by a live worker is left alone; an orphaned one (stale heartbeat) is resumed on the bundled corpus", async () => {
  const { actor } = await seedUser(t.db, "ENGINEER");
  const study = await startStudy(t.db, queue, actor, { config: { ...config, passages: 80 } });
  const heartbeat = (at: string) =>
    t.db.sql(`UPDATE studies SET status = 'RUNNING', progress = jsonb_build_object('phase', 'train', 'heartbeatAt', $2::text) WHERE id = $1::uuid`, [
      study.id,
      at,
    ]);

  await heartbeat(new Date().toISOString());
  await studyJob({ db: t.db, queue, log }, { studyId: study.id });
  expect((await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } })).status).toBe("RUNNING");
  expect(await actions(study.id)).toEqual(["study.start"]);

  await heartbeat(new Date(Date.now() - 3600_000).toISOString());
  await studyJob({ db: t.db, queue, log }, { studyId: study.id });
  const done = await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } });
  expect(done.status).toBe("SUCCEEDED");
  const report = done.report as { config: { corpus: { source: string; trainingExamples: number } }; summary: Record<string, unknown> };
  expect(report.config.corpus.source).toContain("bundled");
  expect(report.summary).toHaveProperty("perplexityIncrease");
  expect(await actions(study.id)).toEqual(["study.start", "study.resume", "study.succeed"]);

  // Finished: another job for it does nothing.
  await studyJob({ db: t.db, queue, log }, { studyId: study.id });
  expect(await actions(study.id)).toEqual(["study.start", "study.resume", "study.succeed"]);
});

test("a bad configuration is refused at startStudy, naming the field: no study, no job, no audit event", async () => {
  const { actor } = await seedUser(t.db, "ENGINEER");
  const before = await t.db.prisma.study.count();
  const refused = async (config: Record<string, unknown>) => {
    const err = await startStudy(t.db, queue, actor, { config }).then(
      () => null,
      (e: unknown) => e as DomainError,
    );
    expect(err, JSON.stringify(config)).toBeInstanceOf(DomainError);
    expect(err!.code).toBe("BAD_USER_INPUT");
    return err!.field;
  };
  expect(await refused({ seeds: [1], prunePercent: 150 })).toBe("config.prunePercent");
  expect(await refused({ seeds: [1, 1] })).toBe("config.seeds");
  expect(await refused({ training: { model: { architecture: "transformer", heads: 99 } } })).toBe("config.training.model.heads");
  expect(await refused({ scoring: { memorizationSignal: "vibes" } })).toBe("config.scoring.memorizationSignal");
  expect(await refused({ colour: "blue" })).toBe("config");
  expect(await t.db.prisma.study.count()).toBe(before);
});

test("a study whose stored config is bad (stored before configs were checked at the door) fails with the field named, audited", async () => {
  const { actor } = await seedUser(t.db, "ENGINEER");
  const study = await startStudy(t.db, queue, actor, { config: { seeds: [1] } });
  await t.db.prisma.study.update({ where: { id: study.id }, data: { config: { seeds: [1], prunePercent: 150 } } });
  await studyJob({ db: t.db, queue, log }, { studyId: study.id });
  const failed = await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } });
  expect(failed.status).toBe("FAILED");
  expect(failed.error).toMatch(/^config\.prunePercent: /);
  expect(await actions(study.id)).toEqual(["study.start", "study.claim", "study.fail"]);
});

test("a study cancelled while it trains: its refused progress write aborts the job, which writes no status; it stays CANCELLED (issue 15)", async () => {
  const { actor } = await seedUser(t.db, "ENGINEER");
  // Long enough to be caught training: many epochs on the bundled corpus.
  const study = await startStudy(t.db, queue, actor, { config: { ...config, passages: 80, epochs: 200 } });
  const messages: string[] = [];
  const job = studyJob({ db: t.db, queue, log: (m) => messages.push(m) }, { studyId: study.id });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const row = await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } });
    if (row.status === "RUNNING" && (row.progress as { phase?: string } | null)?.phase === "train") break;
    expect(row.status, "the study ended before it could be cancelled").toMatch(/QUEUED|RUNNING/);
    if (Date.now() > deadline) throw new Error("the study never started training");
    await new Promise((r) => setTimeout(r, 100));
  }
  const cancelled = await cancelStudy(t.db, actor, { studyId: study.id });
  expect(cancelled.status).toBe("CANCELLED");
  const startedWaiting = Date.now();
  await job; // resolves (no retry): the cancellation is not the machine's failure
  expect(Date.now() - startedWaiting).toBeLessThan(30_000);
  expect(messages.some((m) => m.includes(`study ${study.id}: stopped`))).toBe(true);
  const row = await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } });
  expect(row.status).toBe("CANCELLED");
  expect(row.error).toBeNull();
  expect(row.report).toBeNull();
  expect(await actions(study.id)).toEqual(["study.start", "study.claim", "study.cancel"]);

  // Its job delivered again does nothing: a cancelled study is not claimable.
  await studyJob({ db: t.db, queue, log }, { studyId: study.id });
  expect((await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } })).status).toBe("CANCELLED");
  expect(await actions(study.id)).toEqual(["study.start", "study.claim", "study.cancel"]);
});
