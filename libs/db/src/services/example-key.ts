import type { Database } from "../database.ts";

/**
 * The key a caller sees for an example. A canary imported without an id is keyed by its content
 * hash, which is derived from its secret: roles that may not read canary secrets see
 * `canary:<example id>` instead. Every path that hands out keys (GraphQL Example.key, the data
 * map's example_key column, the run scores download) goes through this one rule.
 */
export function visibleExampleKey(example: { id: string; key: string; isCanary: boolean; contentHash: string | null }, canarySecretsVisible: boolean): string {
  return example.isCanary && !canarySecretsVisible && example.key === example.contentHash ? `canary:${example.id}` : example.key;
}

export interface RunExampleKeys {
  /** Example keys in run-ordinal order, as stored. */
  keys: string[];
  /** The same keys as roles that may not read canary secrets see them (visibleExampleKey). */
  redacted: string[];
}

/** A run's example keys in ordinal order (row i of every per-run file), both as stored and redacted. */
export async function readRunExampleKeys(db: Database, runId: string): Promise<RunExampleKeys> {
  // Canaries are few: their ids and content hashes come aside, not on every row.
  const [row] = await db.sql<{ keys: string[] | null; canaries: [number, string, string][] | null }>(
    `SELECT json_agg(e.key ORDER BY re.ordinal) AS keys,
            json_agg(json_build_array(re.ordinal, e.id, e.content_hash)) FILTER (WHERE e.is_canary) AS canaries
       FROM run_examples re JOIN examples e ON e.id = re.example_id
      WHERE re.run_id = $1::uuid`,
    [runId],
  );
  const keys = row?.keys ?? [];
  const redacted = keys.slice();
  for (const [ordinal, id, contentHash] of row?.canaries ?? []) {
    redacted[ordinal] = visibleExampleKey({ id, key: keys[ordinal]!, isCanary: true, contentHash }, false);
  }
  return { keys, redacted };
}
