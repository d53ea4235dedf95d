"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useQuery } from "urql";
import { usePageTitle } from "../components/Shell";
import { can, useSession } from "../lib/session";
import { graphql } from "../lib/graphql";

const RUNS = graphql(`
  query LandingRuns {
    datasets {
      id
      name
      versions { id number runs { id name status createdAt } }
    }
  }
`);

/** "Start here": the newest scored run's data map (the demo run after `npm start`). */
function LatestRunLink() {
  const [result] = useQuery({ query: RUNS });
  const runs = (result.data?.datasets ?? []).flatMap((d) =>
    d.versions.flatMap((v) => v.runs.filter((r) => r.status === "SUCCEEDED").map((r) => ({ ...r, label: `${d.name} v${v.number}` }))),
  );
  const latest = runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  if (!latest) return null;
  return (
    <Link className="button primary" href={`/runs/${latest.id}`}>
      Start here: the data map of {latest.name} ({latest.label})
    </Link>
  );
}

function About() {
  return (
    <section className="card" aria-labelledby="about-title">
      <h2 id="about-title" style={{ marginTop: 0 }}>
        What GenDataCarto does
      </h2>
      <p>
        It finds the training examples a generative model memorizes and lets a review team act on them before a dataset version is released. Each example of a
        training run gets a <strong>difficulty</strong> (its early loss) and a <strong>memorization</strong> score, and lands in one of four quadrants on the{" "}
        <strong>data map</strong>. Engineers propose to prune or down-weight memorized examples, reviewers approve or reject each proposal with a reason (never
        their own), and a release manager publishes a curated, content-hashed version; every step is on a tamper-evident audit trail.
      </p>
    </section>
  );
}

const CAPABILITIES: { action: string; label: string }[] = [
  { action: "createDataset", label: "create datasets and import examples" },
  { action: "startRun", label: "start training runs and push external training dynamics" },
  { action: "proposeInterventions", label: "propose interventions (prune or down-weight)" },
  { action: "reviewIntervention", label: "approve or reject interventions proposed by others" },
  { action: "releaseVersion", label: "release curated dataset versions" },
];

export default function SignInPage() {
  const { state, signIn, signOut } = useSession();
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token);
      setToken("");
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  usePageTitle(state.status === "signed-in" ? "Welcome" : "Sign in");
  if (state.status === "loading") return <p className="muted">Loading…</p>;

  return (
    <div className="stack">
      {state.status === "signed-in" ? null : <About />}
      {state.status === "signed-in" ? (
        <section className="card" aria-labelledby="whoami-title">
          <h1 id="whoami-title">Welcome, {state.me.name}</h1>
          <dl className="facts">
            <dt>Email</dt>
            <dd>{state.me.email}</dd>
            <dt>Role</dt>
            <dd>
              <strong data-testid="my-role">{state.me.role}</strong>
            </dd>
          </dl>
          <h2>What your role allows</h2>
          <ul>
            {CAPABILITIES.map((c) => (
              <li key={c.action}>
                {can(state.me, c.action) ? "✓ You can" : "✗ You cannot"} {c.label}
              </li>
            ))}
            <li>{state.me.canOverrideReleaseGate ? "✓ You can" : "✗ You cannot"} override a blocked release gate (with a reason)</li>
            <li>✓ You can read datasets, runs, data maps, the review queue and the audit log</li>
          </ul>
          <p className="row">
            <LatestRunLink />
            <Link className="button" href="/datasets">
              Go to datasets
            </Link>
            <Link className="button" href="/review">
              Review queue
            </Link>
            <button type="button" onClick={() => signOut()}>
              Sign out
            </button>
          </p>
        </section>
      ) : null}

      <section className="card" aria-labelledby="signin-title">
        <h1 id="signin-title">{state.status === "signed-in" ? "Switch user" : "Sign in"}</h1>
        {state.status === "signed-out" && state.notice ? <p className="notice">{state.notice}</p> : null}
        <p className="muted">
          Paste an API token (<code>gdc start</code> prints one per demo user; an admin can create more). It is kept in this browser only and sent as a Bearer
          token to the API.
        </p>
        <form onSubmit={onSubmit}>
          <div className="field">
            <label htmlFor="token">API token</label>
            <input
              id="token"
              name="token"
              type="password"
              autoComplete="off"
              required
              value={token}
              onChange={(e) => setToken(e.target.value)}
              style={{ maxWidth: 560 }}
            />
          </div>
          {error ? (
            <p role="alert" className="error">
              {error}
            </p>
          ) : null}
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      </section>
    </div>
  );
}
