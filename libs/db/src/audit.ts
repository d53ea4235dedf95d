import { createHash } from "node:crypto";
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
  // After the lock, in a later statement than it (see appendAuditEventSql): the head and the new seqs.
  const [head] = await tx.$queryRaw<{ hash: string | null; seqs: string[] }[]>`
    SELECT (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1) AS hash,
           (SELECT array_agg(nextval(pg_get_serial_sequence('audit_events', 'seq'))::text) FROM generate_series(1, ${entries.length}::int)) AS seqs`;
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
    `SELECT (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1) AS hash, nextval(pg_get_serial_sequence('audit_events', 'seq'))::text AS seq`,
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

export interface ChainVerification {
  ok: boolean;
  checked: number;
  headHash: string;
  /** The first event whose stored hash or link does not match, with the reason. */
  firstBroken?: { seq: string; reason: string };
}

/** Recomputes every hash in order, in pages, and names the first broken link. */
export async function verifyAuditChain(db: Database, pageSize = 5_000): Promise<ChainVerification> {
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let after: bigint = -1n;
  for (;;) {
    const rows = await db.prisma.auditEvent.findMany({ where: { seq: { gt: after } }, orderBy: { seq: "asc" }, take: pageSize });
    for (const row of rows) {
      if (row.prevHash !== prevHash) {
        return { ok: false, checked, headHash: prevHash, firstBroken: { seq: row.seq.toString(), reason: "prev_hash does not match the previous event's hash (an event was removed or reordered)" } };
      }
      const expected = hashAuditEvent({ ...row, before: row.before, after: row.after });
      if (expected !== row.hash) {
        return { ok: false, checked, headHash: prevHash, firstBroken: { seq: row.seq.toString(), reason: "content does not match its hash (the event was altered)" } };
      }
      prevHash = row.hash;
      checked++;
    }
    if (rows.length < pageSize) break;
    after = rows[rows.length - 1]!.seq;
  }
  return { ok: true, checked, headHash: prevHash };
}
