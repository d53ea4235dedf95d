import { GOVERNANCE_FLAGS } from "@gdc/cartography";
import type { Database } from "../database.ts";

export { countGovernanceFlags, GOVERNANCE_FLAGS, type GovernanceFlag } from "@gdc/cartography";

/**
 * A run's governance column: what governance has done or proposes for each point of its data
 * map (GOVERNANCE_FLAGS bits), read over the run's version and its child versions, the
 * versions a proposal from this run's map targets (issue 15).
 */
export interface RunGovernance {
  runId: string;
  /** Points of the run (its run_examples), row i = run ordinal i, as in the data map. */
  count: number;
  /** GOVERNANCE_FLAGS bits per point; 0 when nothing was proposed for it. */
  flags: Uint8Array;
  /** The versions read: the run's own and its children, in number order. */
  versions: { id: string; number: number; status: string }[];
}

/**
 * A run's governance column in one statement: every intervention on the run's version or one
 * of its children, joined to the run's ordinal of its example (run_examples' unique
 * (run_id, example_id) index) and OR-ed per ordinal on the server; the ordinals and flags come
 * back as one bytea (int4send + one byte), not as one driver row per intervention. Only
 * points with a flag cost anything, so a 1 M-point run with few proposals reads a few bytes.
 * Null when the run does not exist.
 */
export async function readRunGovernance(db: Database, runId: string): Promise<RunGovernance | null> {
  const [row] = await db.sql<{
    count: number;
    packed: Uint8Array | null;
    versions: { id: string; number: number; status: string }[] | null;
  }>(
    `WITH run AS (SELECT id, version_id FROM runs WHERE id = $1::uuid),
          versions AS (SELECT v.id, v.number, v.status FROM dataset_versions v, run WHERE v.id = run.version_id OR v.parent_id = run.version_id),
          flagged AS (
            SELECT re.ordinal,
                   bit_or(CASE
                            WHEN i.status = 'PROPOSED' AND v.status = 'DRAFT' THEN ${GOVERNANCE_FLAGS.PENDING}
                            WHEN i.status = 'APPROVED' AND v.status = 'DRAFT' THEN ${GOVERNANCE_FLAGS.APPROVED}
                            WHEN i.status = 'REJECTED' THEN ${GOVERNANCE_FLAGS.REJECTED}
                            WHEN i.status = 'APPLIED' AND i.action = 'PRUNE' THEN ${GOVERNANCE_FLAGS.PRUNED}
                            WHEN i.status = 'APPLIED' AND i.action = 'DOWNWEIGHT' THEN ${GOVERNANCE_FLAGS.DOWNWEIGHTED}
                            ELSE 0 END) AS flags
              FROM versions v
              JOIN interventions i ON i.version_id = v.id
              JOIN run_examples re ON re.run_id = $1::uuid AND re.example_id = i.example_id
             GROUP BY re.ordinal)
     SELECT (SELECT count(*)::int FROM run_examples WHERE run_id = $1::uuid) AS count,
            (SELECT string_agg(int4send(f.ordinal) || set_byte('\\x00'::bytea, 0, f.flags), ''::bytea) FROM flagged f WHERE f.flags <> 0) AS packed,
            (SELECT json_agg(json_build_object('id', v.id, 'number', v.number, 'status', v.status) ORDER BY v.number) FROM versions v) AS versions
       FROM run`,
    [runId],
  );
  if (!row) return null;
  const flags = new Uint8Array(row.count);
  const packed = row.packed;
  if (packed) {
    const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
    for (let at = 0; at + 5 <= packed.length; at += 5) {
      const ordinal = view.getInt32(at, false);
      if (ordinal >= 0 && ordinal < flags.length) flags[ordinal] = packed[at + 4]!;
    }
  }
  return { runId, count: row.count, flags, versions: row.versions ?? [] };
}
