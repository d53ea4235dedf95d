"use client";
import Link from "next/link";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { ErrorNote } from "../components/Shell";
import { formatInt } from "../lib/format";
import { can, errorMessage, type Me } from "../lib/session";
import { graphql } from "../lib/graphql";

const DRAFT_VERSIONS = graphql(`
  query DraftVersions($datasetId: ID!) {
    dataset(id: $datasetId) {
      id
      versions { id number status parent { id } }
    }
  }
`);

const PROPOSE = graphql(`
  mutation ProposeSelection($input: ProposeInput!) {
    proposeInterventions(input: $input) {
      proposed
      skipped
      interventions { id status }
    }
  }
`);

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
  /** Called after a send that proposed something (the map then fetches its governance column again). */
  onProposed?: () => void;
}

/** At most this many non-members are left out one call at a time before giving up. */
const MAX_LEAVE_OUT = 50;

/** "Propose intervention" for the points selected on the data map. */
export function ProposeForm({ me, runId, version, exampleCount, exampleIds, idsError = null, onRetryIds, onProposed }: Props) {
  const [versions] = useQuery({
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
  const [result, propose] = useMutation(PROPOSE);
  const [done, setDone] = useState<{ proposed: number; skipped: number; leftOut: number; target: number | null } | null>(null);
  const [notMembers, setNotMembers] = useState<{ ids: string[]; target: number | null } | null>(null);
  const [sending, setSending] = useState(false);
  /** Selected examples the target draft is known not to hold (found by an earlier send): left out of later sends. */
  const [outside, setOutside] = useState<{ target: string; ids: Set<string> }>({ target: "", ids: new Set() });
  const targetNumber = drafts.find((d) => d.id === target)?.number ?? null;

  if (!can(me, "proposeInterventions")) {
    return <p className="muted">Your role ({me.role}) cannot propose interventions.</p>;
  }

  /**
   * Sends the selection. An example that is not a member of the target draft (pruned by an
   * earlier release, say) fails the whole call naming exampleIds.<i>; with `leaveOutNonMembers`
   * such examples are taken out one by one and the rest sent again, and the user is told which.
   */
  async function send(leaveOutNonMembers: boolean) {
    if (!exampleIds || exampleIds.length !== exampleCount || exampleIds.length === 0) return;
    setDone(null);
    setNotMembers(null);
    setSending(true);
    const known = outside.target === target ? outside.ids : new Set<string>();
    let ids = exampleIds.filter((id) => !known.has(id));
    const leftOut: string[] = exampleIds.filter((id) => known.has(id));
    const remember = () => setOutside({ target, ids: new Set([...known, ...leftOut]) });
    try {
      for (let attempt = 0; attempt <= MAX_LEAVE_OUT; attempt++) {
        const r = await propose({
          input: {
            versionId: target,
            runId,
            exampleIds: ids,
            action,
            ...(action === "DOWNWEIGHT" ? { weight: Number(weight) } : {}),
            reason: reason.trim(),
          },
        });
        if (r.data) {
          remember();
          const outcome = r.data.proposeInterventions;
          setDone({ ...outcome, leftOut: leftOut.length, target: targetNumber });
          // Nothing proposed: keep the reason, the user will likely adjust the selection and retry.
          if (outcome.proposed > 0) {
            setReason("");
            onProposed?.();
          }
          return;
        }
        const field = r.error?.graphQLErrors[0]?.extensions?.field;
        const match = typeof field === "string" ? /^exampleIds\.(\d+)$/.exec(field) : null;
        const notMember = match && /not a member/.test(r.error?.graphQLErrors[0]?.message ?? "");
        if (!notMember) return;
        const bad = ids[Number(match[1])]!;
        if (!leaveOutNonMembers) {
          setNotMembers({ ids: [bad], target: targetNumber });
          return;
        }
        leftOut.push(bad);
        ids = ids.filter((id) => id !== bad);
        if (!ids.length) {
          remember();
          setNotMembers({ ids: leftOut, target: targetNumber });
          return;
        }
      }
      remember();
      setNotMembers({ ids: leftOut, target: targetNumber });
    } finally {
      setSending(false);
    }
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    await send(false);
  }

  const weightValue = Number(weight);
  // The field's own bounds (0.01–0.99): 1e-9 passes 0 < w < 1 but is no down-weight anyone means.
  const weightValid = action === "PRUNE" || (weight.trim() !== "" && Number.isFinite(weightValue) && weightValue >= 0.01 && weightValue <= 0.99);
  const whyDisabled =
    exampleCount === 0
      ? "Select points on the map first."
      : exampleIds?.length !== exampleCount
        ? "Waiting for the selected examples' ids."
        : !target
          ? "There is no draft version to propose on."
          : !weightValid
            ? "The weight must be between 0.01 and 0.99."
            : !reason.trim()
              ? reason.length
                ? "A reason of only spaces is not a reason: say why."
                : "Give a reason: reviewers see it as evidence."
              : reason.length > 2000
                ? `The reason is ${formatInt(reason.length)} characters; at most 2,000.`
                : null;

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
          No draft version of {version.dataset.name} to change. <Link href={`/datasets/${version.dataset.id}`}>Create a draft</Link> from version{" "}
          {version.number} first.
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
          <input type="radio" name="action" value="DOWNWEIGHT" checked={action === "DOWNWEIGHT"} onChange={() => setAction("DOWNWEIGHT")} /> Down-weight
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
        <textarea
          id="propose-reason"
          rows={2}
          required
          maxLength={2000}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          aria-describedby="propose-reason-count"
        />
        <span id="propose-reason-count" className="hint">
          {formatInt(reason.length)} / 2,000 characters
        </span>
      </div>
      {notMembers ? (
        <div className="notice" role="alert" data-testid="not-members">
          {notMembers.ids.length === 1 ? "One selected example is" : `${formatInt(notMembers.ids.length)} selected examples are`} not in draft version{" "}
          {notMembers.target ?? "?"} (an earlier release pruned {notMembers.ids.length === 1 ? "it" : "them"}, or{" "}
          {notMembers.ids.length === 1 ? "it was" : "they were"} never imported there), so nothing was proposed. Your reason is kept.{" "}
          {notMembers.ids.length < exampleCount ? (
            <button type="button" onClick={() => void send(true)} disabled={sending}>
              Leave out the examples not in version {notMembers.target ?? "?"} and propose for the rest
            </button>
          ) : null}
        </div>
      ) : (
        <ErrorNote message={errorMessage(result.error)} />
      )}
      {done ? (
        <p className={done.proposed > 0 ? "success" : "notice"} role="status">
          Proposed {formatInt(done.proposed)} intervention{done.proposed === 1 ? "" : "s"}
          {done.skipped
            ? ` (${formatInt(done.skipped)} skipped: they already have a proposed or approved intervention on version ${done.target ?? "?"}, or are canaries or repeats)`
            : ""}
          {done.leftOut ? `; ${formatInt(done.leftOut)} left out: not in version ${done.target ?? "?"}` : ""}.{" "}
          {done.proposed === 0 ? "Nothing new to review; your reason is kept. " : null}
          <Link href="/review">Open the review queue</Link>
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={Boolean(whyDisabled) || sending} aria-describedby={whyDisabled ? "propose-why-disabled" : undefined}>
        Propose for {formatInt(exampleCount)} example{exampleCount === 1 ? "" : "s"}
      </button>
      {whyDisabled && exampleCount > 0 ? (
        <p id="propose-why-disabled" className="hint" data-testid="propose-why-disabled">
          {whyDisabled}
        </p>
      ) : null}
    </form>
  );
}
