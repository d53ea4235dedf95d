"use client";
import Link from "next/link";
import { useParams } from "next/navigation";
import { Fragment, useMemo } from "react";
import { useQuery } from "urql";
import { EChart, type ChartOption } from "../../../../../components/EChart";
import { ErrorNote, Loading, RequireSession, StatusBadge, usePageTitle } from "../../../../../components/Shell";
import { markerPath, quadrantStyle } from "../../../../../data-map/palette";
import { SIGNAL_FIELDS, SIGNALS, signalInfo } from "../../../../../data-map/signals";
import { formatDate, formatInt, formatNumber, summarizeJson } from "../../../../../lib/format";
import { errorMessage } from "../../../../../lib/session";
import { trajectoryChart } from "../../../../../lib/charts";
import { graphql } from "../../../../../lib/graphql";

const EXAMPLE = graphql(`
  query ExampleInRun($id: ID!, $runId: ID!) {
    run(id: $runId) {
      id
      name
      memorizationSignal
      version { id number dataset { id name } }
      neighbours(exampleId: $id) { ordinal count previous { id key } next { id key } }
    }
    example(id: $id) {
      id
      key
      text
      split
      isCanary
      # null for a canary when the viewer's role may not see canary secrets (the hash would give them away)
      contentHash
      canary { prefix secret }
      score(runId: $runId) {
        difficulty
        memorization
        forgetFrequency
        lossDrop
        relativeLossDrop
        excessLossDrop
        accuracyGain
        meanLoss
        forgetEvents
        neverLearned
        confidence
        variability
        correctness
        quadrant
      }
      trajectory(runId: $runId) { epochs loss accuracy forgetEpochs epsilon }
      interventions {
        id
        action
        weight
        status
        createdAt
        policy
        proposedBy { id name }
        version { id number }
        run { id }
        reviews { id decision reason createdAt reviewer { name } }
      }
    }
  }
`);

export default function ExamplePage() {
  return <RequireSession>{() => <Example />}</RequireSession>;
}

function Example() {
  const { id: runId, exampleId } = useParams<{ id: string; exampleId: string }>();
  const [result] = useQuery({ query: EXAMPLE, variables: { id: exampleId, runId } });
  usePageTitle(result.data?.example ? `Example ${result.data.example.key}` : "Example");
  const example = result.data?.example;
  const run = result.data?.run;
  const option = useMemo<ChartOption | null>(() => (example?.trajectory ? trajectoryChart(example.trajectory) : null), [example?.trajectory]);

  if (result.fetching && !result.data) return <Loading what="example" />;
  if (result.error && !example) return <ErrorNote message={errorMessage(result.error)} />;
  if (!example) return <p>Example not found.</p>;
  const score = example.score;
  const memorizationInfo = signalInfo(run?.memorizationSignal);

  return (
    <div>
      {run ? (
        <p className="muted">
          <Link href={`/datasets/${run.version.dataset.id}`}>{run.version.dataset.name}</Link> /{" "}
          <Link href={`/versions/${run.version.id}`}>version {run.version.number}</Link> / <Link href={`/runs/${run.id}`}>run {run.name}</Link> /
        </p>
      ) : null}
      <h1>
        Example <code>{example.key}</code> {example.isCanary ? <span className="badge badge-failed">canary</span> : null}
      </h1>
      {run?.neighbours ? (
        <nav className="row" aria-label="Examples of this run" data-testid="example-neighbours">
          {run.neighbours.previous ? (
            <Link href={`/runs/${run.id}/examples/${run.neighbours.previous.id}`} rel="prev">
              ← Previous: <code>{run.neighbours.previous.key}</code>
            </Link>
          ) : (
            <span className="muted">← first example</span>
          )}
          <span className="muted">
            row {formatInt(run.neighbours.ordinal + 1)} of {formatInt(run.neighbours.count)} (the data map&apos;s order)
          </span>
          {run.neighbours.next ? (
            <Link href={`/runs/${run.id}/examples/${run.neighbours.next.id}`} rel="next">
              Next: <code>{run.neighbours.next.key}</code> →
            </Link>
          ) : (
            <span className="muted">last example →</span>
          )}
        </nav>
      ) : null}
      <section className="card">
        <h2 style={{ marginTop: 0 }}>Text</h2>
        <p style={{ whiteSpace: "pre-wrap" }} data-testid="example-text">
          {example.text ?? <span className="muted">(canary text is redacted for your role)</span>}
        </p>
        {example.canary ? (
          <p className="muted">
            Canary prefix <code>{example.canary.prefix}</code>, secret <code>{example.canary.secret}</code>
          </p>
        ) : null}
        <p className="muted">
          Split {example.split} · content hash{" "}
          {example.contentHash === null ? <em>hidden for canaries</em> : <span className="hash">{example.contentHash.slice(0, 16)}</span>}
        </p>
      </section>
      <div className="grid-2">
        <section className="card" aria-labelledby="scores-title">
          <h2 id="scores-title" style={{ marginTop: 0 }}>
            Scores in this run
          </h2>
          {score ? (
            <dl className="facts">
              <dt>Quadrant</dt>
              <dd>
                <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" className="marker">
                  <path d={markerPath(quadrantStyle(score.quadrant).shape)} fill={quadrantStyle(score.quadrant).color} stroke="#1b1f24" strokeWidth="0.8" />
                </svg>{" "}
                {quadrantStyle(score.quadrant).label}
              </dd>
              <dt>Difficulty</dt>
              <dd>{formatNumber(score.difficulty, 4)}</dd>
              <dt>Memorization</dt>
              <dd>
                {formatNumber(score.memorization, 4)}
                {memorizationInfo ? <span className="muted"> — this run&apos;s signal: {memorizationInfo.name}</span> : null}
              </dd>
              {SIGNAL_FIELDS.map((signal) => {
                const info = SIGNALS[signal]!;
                const value = score[signal];
                return (
                  <Fragment key={signal}>
                    <dt>
                      {info.name.charAt(0).toUpperCase() + info.name.slice(1)}
                      {signal === run?.memorizationSignal ? " (memorization)" : ""}
                    </dt>
                    <dd>
                      {value === null ? <span className="muted">not recorded (scored before the signals were stored)</span> : formatNumber(value, 4)}
                      {info.unit && value !== null ? ` ${info.unit}` : ""}
                      <div className="hint">{info.explanation}</div>
                    </dd>
                  </Fragment>
                );
              })}
              <dt>Forget events</dt>
              <dd>{score.forgetEvents}</dd>
              <dt>Never learned</dt>
              <dd>{score.neverLearned ? "yes" : "no"}</dd>
              <dt>Confidence</dt>
              <dd>{formatNumber(score.confidence, 4)}</dd>
              <dt>Variability</dt>
              <dd>{formatNumber(score.variability, 4)}</dd>
              <dt>Correctness</dt>
              <dd>{formatNumber(score.correctness, 4)}</dd>
            </dl>
          ) : (
            <p className="muted">Not scored in this run.</p>
          )}
        </section>
        <section className="card" aria-labelledby="trajectory-title">
          <h2 id="trajectory-title" style={{ marginTop: 0 }}>
            Loss and accuracy across epochs
          </h2>
          {option && example.trajectory ? (
            <>
              <EChart
                option={option}
                label={`Loss and accuracy of example ${example.key} over ${example.trajectory.epochs} epochs; forget events at epochs ${example.trajectory.forgetEpochs.join(", ") || "none"}`}
              />
              <p className="hint">
                Forget events (learned at epoch t−1, not at t):{" "}
                <strong data-testid="forget-epochs">{example.trajectory.forgetEpochs.length ? example.trajectory.forgetEpochs.join(", ") : "none"}</strong>
                {example.trajectory.epsilon != null ? ` · learned threshold ε = ${formatNumber(example.trajectory.epsilon, 4)}` : ""}
              </p>
            </>
          ) : (
            <p className="muted">No training dynamics recorded for this example in this run.</p>
          )}
        </section>
      </div>
      <section aria-labelledby="interventions-title">
        <h2 id="interventions-title">Interventions</h2>
        {example.interventions.length === 0 ? <p className="muted">None.</p> : null}
        {example.interventions.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Action</th>
                <th scope="col">Status</th>
                <th scope="col">Version</th>
                <th scope="col">Proposed</th>
                <th scope="col">Policy</th>
                <th scope="col">Reviews</th>
              </tr>
            </thead>
            <tbody>
              {example.interventions.map((i) => (
                <tr key={i.id}>
                  <td>
                    {i.action}
                    {i.action === "DOWNWEIGHT" ? ` to ${formatNumber(i.weight)}` : ""}
                  </td>
                  <td>
                    <StatusBadge status={i.status} />
                  </td>
                  <td>
                    <Link href={`/versions/${i.version.id}`}>v{i.version.number}</Link>
                  </td>
                  <td>
                    {i.proposedBy.name}, {formatDate(i.createdAt)}
                  </td>
                  <td className="mono">{summarizeJson(i.policy, 80)}</td>
                  <td>
                    {i.reviews.map((r) => (
                      <div key={r.id}>
                        {r.decision} by {r.reviewer.name}: “{r.reason}”
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </div>
  );
}
