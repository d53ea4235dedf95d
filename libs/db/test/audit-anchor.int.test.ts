// An anchored audit trail (issue 13 F9): cutting the last events off, or rewriting one and
// recomputing every hash after it, passes the hash chain alone; the anchor (chain heads kept
// outside the database, signed with a key the database never sees) catches both.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  appendAuditEvent,
  auditedTransaction,
  createDataset,
  hashAuditEvent,
  makeAuditAnchor,
  auditHead,
  appendAuditAnchor,
  readAuditKey,
  recordAuditAnchor,
  systemActor,
  verifyAuditAnchors,
  verifyAuditChain,
  type Database,
} from "../src/index.ts";
import { createTestDatabase, seedUser, type TestDatabase } from "../src/testing/index.ts";

const KEY = Buffer.from("a-test-audit-key-kept-outside-the-database");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdc-anchor-"));
let n = 0;
const anchorFile = () => path.join(dir, `anchor-${++n}.jsonl`);
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const t of databases) await t.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh database with some audited history, anchored after the first `anchoredAfter` datasets; then more events. */
async function history(file: string, key: Buffer | null = KEY) {
  const t = await createTestDatabase();
  databases.push(t);
  const { actor } = await seedUser(t.db, "ENGINEER");
  for (let i = 0; i < 4; i++) await createDataset(t.db, actor, { name: `anchored-${n}-${i}` });
  const first = await recordAuditAnchor(t.db, file, key);
  for (let i = 0; i < 3; i++) await createDataset(t.db, actor, { name: `after-${n}-${i}` });
  const second = await recordAuditAnchor(t.db, file, key);
  return { t, db: t.db, first: first!, second: second! };
}

/** Runs statements as the superuser with the append-only trigger off (as the probe did). */
async function tamper(db: Database, statements: [string, unknown[]][]) {
  await db.sql(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
  try {
    for (const [sql, params] of statements) await db.sql(sql, params);
  } finally {
    await db.sql(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
  }
}

describe("audit anchor", () => {
  test("an honest chain verifies against its signed anchors; an unchanged head is not anchored twice", async () => {
    const file = anchorFile();
    const { db, first, second } = await history(file);
    expect(BigInt(second.seq)).toBeGreaterThan(BigInt(first.seq));
    expect(await recordAuditAnchor(db, file, KEY)).toBeNull();
    expect(fs.readFileSync(file, "utf8").trim().split("\n")).toHaveLength(2);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
    expect(await verifyAuditAnchors(db, file, KEY)).toEqual({ ok: true, checked: 2 });
    // Later events do not disturb earlier anchors; the head is the numerically greatest seq (9 < 10 < 100).
    for (let i = 0; i < 12; i++) await createDataset(db, systemActor(), { name: `later-${n}-${i}` });
    expect(await verifyAuditAnchors(db, file, KEY)).toEqual({ ok: true, checked: 2 });
    const newest = await db.prisma.auditEvent.findFirstOrThrow({ orderBy: { seq: "desc" } });
    expect(BigInt(newest.seq)).toBeGreaterThanOrEqual(10n);
    expect(await auditHead(db)).toEqual({ seq: newest.seq.toString(), hash: newest.hash });
  });

  test("deleting the last events passes the chain but not the anchor: truncation, named", async () => {
    const file = anchorFile();
    const { db, second } = await history(file);
    await tamper(db, [[`DELETE FROM audit_events WHERE seq >= $1::int8 - 1`, [second.seq]]]);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true }); // the chain alone cannot tell
    const result = await verifyAuditAnchors(db, file, KEY);
    expect(result.ok).toBe(false);
    expect(result.checked).toBe(1);
    expect(result.firstBroken).toEqual({
      seq: second.seq,
      reason: expect.stringMatching(/^anchored event seq \d+ .* no longer exists: the audit trail was truncated$/),
    });
  });

  test("rewriting an event and recomputing every hash after it passes the chain but not the anchor", async () => {
    const file = anchorFile();
    const { db, first } = await history(file);
    const rows = await db.prisma.auditEvent.findMany({ where: { seq: { gte: BigInt(first.seq) - 2n } }, orderBy: { seq: "asc" } });
    let prevHash = rows[0]!.prevHash;
    const statements: [string, unknown[]][] = [];
    for (const [i, row] of rows.entries()) {
      const after = i === 0 ? { ...(row.after as object), name: "forged" } : row.after;
      const hash = hashAuditEvent({ ...row, after, prevHash });
      statements.push([
        `UPDATE audit_events SET after = $2::jsonb, prev_hash = $3, hash = $4 WHERE seq = $1::int8`,
        [row.seq.toString(), JSON.stringify(after), prevHash, hash],
      ]);
      prevHash = hash;
    }
    await tamper(db, statements);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true }); // recomputed: the chain alone cannot tell
    const result = await verifyAuditAnchors(db, file, KEY);
    expect(result).toMatchObject({ ok: false, checked: 0, firstBroken: { seq: first.seq } });
    expect(result.firstBroken!.reason).toMatch(/no longer has its anchored hash .*: the chain was rewritten and its hashes recomputed/);
  });

  test("a forger who also rewrites the anchor file is caught by the key; without the key an unsigned anchor is refused", async () => {
    const file = anchorFile();
    const { db } = await history(file);
    // The forger replaces the file with anchors of the (tampered) head, but has no key.
    const forged = anchorFile();
    appendAuditAnchor(forged, { ...makeAuditAnchor((await auditHead(db))!, Buffer.from("the-forgers-own-key-guess")) });
    expect(await verifyAuditAnchors(db, forged, KEY)).toMatchObject({
      ok: false,
      firstBroken: { reason: expect.stringMatching(/is not signed by this audit key/) },
    });
    const unsigned = anchorFile();
    appendAuditAnchor(unsigned, makeAuditAnchor((await auditHead(db))!, null));
    expect(await verifyAuditAnchors(db, unsigned, KEY)).toMatchObject({
      ok: false,
      firstBroken: { reason: expect.stringMatching(/is not signed by this audit key/) },
    });
    // Without a key, the anchor file alone still checks existence and hashes.
    expect(await verifyAuditAnchors(db, unsigned, null)).toEqual({ ok: true, checked: 1 });
  });

  test("GDC_AUDIT_KEY / GDC_AUDIT_KEY_FILE: read from outside the database, at least 16 characters", () => {
    expect(readAuditKey({})).toBeNull();
    expect(readAuditKey({ GDC_AUDIT_KEY: "0123456789abcdef" })).toEqual(Buffer.from("0123456789abcdef"));
    const keyFile = path.join(dir, "key");
    fs.writeFileSync(keyFile, "from-a-file-0123456789\n");
    expect(readAuditKey({ GDC_AUDIT_KEY_FILE: keyFile })).toEqual(Buffer.from("from-a-file-0123456789"));
    expect(() => readAuditKey({ GDC_AUDIT_KEY: "short" })).toThrow(/GDC_AUDIT_KEY .* must be at least 16 characters/);
  });
});

describe("gapless sequence numbers", () => {
  test("a transaction rolled back after appending its event leaves no gap in seq", async () => {
    const t = await createTestDatabase();
    databases.push(t);
    await createDataset(t.db, systemActor(), { name: "gapless-1" });
    const before = (await auditHead(t.db))!;
    await expect(
      auditedTransaction(t.db, systemActor(), async (tx) => {
        await appendAuditEvent(tx, systemActor(), { action: "test.rolledBack", targetType: "Test", targetId: "x" });
        throw new Error("rolled back after its audit event");
      }),
    ).rejects.toThrow(/rolled back/);
    await expect(
      auditedTransaction(t.db, { userId: "00000000-0000-7000-8000-000000000000", label: "ghost", role: "ADMIN" }, async (tx) => {
        const d = await tx.dataset.create({ data: { name: "audit-insert-fails" } });
        return { result: d, audit: { action: "dataset.create", targetType: "Dataset", targetId: d.id } };
      }),
    ).rejects.toThrow();
    await createDataset(t.db, systemActor(), { name: "gapless-2" });
    const after = (await auditHead(t.db))!;
    expect(BigInt(after.seq)).toBe(BigInt(before.seq) + 1n);
    const seqs = (await t.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" }, select: { seq: true } })).map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => BigInt(i + 1)));
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
  });
});
