"use client";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useRef } from "react";
import { useMutation, useQuery } from "urql";
import { ErrorNote, JsonBlock, Loading, RequireSession, StatusBadge, usePageTitle } from "../../../components/Shell";
import { DataMapPanel, useDataMap } from "../../../data-map/DataMapPanel";
import { formatDate, formatDuration, formatInt, formatPercent } from "../../../lib/format";
import { can, errorMessage, type Me } from "../../../lib/session";
import { RunScoresDownload } from "./scores-download";
import { graphql } from "../../../lib/graphql";

const RUN = graphql(`
  query Run($id: ID!) {
    run(id: $id) {
      id
      name
      kind
      status
      epochs
      seed
      backend
      dynamicsSource
      error
      createdAt
      startedAt
      finishedAt
      exampleCount
      modelConfig
      scoringResolved
      metrics
      progress { epoch epochs step steps examplesPerSecond etaSeconds fraction }
      version { id number status dataset { id name } }
    }
  }
`);

const CANCEL = graphql(`
  mutation CancelRun($input: CancelRunInput!) { cancelRun(input: $input) { id status } }
`);
const FINISH = graphql(`
  mutation FinishRun($input: FinishRunInput!) { finishRun(input: $input) { id status } }
`);

const ACTIVE_STATUSES = new Set(["QUEUED", "RUNNING", "SCORING"]);
const POLL_MS = 1500;

export default function RunPage() {
  return <RequireSession>{(me) => <Run me={me} />}</RequireSession>;
}

function Run({ me }: { me: Me }) {
  const { id } = useParams<{ id: string }>();
  const [result, reexecute] = useQuery({ query: RUN, variables: { id } });
  usePageTitle(result.data?.run ? `Run ${result.data.run.name}` : "Run");
  const dataMap = useDataMap(id);
  const [cancelState, cancel] = useMutation(CANCEL);
  const [finishState, finish] = useMutation(FINISH);
  const run = result.data?.run;
  const active = run ? ACTIVE_STATUSES.has(run.status) : false;

  // Live progress: poll while the run is queued, training or scoring.
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => reexecute({ requestPolicy: "network-only" }), POLL_MS);
    return () => window.clearInterval(timer);
  }, [active, reexecute]);

  // The map was asked for at mount; a run that finishes while the page is open needs it again.
  const succeeded = run?.status === "SUCCEEDED";
  const missingMap = succeeded && dataMap.map.status === "no-scores";
  const askedAgain = useRef(false);
  const { reload: reloadDataMap } = dataMap;
  useEffect(() => {
    if (missingMap && !askedAgain.current) {
      askedAgain.current = true;
      reloadDataMap();
    }
  }, [missingMap, reloadDataMap]);

  if (result.fetching && !result.data) return <Loading what="run" />;
  if (result.error && !run) return <ErrorNote message={errorMessage(result.error)} />;
  if (!run) return <p>Run not found.</p>;
  const p = run.progress;
  const mayOperate = can(me, "cancelRun");

  return (
    <div>
      <p className="muted">
        <Link href="/datasets">Datasets</Link> / <Link href={`/datasets/${run.version.dataset.id}`}>{run.version.dataset.name}</Link> /{" "}
        <Link href={`/versions/${run.version.id}`}>version {run.version.number}</Link> /
      </p>
      <h1>
        Run {run.name} <StatusBadge status={run.status} />
      </h1>
      {/* A scored run opens on its map (above the fold on a laptop); progress and details follow. */}
      {run.status === "SUCCEEDED" ? <DataMapPanel me={me} runId={run.id} version={run.version} data={dataMap} /> : null}
      <div className="grid-2" style={{ marginTop: "1.5rem" }}>
        <section className="card" aria-labelledby="progress-title">
          <h2 id="progress-title" style={{ marginTop: 0 }}>
            Progress
          </h2>
          <progress className="progress" value={p.fraction} max={1} aria-label="Run progress" />
          <p aria-live="polite" data-testid="run-progress">
            {formatPercent(p.fraction, 0)} · epoch {p.epoch} / {p.epochs}
            {p.steps ? ` · step ${formatInt(p.step)} / ${formatInt(p.steps)}` : ""} ·{" "}
            {p.examplesPerSecond != null ? `${formatInt(p.examplesPerSecond)} examples/s` : "— examples/s"} · ETA {formatDuration(p.etaSeconds)}
          </p>
          {active ? <p className="hint">Updates every {POLL_MS / 1000} s.</p> : null}
          {run.error ? <p className="error">{run.error}</p> : null}
          <div className="row">
            {active && mayOperate ? (
              <button type="button" className="danger" onClick={() => cancel({ input: { runId: run.id } })} disabled={cancelState.fetching}>
                Cancel run
              </button>
            ) : null}
            {run.kind === "EXTERNAL" && run.status === "RUNNING" && mayOperate ? (
              <button type="button" onClick={() => finish({ input: { runId: run.id } })} disabled={finishState.fetching}>
                Finish and score
              </button>
            ) : null}
          </div>
          <ErrorNote message={errorMessage(cancelState.error ?? finishState.error)} />
        </section>
        <section className="card" aria-labelledby="details-title">
          <h2 id="details-title" style={{ marginTop: 0 }}>
            Details
          </h2>
          <dl className="facts">
            <dt>Kind</dt>
            <dd>{run.kind === "EXTERNAL" ? "External trainer (dynamics pushed through the API)" : "Tracked (trained by a worker)"}</dd>
            <dt>Examples</dt>
            <dd>{formatInt(run.exampleCount)}</dd>
            <dt>Epochs</dt>
            <dd>{run.epochs}</dd>
            <dt>Seed</dt>
            <dd>{run.seed}</dd>
            <dt>Backend</dt>
            <dd>{run.backend ?? "—"}</dd>
            <dt>Dynamics</dt>
            <dd>{run.dynamicsSource === "EVAL_PASS" ? "end-of-epoch evaluation pass" : "training forward pass"}</dd>
            <dt>Created</dt>
            <dd>{formatDate(run.createdAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatDate(run.finishedAt)}</dd>
          </dl>
          <JsonBlock label="Scoring (exact ε, Te, thresholds used)" value={run.scoringResolved} />
          <JsonBlock label="Metrics" value={run.metrics} />
          <JsonBlock label="Model configuration" value={run.modelConfig} />
        </section>
      </div>
      {run.status === "SUCCEEDED" ? (
        <RunScoresDownload runId={run.id} runName={run.name} />
      ) : (
        <p className="muted">The data map appears when the run has been scored{active ? " (this page updates by itself)" : ""}.</p>
      )}
    </div>
  );
}
