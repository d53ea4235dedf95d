import { createHash } from "node:crypto";
import { z } from "zod";
import type { Database } from "../database.ts";
import { auditedTransaction, type Actor, type Tx } from "../audit.ts";
import { canonicalJson } from "../canonical-json.ts";
import { DomainError, notFound } from "../errors.ts";
import { assertDraft } from "./versions.ts";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why PostgreSQL would refuse to store `s` in a text or jsonb column, or null: a NUL character
 * (text and jsonb both reject \u0000) or invalid Unicode (a lone UTF-16 surrogate). Checked
 * before anything is written, so a bad record late in a file writes nothing.
 */
export function unstorableTextReason(s: string): string | null {
  const nul = s.indexOf("\u0000");
  if (nul >= 0) return `contains a NUL character (\\u0000) at position ${nul}, which the database cannot store`;
  const lone = LONE_SURROGATE.exec(s);
  if (lone) return `is not valid Unicode (a lone surrogate \\u${lone[0].charCodeAt(0).toString(16).toUpperCase()} at position ${lone.index})`;
  return null;
}

/** A string the database can store (see unstorableTextReason). */
const storable = (schema: z.ZodString) =>
  schema.superRefine((s, ctx) => {
    const reason = unstorableTextReason(s);
    if (reason) ctx.addIssue({ code: "custom", message: reason });
  });

/** Every key and string inside a payload must be storable in jsonb too; the issue names the path. */
function checkPayload(value: unknown, path: (string | number)[], ctx: z.RefinementCtx): void {
  if (typeof value === "string") {
    const reason = unstorableTextReason(value);
    if (reason) ctx.addIssue({ code: "custom", message: reason, path });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkPayload(v, [...path, i], ctx));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const reason = unstorableTextReason(k);
      if (reason) ctx.addIssue({ code: "custom", message: `key ${reason}`, path: [...path, k] });
      checkPayload(v, [...path, k], ctx);
    }
  }
}

export const exampleRecordSchema = z
  .object({
    id: storable(z.string().min(1).max(200)).optional(),
    text: storable(z.string().min(1, "must not be empty").max(1_000_000)),
    split: z.enum(["train", "validation", "test", "TRAIN", "VALIDATION", "TEST"]).optional(),
    canary: z
      .object({ prefix: storable(z.string().min(1)), secret: storable(z.string().min(1)) })
      .strict()
      .optional(),
    // null as the export writes it for an example without one.
    payload: z
      .record(z.string(), z.unknown())
      .superRefine((p, ctx) => checkPayload(p, [], ctx))
      .nullish(),
    /** The example's weight in the version (what an export of a curated version carries); default 1. */
    weight: z.number().gt(0, "must be in (0, 1]").lte(1, "must be in (0, 1]").optional(),
  })
  .strict();
export type ExampleRecord = z.infer<typeof exampleRecordSchema>;

/**
 * Validates one record; `where` names it in errors ("line 12", "records[3]").
 * Throws BAD_USER_INPUT naming the field.
 */
export function parseExampleRecord(value: unknown, where: string): ExampleRecord {
  const parsed = exampleRecordSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.join(".") : "record";
  throw new DomainError("BAD_USER_INPUT", `${where}: ${field}: ${issue.message}`, `${where}.${field}`);
}

export const exampleContentHash = (r: Pick<ExampleRecord, "text" | "payload">) =>
  createHash("sha256")
    .update(canonicalJson({ text: r.text, payload: r.payload ?? null }))
    .digest("hex");

export interface ImportExamplesOptions {
  versionId: string;
  records: ExampleRecord[];
  /** Describes where the records came from, for errors ("line N" by default: 1-based index). */
  describe?: (index: number) => string;
  /**
   * Check only: run the import with every check (version, record schema, ids that already name
   * other content in the dataset) and roll it back, writing nothing and no audit event; the
   * counts are what the import would do now. `gdc import-examples` checks every batch of a file
   * this way before it writes the first.
   */
  dryRun?: boolean;
}

export interface ImportExamplesResult {
  received: number;
  created: number;
  alreadyPresent: number;
  addedToVersion: number;
}

/**
 * Adds examples to a draft version. Idempotent by content hash: importing the same records
 * again creates nothing and adds nothing. All or nothing: any bad record rejects the batch.
 */
export async function importExamples(db: Database, actor: Actor, options: ImportExamplesOptions): Promise<ImportExamplesResult> {
  const { versionId, records } = options;
  const describe = options.describe ?? ((i: number) => `records[${i}]`);
  // Every record is checked (schema, NUL, invalid Unicode) before anything is written.
  records.forEach((r, i) => parseExampleRecord(r, describe(i)));
  const rows = records.map((r, i) => {
    const contentHash = exampleContentHash(r);
    return {
      where: describe(i),
      key: r.id ?? contentHash,
      contentHash,
      text: r.text,
      payload: r.payload ? canonicalJson(r.payload) : null,
      weight: r.weight ?? 1,
      split: (r.split ?? "TRAIN").toUpperCase(),
      isCanary: Boolean(r.canary),
      canaryPrefix: r.canary?.prefix ?? null,
      canarySecret: r.canary?.secret ?? null,
    };
  });
  assertUniqueWithinBatch(rows);

  try {
    return await auditedTransaction(
      db,
      actor,
      async (tx) => {
        const version = await tx.datasetVersion.findUnique({ where: { id: versionId } });
        if (!version) throw notFound("DatasetVersion", versionId);
        assertDraft(version);
        const datasetId = version.datasetId;
        await assertKeysMatchContent(tx, datasetId, rows);

        const created = await tx.$executeRawUnsafe(
          `INSERT INTO examples (id, dataset_id, key, content_hash, text, payload, split, is_canary, canary_prefix, canary_secret)
           SELECT gen_random_uuid(), $1::uuid, k, h, t, p::jsonb, s::"Split", c, cp, cs
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::text[], $9::text[])
             WITH ORDINALITY AS r(k, h, t, p, s, c, cp, cs, i)
           -- position (the import order a run's rows follow) is drawn row by row in this order.
           ORDER BY i
           ON CONFLICT (dataset_id, content_hash) DO NOTHING`,
          datasetId,
          rows.map((r) => r.key),
          rows.map((r) => r.contentHash),
          rows.map((r) => r.text),
          rows.map((r) => r.payload),
          rows.map((r) => r.split),
          rows.map((r) => r.isCanary),
          rows.map((r) => r.canaryPrefix),
          rows.map((r) => r.canarySecret),
        );
        const added = await tx.$executeRawUnsafe(
          `INSERT INTO version_examples (version_id, example_id, weight)
           SELECT $1::uuid, e.id, w.weight
             FROM unnest($3::text[], $4::real[]) AS w(hash, weight) JOIN examples e ON e.dataset_id = $2::uuid AND e.content_hash = w.hash
           ON CONFLICT DO NOTHING`,
          versionId,
          datasetId,
          rows.map((r) => r.contentHash),
          rows.map((r) => r.weight),
        );
        const result = { received: rows.length, created, alreadyPresent: rows.length - created, addedToVersion: added };
        if (options.dryRun) throw new NothingChanged(result);
        // A repeat that creates and adds nothing changed nothing: no audit event (GOVERNANCE.md).
        if (created === 0 && added === 0) throw new NothingChanged(result);
        return { result, audit: { action: "examples.import", targetType: "DatasetVersion", targetId: versionId, after: result } };
      },
      { timeoutMs: 600_000 },
    );
  } catch (err) {
    if (err instanceof NothingChanged) return err.result;
    throw err;
  }
}

/** Ends a transaction that wrote nothing without an audit event; carries the result out. */
class NothingChanged extends Error {
  constructor(readonly result: ImportExamplesResult) {
    super("nothing changed");
  }
}

function assertUniqueWithinBatch(rows: { where: string; key: string; contentHash: string }[]) {
  const byKey = new Map<string, { where: string; contentHash: string }>();
  for (const row of rows) {
    const seen = byKey.get(row.key);
    if (seen && seen.contentHash !== row.contentHash) {
      throw new DomainError("BAD_USER_INPUT", `${row.where}: id: "${row.key}" is also used by ${seen.where} with different content`, `${row.where}.id`);
    }
    byKey.set(row.key, row);
  }
}

/** An id that already names different content in the dataset is a user error, not a silent skip. */
async function assertKeysMatchContent(tx: Tx, datasetId: string, rows: { where: string; key: string; contentHash: string }[]) {
  const existing = await tx.$queryRawUnsafe<{ key: string; content_hash: string }[]>(
    `SELECT key, content_hash FROM examples WHERE dataset_id = $1::uuid AND key = ANY($2::text[])`,
    datasetId,
    rows.map((r) => r.key),
  );
  const known = new Map(existing.map((e) => [e.key, e.content_hash]));
  for (const row of rows) {
    const hash = known.get(row.key);
    if (hash !== undefined && hash !== row.contentHash) {
      throw new DomainError(
        "BAD_USER_INPUT",
        `${row.where}: id: "${row.key}" already names an example with different content in this dataset`,
        `${row.where}.id`,
      );
    }
  }
}
