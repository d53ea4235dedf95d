import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import { Prisma } from "./generated/prisma/client.ts";
import type { Database, SqlTransaction } from "./database.ts";
import type { Role } from "./generated/prisma/enums.ts";
import { canonicalJson } from "./canonical-json.ts";

export type Tx = Prisma.TransactionClient;

/** Who did it: a user (through a token) or a system component. */
export interface Actor {
  userId: string | null;
  /** "user:<email>", "worker", "system", "cli" */
  label: string;
  role: Role | "SYSTEM";
}

export const systemActor = (label = "system"): Actor => ({ userId: null, label, role: "SYSTEM" });

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
}

export const GENESIS_HASH = "0".repeat(64);
/** Serialises appends so that the chain never forks (held until the transaction ends). */
const AUDIT_LOCK_KEY = 0x6764_6361; // "gdca"

interface HashedContent {
  seq: bigint;
  at: Date;
  actorId: string | null;
  actorLabel: string;
  action: string;
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
  prevHash: string;
}

export function hashAuditEvent(e: HashedContent): string {
  return createHash("sha256")
    .update(
      canonicalJson({
        seq: e.seq,
        at: e.at,
        actorId: e.actorId,
        actorLabel: e.actorLabel,
        action: e.action,
        targetType: e.targetType,
        targetId: e.targetId,
        before: e.before ?? null,
        after: e.after ?? null,
        prevHash: e.prevHash,
      }),
    )
    .digest("hex");
}

/** Appends one event to the chain. Call it inside the transaction of the change it records. */
export async function appendAuditEvent(tx: Tx, actor: Actor, entry: AuditEntry): Promise<{ seq: bigint; hash: string }> {
  return (await appendAuditEvents(tx, actor, [entry]))[0]!;
}

/**
 * Appends events in the order given, under one lock, with one read of the head and one insert
 * (a mutation that changes many records and audits each, e.g. reviewInterventions, pays no
 * more round trips than one event). Call it inside the transaction of the change it records.
 */
export async function appendAuditEvents(tx: Tx, actor: Actor, entries: readonly AuditEntry[]): Promise<{ seq: bigint; hash: string }[]> {
  if (entries.length === 0) return [];
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`;
  // After the lock, in a later statement than it (see appendAuditEventSql): the head and the new
  // seqs. The seqs follow the head (max + 1, …) rather than the column's sequence: under the lock
  // that is gapless, where a sequence skips the values of rolled-back transactions and, after a
  // crash, up to 32 values PostgreSQL had logged ahead (see GOVERNANCE.md, "Audit anchor").
  const [head] = await tx.$queryRaw<{ hash: string | null; seqs: string[] }[]>`
    WITH h AS (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1)
    SELECT (SELECT hash FROM h) AS hash,
           (SELECT array_agg((COALESCE((SELECT seq FROM h), 0) + i)::text) FROM generate_series(1, ${entries.length}::int) AS i) AS seqs`;
  const seqs = head!.seqs.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let prevHash = head!.hash ?? GENESIS_HASH;
  const events = entries.map((entry, i) => {
    const event = chainedEvent(actor, entry, seqs[i]!, prevHash);
    prevHash = event.hash;
    return event;
  });
  await tx.auditEvent.createMany({ data: events.map((e) => ({ ...e, before: e.before ?? Prisma.DbNull, after: e.after ?? Prisma.DbNull })) });
  return events.map((e) => ({ seq: e.seq, hash: e.hash }));
}

/**
 * The same append on a raw transaction (Database.transaction): same lock, same row, same hash.
 * The lock is its own statement: a statement's snapshot is taken before it starts, so the head
 * must be read by a later one, after the lock is held.
 */
export async function appendAuditEventSql(tx: SqlTransaction, actor: Actor, entry: AuditEntry): Promise<{ seq: bigint; hash: string }> {
  await tx.sql(`SELECT pg_advisory_xact_lock($1::int8)`, [AUDIT_LOCK_KEY]);
  const [head] = await tx.sql<{ hash: string | null; seq: string }>(
    `WITH h AS (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1)
     SELECT (SELECT hash FROM h) AS hash, (COALESCE((SELECT seq FROM h), 0) + 1)::text AS seq`,
  );
  const event = chainedEvent(actor, entry, BigInt(head!.seq), head!.hash ?? GENESIS_HASH);
  const json = (value: Prisma.InputJsonValue | null) => (value === null ? null : JSON.stringify(value));
  await tx.sql(
    `INSERT INTO audit_events (seq, at, actor_id, actor_label, action, target_type, target_id, before, after, prev_hash, hash)
     VALUES ($1::int8, $2::timestamptz, $3::uuid, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11)`,
    [
      event.seq.toString(),
      event.at.toISOString(),
      event.actorId,
      event.actorLabel,
      event.action,
      event.targetType,
      event.targetId,
      json(event.before),
      json(event.after),
      event.prevHash,
      event.hash,
    ],
  );
  return { seq: event.seq, hash: event.hash };
}

/** The row to append after `prevHash`, with its hash. */
function chainedEvent(actor: Actor, entry: AuditEntry, seq: bigint, prevHash: string) {
  const at = new Date();
  // JSON-safe copies (Dates → ISO, BigInt → string, keys sorted): what jsonb stores and the hash covers.
  const before = toStoredJson(entry.before);
  const after = toStoredJson(entry.after);
  const content = {
    seq,
    at,
    actorId: actor.userId,
    actorLabel: actor.label,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    before,
    after,
    prevHash,
  };
  return { ...content, hash: hashAuditEvent(content) };
}

const toStoredJson = (value: unknown): Prisma.InputJsonValue | null =>
  value === undefined || value === null ? null : (JSON.parse(canonicalJson(value)) as Prisma.InputJsonValue);

export interface TransactionOptions {
  /** Interactive transactions default to 5 s in Prisma; imports and releases need longer. */
  timeoutMs?: number;
}

/**
 * Runs one use case and its audit event in a single transaction: either both commit or
 * neither does. `work` returns its result and the audit entry describing the change (or one
 * entry per record, in order, for a change to many records that audits each).
 */
export async function auditedTransaction<T>(
  db: Database,
  actor: Actor,
  work: (tx: Tx) => Promise<{ result: T; audit: AuditEntry | readonly [AuditEntry, ...AuditEntry[]] }>,
  options: TransactionOptions = {},
): Promise<T> {
  return db.prisma.$transaction(
    async (tx) => {
      const { result, audit } = await work(tx);
      await appendAuditEvents(tx, actor, Array.isArray(audit) ? audit : [audit as AuditEntry]);
      return result;
    },
    { timeout: options.timeoutMs ?? 120_000, maxWait: 30_000 },
  );
}

/**
 * auditedTransaction on a raw transaction (Database.transaction), for hot paths whose statements
 * would otherwise each pay Prisma's per-query cost. Same guarantee: the change and its event
 * commit together or not at all.
 */
export async function auditedSqlTransaction<T>(
  db: Database,
  actor: Actor,
  work: (tx: SqlTransaction) => Promise<{ result: T; audit: AuditEntry }>,
): Promise<T> {
  return db.transaction(async (tx) => {
    const { result, audit } = await work(tx);
    await appendAuditEventSql(tx, actor, audit);
    return result;
  });
}

/** Events hashed between two yields to the event loop in verifyAuditChain (≈ a few ms). */
const YIELD_EVERY = 200;

export interface ChainVerification {
  ok: boolean;
  checked: number;
  headHash: string;
  /** The first event whose stored hash or link does not match, with the reason. */
  firstBroken?: { seq: string; reason: string };
}

/**
 * Recomputes every hash in order, in pages, and names the first broken link. The hashing runs on
 * the caller's event loop (the API's): it yields every YIELD_EVERY events, so other requests are
 * served in between instead of waiting for a whole page (bench/README "API under load").
 */
export async function verifyAuditChain(db: Database, pageSize = 2_000): Promise<ChainVerification> {
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let after: bigint = -1n;
  for (;;) {
    const rows = await db.prisma.auditEvent.findMany({ where: { seq: { gt: after } }, orderBy: { seq: "asc" }, take: pageSize });
    for (const row of rows) {
      if (row.prevHash !== prevHash) {
        return {
          ok: false,
          checked,
          headHash: prevHash,
          firstBroken: { seq: row.seq.toString(), reason: "prev_hash does not match the previous event's hash (an event was removed or reordered)" },
        };
      }
      const expected = hashAuditEvent({ ...row, before: row.before, after: row.after });
      if (expected !== row.hash) {
        return {
          ok: false,
          checked,
          headHash: prevHash,
          firstBroken: { seq: row.seq.toString(), reason: "content does not match its hash (the event was altered)" },
        };
      }
      prevHash = row.hash;
      checked++;
      if (checked % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (rows.length < pageSize) break;
    after = rows[rows.length - 1]!.seq;
  }
  return { ok: true, checked, headHash: prevHash };
}

// ─── Audit anchor (issue 13 F9) ───
// The hash chain shows an event altered or removed in the middle, but not the last events cut off,
// nor a chain rewritten from some event on with every later hash recomputed: nothing in the
// database is secret. An anchor is a checkpoint of the chain head, (seq, hash), kept outside the
// database — one JSON line appended to an anchor file — and signed with HMAC-SHA256 under a key
// the database never sees (GDC_AUDIT_KEY or GDC_AUDIT_KEY_FILE). Verifying with the anchor file
// checks that every anchored event still exists with its anchored hash: truncation (the event is
// gone) and a recomputed chain (its hash differs) both fail, and with the key a forged anchor
// line fails too.

export const AUDIT_ANCHOR_FORMAT = "gdc.audit-anchor.v1";

/** One checkpoint of the chain head, as stored (one JSON line) in the anchor file. */
export interface AuditAnchor {
  format: string;
  seq: string;
  hash: string;
  /** When the checkpoint was taken (ISO). */
  at: string;
  /** HMAC-SHA256 (hex) of `format\nseq\nhash` under the audit key; absent when written without one. */
  mac?: string;
}

/** The HMAC-SHA256 (hex) of a chain head under `key`. */
export function auditAnchorMac(key: Buffer, seq: string, hash: string): string {
  return createHmac("sha256", key).update(`${AUDIT_ANCHOR_FORMAT}\n${seq}\n${hash}`).digest("hex");
}

/**
 * The audit key from the environment: GDC_AUDIT_KEY (the key's text, at least 16 characters), or
 * GDC_AUDIT_KEY_FILE (a file holding it); null when neither is set. Keep it outside the database
 * and away from whoever administers the database.
 */
export function readAuditKey(env: NodeJS.ProcessEnv = process.env): Buffer | null {
  const text = env.GDC_AUDIT_KEY ?? (env.GDC_AUDIT_KEY_FILE ? fs.readFileSync(env.GDC_AUDIT_KEY_FILE, "utf8") : undefined);
  if (text === undefined) return null;
  const key = text.trim();
  if (key.length < 16) throw new Error("GDC_AUDIT_KEY (or the GDC_AUDIT_KEY_FILE contents) must be at least 16 characters");
  return Buffer.from(key, "utf8");
}

/** The chain head (the newest event), or null for an empty trail. */
export async function auditHead(db: Database): Promise<{ seq: string; hash: string } | null> {
  const [row] = await db.sql<{ seq: string; hash: string }>(`SELECT e.seq::text AS seq, e.hash FROM audit_events e ORDER BY e.seq DESC LIMIT 1`);
  return row ?? null;
}

/** An anchor for a head, signed when a key is given. */
export function makeAuditAnchor(head: { seq: string; hash: string }, key: Buffer | null, at = new Date()): AuditAnchor {
  return {
    format: AUDIT_ANCHOR_FORMAT,
    seq: head.seq,
    hash: head.hash,
    at: at.toISOString(),
    ...(key ? { mac: auditAnchorMac(key, head.seq, head.hash) } : {}),
  };
}

/** The anchors of an anchor file, in file order; throws naming the line when one is malformed. */
export function readAuditAnchors(file: string): AuditAnchor[] {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  return text
    .split("\n")
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line.length > 0)
    .map(([line, n]) => {
      let a: Partial<AuditAnchor>;
      try {
        a = JSON.parse(line) as Partial<AuditAnchor>;
      } catch {
        throw new Error(`audit anchor file ${file}, line ${n}: not JSON`);
      }
      if (
        a.format !== AUDIT_ANCHOR_FORMAT ||
        typeof a.seq !== "string" ||
        !/^\d+$/.test(a.seq) ||
        typeof a.hash !== "string" ||
        !/^[0-9a-f]{64}$/.test(a.hash)
      ) {
        throw new Error(`audit anchor file ${file}, line ${n}: not a ${AUDIT_ANCHOR_FORMAT} anchor`);
      }
      return a as AuditAnchor;
    });
}

/** Appends an anchor line (the file is created 0600); skips it when the last line anchors the same head. */
export function appendAuditAnchor(file: string, anchor: AuditAnchor): boolean {
  const last = readAuditAnchors(file).at(-1);
  if (last && last.seq === anchor.seq && last.hash === anchor.hash) return false;
  fs.appendFileSync(file, `${JSON.stringify(anchor)}\n`, { mode: 0o600 });
  return true;
}

/** Checkpoints the current head of the chain into the anchor file; the anchor, or null when nothing changed (or the trail is empty). */
export async function recordAuditAnchor(db: Database, file: string, key: Buffer | null): Promise<AuditAnchor | null> {
  const head = await auditHead(db);
  if (!head) return null;
  const anchor = makeAuditAnchor(head, key);
  return appendAuditAnchor(file, anchor) ? anchor : null;
}

export interface AnchorVerification {
  ok: boolean;
  /** Anchors that matched (all of them when ok). */
  checked: number;
  /** The first anchor that failed, with the reason. */
  firstBroken?: { seq: string; reason: string };
}

/**
 * Checks anchors against the chain: with a key, each anchor must carry its valid MAC; and each
 * anchored event must still exist (`hashAt(seq)` null: the chain was cut) with the anchored hash
 * (a different hash: the chain was rewritten and recomputed from there).
 */
export async function checkAuditAnchors(
  anchors: readonly AuditAnchor[],
  hashAt: (seq: string) => Promise<string | null>,
  key: Buffer | null,
): Promise<AnchorVerification> {
  let checked = 0;
  for (const a of anchors) {
    if (key) {
      const expected = Buffer.from(auditAnchorMac(key, a.seq, a.hash), "hex");
      const given = Buffer.from(a.mac ?? "", "hex");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return {
          ok: false,
          checked,
          firstBroken: { seq: a.seq, reason: `the anchor of seq ${a.seq} is not signed by this audit key (a forged or foreign anchor)` },
        };
      }
    }
    const hash = await hashAt(a.seq);
    if (hash === null) {
      return {
        ok: false,
        checked,
        firstBroken: { seq: a.seq, reason: `anchored event seq ${a.seq} (taken ${a.at}) no longer exists: the audit trail was truncated` },
      };
    }
    if (hash !== a.hash) {
      return {
        ok: false,
        checked,
        firstBroken: {
          seq: a.seq,
          reason: `event seq ${a.seq} no longer has its anchored hash (taken ${a.at}): the chain was rewritten and its hashes recomputed`,
        },
      };
    }
    checked++;
  }
  return { ok: true, checked };
}

/** verifyAuditChain, then the anchors of `file` against the database (see checkAuditAnchors). */
export async function verifyAuditAnchors(db: Database, file: string, key: Buffer | null): Promise<AnchorVerification> {
  return checkAuditAnchors(
    readAuditAnchors(file),
    async (seq) => {
      const [row] = await db.sql<{ hash: string }>(`SELECT hash FROM audit_events WHERE seq = $1::int8`, [seq]);
      return row?.hash ?? null;
    },
    key,
  );
}
