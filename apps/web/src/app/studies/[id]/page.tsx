"use client";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { EChart } from "../../../components/EChart";
import { ErrorNote, JsonBlock, Loading, RequireSession, StatusBadge, usePageTitle } from "../../../components/Shell";
import { readStudyPolicies, readStudyVerdict, repetitionChart, STUDY_FIELDS, studyScatter } from "../../../lib/charts";
import { formatDate, formatNumber, formatPercent } from "../../../lib/format";
import { can, errorMessage, type Me } from "../../../lib/session";
import { graphql } from "../../../lib/graphql";

const STUDY = graphql(`
  query Study($id: ID!) {
    study(id: $id) {
      id
      status
      config
      progress
      report
      error
      createdAt
      finishedAt
      version { id number dataset { id name } }
    }
  }
`);

const CANCEL = graphql(`
  mutation CancelStudy($input: CancelStudyInput!) { cancelStudy(input: $input) { id status finishedAt } }
`);

export default function StudyPage() {
  usePageTitle("Study");
  return <RequireSession>{(me) => <Study me={me} />}</RequireSession>;
}

function Study({ me }: { me: Me }) {
  const { id } = useParams<{ id: string }>();
  const [result, reexecute] = useQuery({ query: STUDY, variables: { id } });
  const study = result.data?.study;
  const active = study ? study.status === "QUEUED" || study.status === "RUNNING" : false;
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => reexecute({ requestPolicy: "network-only" }), 2000);
    return () => window.clearInterval(timer);
  }, [active, reexecute]);

  const rows = useMemo(() => readStudyPolicies(study?.report), [study?.report]);
  const extraction = useMemo(() => studyScatter(rows, "extractionRate", "canary extraction rate"), [rows]);
  const exposureRank = useMemo(() => studyScatter(rows, "meanExposureRank", "mean exposure (rank, bits)"), [rows]);
  const exposureSkew = useMemo(() => studyScatter(rows, "meanExposureSkewNormal", "mean exposure (skew-normal, bits)"), [rows]);
  const byRepetitions = useMemo(() => repetitionChart(rows), [rows]);
  const verdict = useMemo(() => readStudyVerdict(study?.report), [study?.report]);
  const otherKeys = useMemo(() => {
    const known = new Set<string>(STUDY_FIELDS.map((f) => f.key));
    return [...new Set(rows.flatMap((r) => Object.keys(r.values)))].filter((k) => !known.has(k));
  }, [rows]);

  if (result.fetching && !result.data) return <Loading what="study" />;
  if (result.error && !study) return <ErrorNote message={errorMessage(result.error)} />;
  if (!study) return <p>Study not found.</p>;
  const columns = STUDY_FIELDS.filter((f) => rows.some((r) => r.values[f.key] !== undefined));

  return (
    <div>
      {study.version ? (
        <p className="muted">
          <Link href={`/datasets/${study.version.dataset.id}`}>{study.version.dataset.name}</Link> /{" "}
          <Link href={`/versions/${study.version.id}`}>version {study.version.number}</Link> /
        </p>
      ) : null}
      <h1>
        Intervention study <StatusBadge status={study.status} />
      </h1>
      <p className="muted">
        Started {formatDate(study.createdAt)}
        {study.finishedAt ? `, finished ${formatDate(study.finishedAt)}` : ""}. The same model, seed and schedule are trained on the original and on each
        curated dataset; lower extraction and exposure at little perplexity cost is what a good policy buys.
      </p>
      {study.error ? <p className="error">{study.error}</p> : null}
      {active && can(me, "cancelStudy") ? <CancelStudy studyId={study.id} /> : null}
      {study.status === "CANCELLED" ? <p className="muted">This study was cancelled; it has no report.</p> : null}
      {verdict.sentences.length || verdict.extractionRatio !== null ? (
        <section className="card" aria-labelledby="verdict-title">
          <h2 id="verdict-title" style={{ marginTop: 0 }}>
            Verdict
          </h2>
          {verdict.extractionRatio !== null || verdict.perplexityIncrease !== null ? (
            <p data-testid="study-summary">
              {verdict.policy ? `${verdict.policy}: ` : ""}canary extraction × {formatNumber(verdict.extractionRatio, 3)} of the baseline, validation perplexity{" "}
              {verdict.perplexityIncrease !== null && verdict.perplexityIncrease >= 0 ? "+" : ""}
              {formatPercent(verdict.perplexityIncrease, 2)}.
            </p>
          ) : null}
          <ul>
            {verdict.sentences.map((sentence) => (
              <li key={sentence}>{sentence}</li>
            ))}
          </ul>
        </section>
      ) : null}
      {active ? <JsonBlock label="Progress" value={study.progress} /> : null}
      {rows.length === 0 ? (
        study.status === "CANCELLED" ? null : (
          <p className="muted">{active ? "The report appears when the study finishes." : "The report has no per-policy results."}</p>
        )
      ) : (
        <>
          <div className="grid-charts">
            {extraction ? (
              <section className="card">
                <h2 style={{ marginTop: 0 }}>Canary extraction vs validation perplexity</h2>
                <EChart option={extraction} label="Scatter of canary extraction rate against validation perplexity, one point per policy" />
              </section>
            ) : null}
            {exposureRank ? (
              <section className="card">
                <h2 style={{ marginTop: 0 }}>Exposure (rank) vs validation perplexity</h2>
                <EChart option={exposureRank} label="Scatter of mean canary exposure (rank estimate) against validation perplexity, one point per policy" />
              </section>
            ) : null}
            {byRepetitions ? (
              <section className="card">
                <h2 style={{ marginTop: 0 }}>Extraction by canary repetitions</h2>
                <EChart option={byRepetitions} label="Line chart of canary extraction rate by how many times the canary was repeated, one line per policy" />
              </section>
            ) : null}
            {exposureSkew ? (
              <section className="card">
                <h2 style={{ marginTop: 0 }}>Exposure (skew-normal) vs validation perplexity</h2>
                <EChart
                  option={exposureSkew}
                  label="Scatter of mean canary exposure (skew-normal estimate) against validation perplexity, one point per policy"
                />
              </section>
            ) : null}
          </div>
          <table>
            <caption>Per policy</caption>
            <thead>
              <tr>
                <th scope="col">Policy</th>
                {columns.map((c) => (
                  <th key={c.key} scope="col" className="num">
                    {c.label}
                  </th>
                ))}
                {otherKeys.map((k) => (
                  <th key={k} scope="col" className="num">
                    {k}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.name}>
                  <th scope="row">{r.name}</th>
                  {columns.map((c) => (
                    <td key={c.key} className="num">
                      {c.percent ? formatPercent(r.values[c.key], 2) : formatNumber(r.values[c.key], 3)}
                    </td>
                  ))}
                  {otherKeys.map((k) => (
                    <td key={k} className="num">
                      {formatNumber(r.values[k], 4)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <JsonBlock label="Full report" value={study.report} />
      <JsonBlock label="Configuration" value={study.config} />
    </div>
  );
}

/** Cancel, after a confirmation: the worker stops at its next progress write (libs/db cancelStudy). */
function CancelStudy({ studyId }: { studyId: string }) {
  const [confirming, setConfirming] = useState(false);
  const [state, cancel] = useMutation(CANCEL);
  const onConfirm = async () => {
    const res = await cancel({ input: { studyId } });
    if (!res.error) setConfirming(false);
  };
  return (
    <div className="stack" data-testid="cancel-study">
      {confirming ? (
        <div role="alertdialog" aria-labelledby="confirm-cancel-study-title" className="notice stack">
          <strong id="confirm-cancel-study-title">Cancel this study?</strong>
          <p style={{ margin: 0 }}>Its trainings stop and it gets no report; the cancellation is audited. This cannot be undone.</p>
          <div className="row">
            <button type="button" className="danger" onClick={() => void onConfirm()} disabled={state.fetching}>
              {state.fetching ? "Cancelling…" : "Confirm: cancel the study"}
            </button>
            <button type="button" onClick={() => setConfirming(false)} disabled={state.fetching}>
              Keep it running
            </button>
          </div>
        </div>
      ) : (
        <div className="row">
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Cancel study…
          </button>
        </div>
      )}
      <ErrorNote message={errorMessage(state.error)} />
    </div>
  );
}
