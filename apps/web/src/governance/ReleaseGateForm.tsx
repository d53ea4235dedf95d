"use client";
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { ErrorNote } from "../components/Shell";
import { formatNumber } from "../lib/format";
import { graphql } from "../lib/graphql";
import { can, errorMessage, type Me } from "../lib/session";

// The dataset's release gate from the UI (issue 15; was CLI-only). Who may set it and who may
// override it are the API's answer (me.permissions, me.canOverrideReleaseGate), not a table here.

const SET_GATE = graphql(`
  mutation SetReleaseGate($input: ReleaseGateInput!) {
    setReleaseGate(input: $input) { id releaseGate { maxExtractionRatio maxPerplexityIncrease } }
  }
`);

type Gate = { maxExtractionRatio: number | null; maxPerplexityIncrease: number | null } | null;

const asText = (n: number | null | undefined) => (n === null || n === undefined ? "" : String(n));

export function ReleaseGateForm({ me, datasetId, gate }: { me: Me; datasetId: string; gate: Gate }) {
  const [ratio, setRatio] = useState(asText(gate?.maxExtractionRatio));
  const [increase, setIncrease] = useState(asText(gate?.maxPerplexityIncrease));
  const [saved, setSaved] = useState<string | null>(null);
  const [result, setGate] = useMutation(SET_GATE);
  const mayEdit = can(me, "setReleaseGate");

  const describe = (g: Gate) =>
    g && (g.maxExtractionRatio !== null || g.maxPerplexityIncrease !== null)
      ? [
          g.maxExtractionRatio !== null ? `canary extraction ratio ≤ ${formatNumber(g.maxExtractionRatio)}` : null,
          g.maxPerplexityIncrease !== null ? `validation-perplexity increase ≤ ${formatNumber(g.maxPerplexityIncrease)}` : null,
        ]
          .filter(Boolean)
          .join(", ")
      : "none";

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setSaved(null);
    const value = (text: string) => (text.trim() === "" ? null : Number(text));
    const r = await setGate({ input: { datasetId, maxExtractionRatio: value(ratio), maxPerplexityIncrease: value(increase) } });
    if (r.data) setSaved(`Release gate saved: ${describe(r.data.setReleaseGate.releaseGate)}.`);
  }

  return (
    <section className="card" aria-labelledby="gate-title" data-testid="release-gate">
      <h2 id="gate-title" style={{ marginTop: 0 }}>
        Release gate
      </h2>
      <p>
        Current gate: <strong data-testid="gate-current">{describe(gate)}</strong>.
      </p>
      <p className="muted">
        A draft is released only if its latest study stays within the gate (no study blocks it).{" "}
        {me.canOverrideReleaseGate
          ? "As an admin you may release past a blocked gate, with a reason that is audited."
          : "Your role cannot override a blocked gate; an admin can, with an audited reason."}
      </p>
      {mayEdit ? (
        <form onSubmit={onSubmit} aria-label="Set the release gate" noValidate>
          <div className="row">
            <div className="field">
              <label htmlFor="gate-ratio">Max canary extraction ratio (curated ÷ baseline, e.g. 0.6)</label>
              <input id="gate-ratio" type="number" min={0} step="any" value={ratio} onChange={(e) => setRatio(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="gate-increase">Max validation-perplexity increase (e.g. 0.005 = +0.5 %)</label>
              <input id="gate-increase" type="number" min={0} step="any" value={increase} onChange={(e) => setIncrease(e.target.value)} />
            </div>
          </div>
          <p className="hint">Leave both empty to remove the gate.</p>
          <button type="submit" className="primary" disabled={result.fetching}>
            {result.fetching ? "Saving…" : "Save release gate"}
          </button>
        </form>
      ) : (
        <p className="muted">Only roles the API allows to call setReleaseGate can change it.</p>
      )}
      <ErrorNote message={errorMessage(result.error)} />
      {saved ? (
        <p className="success" role="status">
          {saved}
        </p>
      ) : null}
    </section>
  );
}
