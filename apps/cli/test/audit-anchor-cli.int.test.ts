// `gdc audit anchor` / `gdc audit verify --anchor` through the real API and binary (issue 13 F9),
// and the worker's sweep writing the anchor file.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDataset, verifyAuditChain } from "@gdc/db";
import { startWorker } from "@gdc/worker";
import { startGovernanceHarness, type GovernanceHarness } from "../../api/test/governance-harness.ts";
import { gdc } from "./run-gdc.ts";

let h: GovernanceHarness;
let dir: string;
beforeAll(async () => {
  h = await startGovernanceHarness();
  dir = mkdtempSync(path.join(tmpdir(), "gdc-anchor-cli-"));
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const KEY = "cli-test-audit-key-0123456789";

describe("gdc audit anchor / verify --anchor", () => {
  test("an honest chain verifies with its signed anchor; cutting the last events off fails with exit 1 naming the truncation", async () => {
    const env = { GDC_API_URL: h.api.url, GDC_TOKEN: h.users.VIEWER.token, GDC_AUDIT_KEY: KEY };
    const file = path.join(dir, "anchor.jsonl");
    const anchored = await gdc(["audit", "anchor", "--anchor", file], env);
    expect(anchored.stderr).toBe("");
    expect(anchored.code).toBe(0);
    expect(anchored.stdout).toMatch(/^anchored: seq \d+, head [0-9a-f]{64} \(signed\)\n$/);
    const line = JSON.parse(readFileSync(file, "utf8").trim()) as { seq: string; mac: string };
    expect(line.mac).toMatch(/^[0-9a-f]{64}$/);

    await createDataset(h.db, h.users.ENGINEER.actor, { name: "after-the-anchor" });
    const ok = await gdc(["audit", "verify", "--anchor", file], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^audit chain ok: \d+ events, head [0-9a-f]{64}; 1 anchor\(s\) match \(signatures verified\)\n$/);

    // A superuser removes the anchored head and everything after it.
    await h.db.sql(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
    try {
      await h.db.sql(`DELETE FROM audit_events WHERE seq >= $1::int8`, [line.seq]);
    } finally {
      await h.db.sql(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    }
    expect(await verifyAuditChain(h.db)).toMatchObject({ ok: true });
    const plain = await gdc(["audit", "verify"], env);
    expect(plain.code).toBe(0); // the chain alone cannot tell
    const cut = await gdc(["audit", "verify", "--anchor", file], env);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain(`audit chain does not match its anchor (${file}) at seq ${line.seq}: anchored event seq ${line.seq}`);
    expect(cut.stderr).toContain("the audit trail was truncated");
    // A different key: the anchor is not this key's.
    const foreign = await gdc(["audit", "verify", "--anchor", file], { ...env, GDC_AUDIT_KEY: "another-key-0123456789" });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/is not signed by this audit key/);
  });

  test("the worker's sweep appends the head to GDC_AUDIT_ANCHOR_FILE, signed, when it changed", async () => {
    const file = path.join(dir, "sweep-anchor.jsonl");
    process.env.GDC_AUDIT_KEY = KEY;
    const worker = await startWorker({ db: h.db, queue: h.queue, log: () => {} }, { sweepSeconds: 0.2, auditAnchorFile: file });
    try {
      await createDataset(h.db, h.users.ENGINEER.actor, { name: "swept-into-the-anchor" });
      const head = await h.db.prisma.auditEvent.findFirstOrThrow({ orderBy: { seq: "desc" } });
      const deadline = Date.now() + 10_000;
      let lines: { seq: string; hash: string; mac?: string }[] = [];
      while (Date.now() < deadline) {
        lines = readFileSafe(file);
        if (lines.at(-1)?.seq === head.seq.toString()) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(lines.at(-1)).toMatchObject({ seq: head.seq.toString(), hash: head.hash, mac: expect.stringMatching(/^[0-9a-f]{64}$/) });
      await new Promise((r) => setTimeout(r, 600));
      expect(readFileSafe(file)).toHaveLength(lines.length); // unchanged head: not appended again
    } finally {
      worker.stop();
      delete process.env.GDC_AUDIT_KEY;
    }
  });
});

function readFileSafe(file: string): { seq: string; hash: string; mac?: string }[] {
  try {
    return readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { seq: string; hash: string; mac?: string });
  } catch {
    return [];
  }
}
