"use client";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { ErrorNote } from "../components/Shell";
import { formatInt } from "../lib/format";
import { graphql } from "../lib/graphql";
import { can, type Me } from "../lib/session";
import { fieldError } from "./field-error";

// Propose by policy on a draft (issue 15; was CLI-only): choose a scored run of the dataset, a
// policy and its parameters, see how many examples it would propose (the API's dryRun, the same
// checks rolled back), then propose them for review.

const SCORED_RUNS = graphql(`
  query PolicyRuns($id: ID!) {
    version(id: $id) {
      id
      dataset { id versions { id number runs { id name status } } }
    }
  }
`);

const PROPOSE = graphql(`
  mutation ProposeByPolicy($input: ProposeInput!) {
    proposeInterventions(input: $input) { proposed skipped }
  }
`);

const QUADRANTS = [
  ["HOTSPOT_MEMORIZED", "Hotspot (memorized)"],
  ["NOISY_OUTLIER", "Noisy outlier"],
  ["AMBIGUOUS_HARD", "Ambiguous / hard"],
  ["STABLE_EASY", "Stable / easy"],
] as const;

/** The policies of libs/cartography (policySpecSchema), with the parameters each takes. */
const POLICIES = [
  { name: "pruneTopByMemorization", label: "Prune the top x % by memorization", params: ["percent"] },
  { name: "pruneTopByLoss", label: "Prune the top x % by loss (difficulty)", params: ["percent"] },
  { name: "pruneRandom", label: "Prune a random x % (a control)", params: ["percent", "seed"] },
  { name: "pruneQuadrant", label: "Prune a quadrant", params: ["quadrant"] },
  { name: "downweightQuadrant", label: "Down-weight a quadrant", params: ["quadrant", "weight"] },
] as const;
type PolicyName = (typeof POLICIES)[number]["name"];

interface Params {
  percent: string;
  seed: string;
  quadrant: string;
  weight: string;
}

function policySpec(name: PolicyName, p: Params): { name: PolicyName; params: Record<string, unknown> } {
  const policy = POLICIES.find((x) => x.name === name)!;
  const params: Record<string, unknown> = {};
  for (const key of policy.params) params[key] = key === "quadrant" ? p.quadrant : Number(p[key]);
  return { name, params };
}

type Preview = { key: string; proposed: number; skipped: number };

export function PolicyProposal({ me, versionId, versionNumber }: { me: Me; versionId: string; versionNumber: number }) {
  const [runsResult] = useQuery({ query: SCORED_RUNS, variables: { id: versionId } });
  const runs = useMemo(
    () =>
      (runsResult.data?.version?.dataset.versions ?? []).flatMap((v) =>
        v.runs.filter((r) => r.status === "SUCCEEDED").map((r) => ({ ...r, versionNumber: v.number })),
      ),
    [runsResult.data],
  );
  const [runId, setRunId] = useState("");
  useEffect(() => {
    if (!runId && runs[0]) setRunId(runs[0].id);
  }, [runs, runId]);
  const [name, setName] = useState<PolicyName>("pruneTopByMemorization");
  const [params, setParams] = useState<Params>({ percent: "10", seed: "0", quadrant: "HOTSPOT_MEMORIZED", weight: "0.5" });
  const [reason, setReason] = useState("");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [done, setDone] = useState<{ proposed: number; skipped: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, propose] = useMutation(PROPOSE);

  if (!can(me, "proposeInterventions")) return null;
  const spec = policySpec(name, params);
  // What the preview was computed for: changing any input asks for a new preview.
  const key = JSON.stringify([runId, spec]);
  const current = preview && preview.key === key ? preview : null;
  const policy = POLICIES.find((p) => p.name === name)!;

  const send = async (dryRun: boolean) => {
    setError(null);
    setDone(null);
    const r = await propose({ input: { versionId, runId, policy: spec, reason: reason.trim() || null, dryRun } });
    if (r.error || !r.data) {
      setError(fieldError(r.error) ?? "no answer");
      setPreview(null);
      return;
    }
    const counts = r.data.proposeInterventions;
    if (dryRun) setPreview({ key, proposed: counts.proposed, skipped: counts.skipped });
    else {
      setDone(counts);
      setPreview(null);
    }
  };
  const onPreview = (e: FormEvent) => {
    e.preventDefault();
    void send(true);
  };

  const set = (k: keyof Params) => (e: { target: { value: string } }) => setParams((p) => ({ ...p, [k]: e.target.value }));
  return (
    <section className="card" aria-labelledby="policy-title" data-testid="policy-proposal">
      <h2 id="policy-title" style={{ marginTop: 0 }}>
        Propose by policy
      </h2>
      <p className="muted">
        A policy picks examples of version {versionNumber} from a scored run. Preview shows how many it would propose; nothing changes until you propose, and
        then nothing changes the data until reviewers approve and the version is released.
      </p>
      {runsResult.fetching && !runsResult.data ? <p className="muted">Loading runs…</p> : null}
      {runsResult.data && runs.length === 0 ? <p className="notice">No scored run of this dataset yet: a policy needs a run&apos;s scores.</p> : null}
      {runs.length > 0 ? (
        <form onSubmit={onPreview} aria-label="Propose by policy" noValidate>
          <div className="field">
            <label htmlFor="policy-run">Scores from run</label>
            <select id="policy-run" value={runId} onChange={(e) => setRunId(e.target.value)}>
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name} (version {r.versionNumber})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="policy-name">Policy</label>
            <select id="policy-name" value={name} onChange={(e) => setName(e.target.value as PolicyName)}>
              {POLICIES.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.label}
                </option>
              ))}
            </select>
          </div>
          <div className="row">
            {policy.params.includes("percent" as never) ? (
              <div className="field">
                <label htmlFor="policy-percent">Percent of the version (0–100)</label>
                <input id="policy-percent" type="number" min={0} max={100} step="any" value={params.percent} onChange={set("percent")} />
              </div>
            ) : null}
            {policy.params.includes("seed" as never) ? (
              <div className="field">
                <label htmlFor="policy-seed">Seed</label>
                <input id="policy-seed" type="number" min={0} step={1} value={params.seed} onChange={set("seed")} />
              </div>
            ) : null}
            {policy.params.includes("quadrant" as never) ? (
              <div className="field">
                <label htmlFor="policy-quadrant">Quadrant</label>
                <select id="policy-quadrant" value={params.quadrant} onChange={set("quadrant")}>
                  {QUADRANTS.map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
            {policy.params.includes("weight" as never) ? (
              <div className="field">
                <label htmlFor="policy-weight">New weight (between 0 and 1)</label>
                <input id="policy-weight" type="number" min={0.01} max={0.99} step="any" value={params.weight} onChange={set("weight")} />
              </div>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor="policy-reason">Reason (kept with each proposal)</label>
            <input id="policy-reason" type="text" maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
          <div className="row">
            <button type="submit" disabled={fetching || !runId}>
              Preview
            </button>
            <button
              type="button"
              className="primary"
              disabled={fetching || !current || current.proposed === 0}
              onClick={() => void send(false)}
              aria-describedby="policy-preview"
            >
              {current ? `Propose ${formatInt(current.proposed)}` : "Propose"}
            </button>
          </div>
          <p id="policy-preview" role="status" data-testid="policy-preview" className={current ? "notice" : "muted"} style={{ marginTop: "0.5rem" }}>
            {current
              ? `This policy would propose ${formatInt(current.proposed)} example${current.proposed === 1 ? "" : "s"} for review` +
                (current.skipped ? ` (${formatInt(current.skipped)} skipped: already proposed or approved here)` : "") +
                "."
              : "Preview first: Propose is enabled once you have seen how many examples the policy picks."}
          </p>
        </form>
      ) : null}
      <ErrorNote message={error} />
      {done ? (
        <p className={done.proposed > 0 ? "success" : "notice"} role="status" data-testid="policy-done">
          Proposed {formatInt(done.proposed)} example{done.proposed === 1 ? "" : "s"} for review
          {done.skipped ? ` (${formatInt(done.skipped)} skipped)` : ""}. They are in the review queue.
        </p>
      ) : null}
    </section>
  );
}
