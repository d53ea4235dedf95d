import { isQuadrant } from "@gdc/cartography";
import type { Database } from "../database.ts";
import { badInput } from "../errors.ts";
import type { Example } from "../generated/prisma/client.ts";

export const EXAMPLE_ORDER_FIELDS = ["DIFFICULTY", "MEMORIZATION", "FORGET_EVENTS", "CONFIDENCE", "VARIABILITY", "CORRECTNESS", "KEY"] as const;
export type ExampleOrderField = (typeof EXAMPLE_ORDER_FIELDS)[number];
export type SortDirection = "ASC" | "DESC";

export interface ExampleFilter {
  quadrants?: readonly string[] | null;
  split?: string | null;
  isCanary?: boolean | null;
  difficultyMin?: number | null;
  difficultyMax?: number | null;
  memorizationMin?: number | null;
  memorizationMax?: number | null;
  neverLearned?: boolean | null;
  /** Case-insensitive substring of the key or the text. */
  search?: string | null;
}

export interface ExampleScoreRow {
  difficulty: number;
  /** The run's chosen signal (memorizationSignalOf(run.scoringResolved)). */
  memorization: number;
  /** The signals, null for runs scored before they were stored (forgetFrequency was backfilled). */
  forgetFrequency: number | null;
  lossDrop: number | null;
  relativeLossDrop: number | null;
  excessLossDrop: number | null;
  accuracyGain: number | null;
  meanLoss: number | null;
  forgetEvents: number;
  neverLearned: boolean;
  confidence: number;
  variability: number;
  correctness: number;
  quadrant: string;
}

/**
 * An example as the API's Example type takes it (the Prisma row without `payload` and
 * `createdAt`, which no listing shows: parsing them was a tenth of a page's cost), with its
 * score in the listed run.
 */
export type ListedExample = Omit<Example, "payload" | "createdAt" | "position"> & {
  /** The run ordinal (run listings) — null in a version listing. */
  ordinal: number | null;
  /** The example's weight in the listed version (version listings) — null in a run listing. */
  weight: number | null;
  /** Its score in the listed run, null when not scored (or in a version listing). */
  runScore: { runId: string; score: ExampleScoreRow | null } | null;
};

export interface ExamplePage {
  edges: { cursor: string; node: ListedExample }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Counted only when asked for (a second query over every match). */
  totalCount: () => Promise<number>;
}

export interface QueryExamplesOptions {
  /** List a run's examples with their scores in it… */
  runId?: string | null;
  /** …or a version's members (no scores: filters and orders on scores need a run). */
  versionId?: string | null;
  first?: number | null;
  after?: string | null;
  filter?: ExampleFilter | null;
  orderBy?: { field: ExampleOrderField; direction?: SortDirection | null } | null;
  /**
   * False for roles that must not learn canary text: `search` then matches canaries by key only
   * (never a key that is the canary's content hash), and ordering by KEY (and its cursor) uses the
   * key those roles are shown, canary:<id>, for such a canary.
   */
  canaryTextSearchable?: boolean;
}

export const MAX_EXAMPLES_PAGE = 500;
export const DEFAULT_EXAMPLES_PAGE = 50;

const SCORE_COLUMN: Record<Exclude<ExampleOrderField, "KEY">, { column: string; cast: string }> = {
  DIFFICULTY: { column: "s.difficulty", cast: "real" },
  MEMORIZATION: { column: "s.memorization", cast: "real" },
  FORGET_EVENTS: { column: "s.forget_events", cast: "int" },
  CONFIDENCE: { column: "s.confidence", cast: "real" },
  VARIABILITY: { column: "s.variability", cast: "real" },
  CORRECTNESS: { column: "s.correctness", cast: "real" },
};
/** The score columns of `example_scores s` (without the quadrant), as scoreRowOf reads them. */
export const SCORE_SIGNAL_COLUMNS =
  "s.difficulty, s.memorization, s.forget_frequency, s.loss_drop, s.relative_loss_drop, s.excess_loss_drop, s.accuracy_gain, s.mean_loss, s.forget_events, s.never_learned, s.confidence, s.variability, s.correctness";

const nullableNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/** An ExampleScoreRow from a row holding SCORE_SIGNAL_COLUMNS and `quadrant` (text). */
export function scoreRowOf(row: Record<string, unknown>): ExampleScoreRow {
  return {
    difficulty: Number(row.difficulty),
    memorization: Number(row.memorization),
    forgetFrequency: nullableNumber(row.forget_frequency),
    lossDrop: nullableNumber(row.loss_drop),
    relativeLossDrop: nullableNumber(row.relative_loss_drop),
    excessLossDrop: nullableNumber(row.excess_loss_drop),
    accuracyGain: nullableNumber(row.accuracy_gain),
    meanLoss: nullableNumber(row.mean_loss),
    forgetEvents: Number(row.forget_events),
    neverLearned: Boolean(row.never_learned),
    confidence: Number(row.confidence),
    variability: Number(row.variability),
    correctness: Number(row.correctness),
    quadrant: row.quadrant as string,
  };
}

const SPLITS = new Set(["TRAIN", "VALIDATION", "TEST"]);
/** A qualified column's name in the selected row ("s.forget_events" → "forget_events"). */
const columnName = (column: string) => column.slice(column.indexOf(".") + 1);

/** The cursor: the order it belongs to, the row's sort value and its tiebreak, opaque to clients. */
interface CursorContent {
  order: string;
  value: string | number | null;
  tiebreak: string | number;
}
const encodeCursor = (c: CursorContent) => Buffer.from(JSON.stringify([c.order, c.value, c.tiebreak])).toString("base64url");
function decodeCursor(cursor: string, order: string): CursorContent {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 3 && typeof parsed[0] === "string" && (typeof parsed[2] === "string" || typeof parsed[2] === "number")) {
      if (parsed[0] !== order) throw badInput("after", "this cursor belongs to another ordering; start again without `after`");
      return { order: parsed[0], value: parsed[1] as string | number | null, tiebreak: parsed[2] };
    }
  } catch (err) {
    if (err instanceof Error && err.name === "DomainError") throw err;
  }
  throw badInput("after", "is not a cursor of this listing");
}

/**
 * One page of examples (Relay cursor pagination): a run's examples with their scores in it,
 * or a version's members. Ordering by any score (or the key) with the run ordinal (the example
 * id in a version listing) as the tiebreak, both in the cursor, so that paging visits every
 * matching example exactly once. `first` is capped at 500 (BAD_USER_INPUT above it).
 */
export async function queryExamples(db: Database, options: QueryExamplesOptions): Promise<ExamplePage> {
  const first = options.first ?? DEFAULT_EXAMPLES_PAGE;
  if (!Number.isInteger(first) || first < 0) throw badInput("first", `must be a non-negative integer, got ${first}`);
  if (first > MAX_EXAMPLES_PAGE) throw badInput("first", `must be at most ${MAX_EXAMPLES_PAGE}, got ${first}`);
  if (Boolean(options.runId) === Boolean(options.versionId)) throw badInput("runId", "give exactly one of runId and versionId");
  const filter = options.filter ?? {};
  const field = options.orderBy?.field ?? null;
  if (field !== null && !EXAMPLE_ORDER_FIELDS.includes(field)) throw badInput("orderBy.field", `must be one of ${EXAMPLE_ORDER_FIELDS.join(", ")}`);
  const direction: SortDirection = options.orderBy?.direction ?? (field === null || field === "KEY" ? "ASC" : "DESC");
  if (direction !== "ASC" && direction !== "DESC") throw badInput("orderBy.direction", "must be ASC or DESC");
  const scoreFilter = Boolean(
    filter.quadrants?.length ||
    filter.difficultyMin != null ||
    filter.difficultyMax != null ||
    filter.memorizationMin != null ||
    filter.memorizationMax != null ||
    filter.neverLearned != null,
  );
  const scoreOrder = field !== null && field !== "KEY";

  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  let from: string;
  let tiebreak: { column: string; cast: string };
  let listedRun: string | null = null;
  if (options.runId) {
    listedRun = options.runId;
    const run = p(options.runId);
    if (scoreFilter || scoreOrder) {
      // Scored examples only: the score indexes (run_id, memorization|difficulty|quadrant) drive the plan.
      from = `example_scores s JOIN examples e ON e.id = s.example_id`;
      where.push(`s.run_id = ${run}::uuid`);
      tiebreak = { column: "s.ordinal", cast: "int" };
    } else {
      from = `run_examples re JOIN examples e ON e.id = re.example_id LEFT JOIN example_scores s ON s.run_id = re.run_id AND s.ordinal = re.ordinal`;
      where.push(`re.run_id = ${run}::uuid`);
      tiebreak = { column: "re.ordinal", cast: "int" };
    }
  } else {
    if (scoreFilter) throw badInput("filter", "quadrant, difficulty, memorization and neverLearned filters need a run");
    if (scoreOrder) throw badInput("orderBy.field", `${field} is a score: order a run's examples by it`);
    from = `version_examples ve JOIN examples e ON e.id = ve.example_id`;
    where.push(`ve.version_id = ${p(options.versionId)}::uuid`);
    tiebreak = { column: "e.id", cast: "uuid" };
  }

  if (filter.quadrants?.length) {
    filter.quadrants.forEach((q, i) => {
      if (!isQuadrant(q)) throw badInput(`filter.quadrants[${i}]`, `${JSON.stringify(q)} is not a quadrant`);
    });
    where.push(`s.quadrant = ANY(${p(`{${filter.quadrants.join(",")}}`)}::"Quadrant"[])`);
  }
  if (filter.split != null) {
    if (!SPLITS.has(filter.split)) throw badInput("filter.split", "must be TRAIN, VALIDATION or TEST");
    where.push(`e.split = ${p(filter.split)}::"Split"`);
  }
  if (filter.isCanary != null) where.push(`e.is_canary = ${p(filter.isCanary)}`);
  if (filter.neverLearned != null) where.push(`s.never_learned = ${p(filter.neverLearned)}`);
  for (const [name, column, op] of [
    ["difficultyMin", "s.difficulty", ">="],
    ["difficultyMax", "s.difficulty", "<="],
    ["memorizationMin", "s.memorization", ">="],
    ["memorizationMax", "s.memorization", "<="],
  ] as const) {
    const value = filter[name];
    if (value == null) continue;
    if (!Number.isFinite(value)) throw badInput(`filter.${name}`, "must be a finite number");
    where.push(`${column} ${op} ${p(value)}::real`);
  }
  if (filter.search != null && filter.search !== "") {
    if (filter.search.length > 200) throw badInput("filter.search", "must be at most 200 characters");
    const pattern = p(`%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    // Canary text must not be probed by roles that may not read it, nor a canary key that is
    // its content hash (a canary imported without an id): hash prefixes would narrow the secret.
    where.push(
      options.canaryTextSearchable === false
        ? `((e.key ILIKE ${pattern} AND NOT (e.is_canary AND e.key = e.content_hash)) OR (NOT e.is_canary AND e.text ILIKE ${pattern}))`
        : `(e.key ILIKE ${pattern} OR e.text ILIKE ${pattern})`,
    );
  }
  const filterWhere = [...where];
  const filterParams = [...params];

  // For roles that may not read canaries, a canary whose key is its content hash is listed (and
  // ordered, and paged) by the key they are shown, canary:<id>: ordering by the stored key would
  // place it by its hash, and a cursor would carry the hash (issue 13 F7).
  const keyColumn =
    options.canaryTextSearchable === false ? `(CASE WHEN e.is_canary AND e.key = e.content_hash THEN 'canary:' || e.id::text ELSE e.key END)` : "e.key";
  const sort =
    field === null
      ? null
      : field === "KEY"
        ? { column: keyColumn, cast: "text", selected: "sort_key" }
        : { ...SCORE_COLUMN[field], selected: columnName(SCORE_COLUMN[field].column) };
  const orderTag = `${field ?? "DEFAULT"}:${direction}`;
  const op = direction === "ASC" ? ">" : "<";
  if (options.after) {
    const cursor = decodeCursor(options.after, orderTag);
    if (sort) {
      where.push(`(${sort.column}, ${tiebreak.column}) ${op} (${p(cursor.value)}::${sort.cast}, ${p(cursor.tiebreak)}::${tiebreak.cast})`);
    } else {
      where.push(`${tiebreak.column} ${op} ${p(cursor.tiebreak)}::${tiebreak.cast}`);
    }
  }
  const orderBy = sort ? `${sort.column} ${direction}, ${tiebreak.column} ${direction}` : `${tiebreak.column} ${direction}`;
  const rows = await db.sql<Record<string, unknown>>(
    `SELECT e.id, e.dataset_id, e.key, e.content_hash, e.text, e.split::text AS split, e.is_canary, e.canary_prefix, e.canary_secret,${field === "KEY" ? ` ${keyColumn} AS sort_key,` : ""}
            ${options.runId ? `${tiebreak.column} AS ordinal, NULL::real AS weight` : "NULL::int AS ordinal, ve.weight"},
            ${options.runId ? `${SCORE_SIGNAL_COLUMNS}, s.quadrant::text AS quadrant` : "NULL AS quadrant"}
       FROM ${from}
      WHERE ${where.join(" AND ")}
      ORDER BY ${orderBy}
      LIMIT ${first + 1}`,
    params,
    // Prepared once per connection and filter shape (and page size: a literal LIMIT lets the
    // generic plan stay the index scan the custom one is; with LIMIT $n it was a parallel scan),
    // so PostgreSQL stops planning each page after a few: planning cost as much as running.
    { prepare: true },
  );

  const page = rows.slice(0, first);
  const edges = page.map((row) => {
    // The sort value and the tiebreak are columns of the row already (selected under their
    // own names: s.memorization → memorization, re.ordinal → ordinal, e.id → id). A real's
    // value read back through the driver casts to the same float4, so the cursor is exact.
    const tb = tiebreak.cast === "int" ? Number(row.ordinal) : String(row.id);
    const value = sort === null ? null : sort.cast === "text" ? String(row[sort.selected]) : Number(row[sort.selected]);
    return { cursor: encodeCursor({ order: orderTag, value, tiebreak: tb }), node: toListedExample(row, listedRun) };
  });
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: async () => {
      const [row] = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${from} WHERE ${filterWhere.join(" AND ")}`, filterParams);
      return row?.n ?? 0;
    },
  };
}

function toListedExample(row: Record<string, unknown>, runId: string | null): ListedExample {
  const scored = row.quadrant !== null && row.quadrant !== undefined;
  return {
    id: row.id as string,
    datasetId: row.dataset_id as string,
    key: row.key as string,
    contentHash: row.content_hash as string,
    text: row.text as string,
    split: row.split as Example["split"],
    isCanary: row.is_canary as boolean,
    canaryPrefix: (row.canary_prefix ?? null) as string | null,
    canarySecret: (row.canary_secret ?? null) as string | null,
    ordinal: row.ordinal === null || row.ordinal === undefined ? null : Number(row.ordinal),
    weight: row.weight === null || row.weight === undefined ? null : Number(row.weight),
    runScore:
      runId === null
        ? null
        : {
            runId,
            score: scored ? scoreRowOf(row) : null,
          },
  };
}
