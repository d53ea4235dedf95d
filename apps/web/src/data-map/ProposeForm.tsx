"use client";
import Link from "next/link";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { ErrorNote } from "../components/Shell";
import { formatInt } from "../lib/format";
import { can, errorMessage, type Me } from "../lib/session";

const DRAFT_VERSIONS = /* GraphQL */ `
  query DraftVersions($datasetId: ID!) {
    dataset(id: $datasetId) {
      id
      versions { id number status parent { id } }
    }
  }
`;

const PROPOSE = /* GraphQL */ `
  mutation ProposeSelection($input: ProposeInput!) {
    proposeInterventions(input: $input) {
      proposed
      skipped
      interventions { id status }
    }
  }
`;

interface Props {
  me: Me;
  runId: string;
  version: { id: string; number: number; status: string; dataset: { id: string; name: string } };
  /** How many points are selected. */
  exampleCount: number;
  /** Their example ids; null while the ids are still loading (nothing is sent before). */
  exampleIds: string[] | null;
  /** Why the ids could not be loaded, if they could not. */
  idsError?: string | null;
  onRetryIds?: () => void;
}

/** "Propose intervention" for the points selected on the data map. */
export function ProposeForm({ me, runId, version, exampleCount, exampleIds, idsError = null, onRetryIds }: Props) {
  const [versions] = useQuery<{ dataset: { versions: { id: string; number: number; status: string; parent: { id: string } | null }[] } | null }>({
    query: DRAFT_VERSIONS,
    variables: { datasetId: version.dataset.id },
  });
  // Interventions change a draft: the run's own version when it is a draft, else a draft made from it.
  const drafts = useMemo(() => {
    const all = versions.data?.dataset?.versions ?? [];
    return all
      .filter((v) => v.status === "DRAFT")
      .sort((a, b) => {
        const rank = (v: (typeof all)[number]) => (v.id === version.id ? 0 : v.parent?.id === version.id ? 1 : 2);
        return rank(a) - rank(b) || b.number - a.number;
      });
  }, [versions.data, version.id]);
  const [target, setTarget] = useState("");
  useEffect(() => {
    if (drafts.length && !drafts.some((d) => d.id === target)) setTarget(drafts[0]!.id);
  }, [drafts, target]);

  const [action, setAction] = useState<"PRUNE" | "DOWNWEIGHT">("PRUNE");
  const [weight, setWeight] = useState("0.5");
  const [reason, setReason] = useState("");
  const [result, propose] = useMutation<{ proposeInterventions: { proposed: number; skipped: number } }>(PROPOSE);
  const [done, setDone] = useState<{ proposed: number; skipped: number } | null>(null);

  if (!can(me, "proposeInterventions")) {
    return <p className="muted">Your role ({me.role}) cannot propose interventions.</p>;
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    // The ids belong to the points selected now; without them there is nothing to send.
    if (!exampleIds || exampleIds.length !== exampleCount || exampleIds.length === 0) return;
    setDone(null);
    const r = await propose({
      input: {
        versionId: target,
        runId,
        exampleIds,
        action,
        ...(action === "DOWNWEIGHT" ? { weight: Number(weight) } : {}),
        reason: reason.trim(),
      },
    });
    if (r.data) {
      setDone(r.data.proposeInterventions);
      setReason("");
    }
  }

  const weightValue = Number(weight);
  const weightValid = action === "PRUNE" || (weightValue > 0 && weightValue < 1);

  return (
    <form onSubmit={onSubmit} className="card" aria-labelledby="propose-title" style={{ marginBottom: 0 }}>
      <h3 id="propose-title" style={{ marginTop: 0 }}>
        Propose intervention
      </h3>
      {exampleCount === 0 ? <p className="hint">Select points on the map (Shift-drag) to propose an intervention for them.</p> : null}
      {exampleCount > 0 && !exampleIds ? (
        idsError ? (
          <div className="error" role="alert">
            The selected examples' ids could not be loaded: {idsError}{" "}
            {onRetryIds ? (
              <button type="button" onClick={onRetryIds}>
                Retry
              </button>
            ) : null}
          </div>
        ) : (
          <p className="hint" data-testid="ids-loading">
            Loading the selected examples' ids…
          </p>
        )
      ) : null}
      {versions.data && drafts.length === 0 ? (
        <p className="notice">
          No draft version of {version.dataset.name} to change. <Link href={`/datasets/${version.dataset.id}`}>Create a draft</Link> from
          version {version.number} first.
        </p>
      ) : null}
      {drafts.length > 1 ? (
        <div className="field">
          <label htmlFor="propose-version">Apply to draft version</label>
          <select id="propose-version" value={target} onChange={(e) => setTarget(e.target.value)}>
            {drafts.map((d) => (
              <option key={d.id} value={d.id}>
                Version {d.number}
              </option>
            ))}
          </select>
        </div>
      ) : drafts.length === 1 ? (
        <p className="hint">Applies to draft version {drafts[0]!.number} once approved.</p>
      ) : null}
      <fieldset>
        <legend>Action</legend>
        <label className="field-inline">
          <input type="radio" name="action" value="PRUNE" checked={action === "PRUNE"} onChange={() => setAction("PRUNE")} /> Prune (weight 0)
        </label>
        <label className="field-inline">
          <input type="radio" name="action" value="DOWNWEIGHT" checked={action === "DOWNWEIGHT"} onChange={() => setAction("DOWNWEIGHT")} />{" "}
          Down-weight
        </label>
      </fieldset>
      <div className="field">
        <label htmlFor="propose-weight">Weight (between 0 and 1)</label>
        <input
          id="propose-weight"
          type="number"
          min="0.01"
          max="0.99"
          step="0.01"
          value={weight}
          disabled={action !== "DOWNWEIGHT"}
          onChange={(e) => setWeight(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="propose-reason">Reason</label>
        <textarea id="propose-reason" rows={2} required value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      <ErrorNote message={errorMessage(result.error)} />
      {done ? (
        <p className="success" role="status">
          Proposed {formatInt(done.proposed)} intervention{done.proposed === 1 ? "" : "s"}
          {done.skipped ? ` (${formatInt(done.skipped)} skipped: already proposed)` : ""}. <Link href="/review">Open the review queue</Link>
        </p>
      ) : null}
      <button
        type="submit"
        className="primary"
        disabled={exampleCount === 0 || exampleIds?.length !== exampleCount || !target || !weightValid || !reason.trim() || result.fetching}
      >
        Propose for {formatInt(exampleCount)} example{exampleCount === 1 ? "" : "s"}
      </button>
    </form>
  );
}
