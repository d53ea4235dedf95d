import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { appendAuditEvent, appendAuditEvents, auditedTransaction, createDataset, systemActor, verifyAuditChain, DomainError } from "../src/index.ts";
import { createTestDatabase, seedUser, type TestDatabase } from "../src/testing/index.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.dispose());

describe("audited transactions", () => {
  test("a change and its audit event commit together", async () => {
    const { actor } = await seedUser(t.db, "ENGINEER");
    const dataset = await createDataset(t.db, actor, { name: "committed-together" });
    const events = await t.db.prisma.auditEvent.findMany({ where: { targetType: "Dataset", targetId: dataset.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: "dataset.create", actorId: actor.userId, actorLabel: actor.label });
    expect(events[0]!.after).toMatchObject({ name: "committed-together" });
  });

  test("a change that fails after writing leaves neither the change nor an audit event", async () => {
    const before = await t.db.prisma.auditEvent.count();
    await expect(
      auditedTransaction(t.db, systemActor(), async (tx) => {
        await tx.dataset.create({ data: { name: "never-committed" } });
        throw new DomainError("CONFLICT", "simulated failure after the write");
      }),
    ).rejects.toThrow("simulated failure");
    expect(await t.db.prisma.dataset.findUnique({ where: { name: "never-committed" } })).toBeNull();
    expect(await t.db.prisma.auditEvent.count()).toBe(before);
  });

  test("a failure while writing the audit event rolls the change back", async () => {
    const before = await t.db.prisma.auditEvent.count();
    await expect(
      auditedTransaction(t.db, { userId: "00000000-0000-7000-8000-000000000000", label: "ghost", role: "ADMIN" }, async (tx) => {
        const d = await tx.dataset.create({ data: { name: "audit-failed" } });
        // actor id references no user: the audit insert violates its foreign key
        return { result: d, audit: { action: "dataset.create", targetType: "Dataset", targetId: d.id } };
      }),
    ).rejects.toThrow();
    expect(await t.db.prisma.dataset.findUnique({ where: { name: "audit-failed" } })).toBeNull();
    expect(await t.db.prisma.auditEvent.count()).toBe(before);
  });
});

describe("the hash chain", () => {
  test("verifies over many events, including ones appended concurrently", async () => {
    const { actor } = await seedUser(t.db, "ADMIN");
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.db.prisma.$transaction((tx) =>
          appendAuditEvent(tx, actor, { action: "test.concurrent", targetType: "Test", targetId: String(i), after: { i, at: new Date(0), n: 0.1 + i } }),
        ),
      ),
    );
    const result = await verifyAuditChain(t.db);
    expect(result.ok).toBe(true);
    expect(result.checked).toBe(await t.db.prisma.auditEvent.count());
  });

  test("events appended together, alongside single appends and concurrent batches, chain in order and verify", async () => {
    const { actor } = await seedUser(t.db, "REVIEWER");
    const batch = (tag: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ action: "test.batch", targetType: "Test", targetId: `${tag}-${i}`, after: { i } }));
    await Promise.all([
      ...["a", "b", "c"].map((tag) =>
        t.db.prisma.$transaction(async (tx) => {
          await appendAuditEvents(tx, actor, batch(tag, 40));
          await appendAuditEvent(tx, actor, { action: "test.single", targetType: "Test", targetId: `${tag}-after` });
        }),
      ),
      t.db.prisma.$transaction((tx) => appendAuditEvents(tx, actor, [])),
    ]);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: await t.db.prisma.auditEvent.count() });
    // Each transaction's events are contiguous and in the order given, its single append last.
    for (const tag of ["a", "b", "c"]) {
      const events = await t.db.prisma.auditEvent.findMany({ where: { targetId: { startsWith: `${tag}-` } }, orderBy: { seq: "asc" } });
      expect(events.map((e) => e.targetId)).toEqual([...batch(tag, 40).map((e) => e.targetId), `${tag}-after`]);
      expect(Number(events.at(-1)!.seq - events[0]!.seq)).toBe(40);
    }
  });

  test("rejects UPDATE and DELETE on audit rows", async () => {
    await expect(t.db.sql(`UPDATE audit_events SET action = 'x'`)).rejects.toThrow(/append-only/);
    await expect(t.db.sql(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
  });

  test("names the first altered row when someone bypasses the trigger", async () => {
    const rows = await t.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } });
    const victim = rows[Math.floor(rows.length / 2)]!;
    await t.db.sql(`ALTER TABLE audit_events DISABLE TRIGGER USER`);
    await t.db.sql(`UPDATE audit_events SET after = '{"tampered": true}' WHERE seq = $1`, [victim.seq.toString()]);
    await t.db.sql(`ALTER TABLE audit_events ENABLE TRIGGER USER`);
    const result = await verifyAuditChain(t.db);
    expect(result.ok).toBe(false);
    expect(result.firstBroken?.seq).toBe(victim.seq.toString());
    expect(result.firstBroken?.reason).toMatch(/altered/);
  });

  test("detects a removed row at the link that follows it", async () => {
    const rows = await t.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } });
    const removed = rows[1]!;
    await t.db.sql(`ALTER TABLE audit_events DISABLE TRIGGER USER`);
    // rows[1] comes before the row altered above, so its removal is the first break
    await t.db.sql(`DELETE FROM audit_events WHERE seq = $1`, [removed.seq.toString()]);
    await t.db.sql(`ALTER TABLE audit_events ENABLE TRIGGER USER`);
    const result = await verifyAuditChain(t.db);
    expect(result.ok).toBe(false);
    expect(result.firstBroken?.seq).toBe(rows[2]!.seq.toString());
    expect(result.firstBroken?.reason).toMatch(/removed/);
  });
});
