"use client";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useMemo } from "react";
import { useQuery } from "urql";
import { EChart, type ChartOption } from "../../../components/EChart";
import { ErrorNote, Loading, RequireSession, usePageTitle } from "../../../components/Shell";
import { QUADRANT_ORDER, quadrantStyle } from "../../../data-map/palette";
import { formatInt, formatNumber } from "../../../lib/format";
import { graphql } from "../../../lib/graphql";
import { errorMessage } from "../../../lib/session";

// Compare two scored runs (issue 15): where each example landed in run A and in run B (the
// quadrant cross-tabulation) and run A's memorization against run B's (a scatter of a sample).
// /runs/compare?a=<run>&b=<run>; the work is the API's runComparison (libs/db compareRuns).

const SCORED_RUNS = graphql(`
  query ScoredRuns {
    runs(status: SUCCEEDED, first: 200) { id name createdAt version { id number dataset { id name } } }
  }
`);

const COMPARISON = graphql(`
  query RunComparison($a: ID!, $b: ID!) {
    runComparison(runA: $a, runB: $b, sample: 5000) {
      shared
      onlyA
      onlyB
      memorizationCorrelation
      quadrants { a b count }
      points { memorizationA memorizationB }
      runA { id name scoringResolved }
      runB { id name scoringResolved }
    }
  }
`);

export default function ComparePage() {
  return (
    <RequireSession>
      {() => (
        <Suspense fallback={<Loading what="runs" />}>
          <Compare />
        </Suspense>
      )}
    </RequireSession>
  );
}

function Compare() {
  usePageTitle("Compare runs");
  const params = useSearchParams();
  const router = useRouter();
  const a = params.get("a") ?? "";
  const b = params.get("b") ?? "";
  const [runs] = useQuery({ query: SCORED_RUNS });
  const choose = (key: "a" | "b", value: string) => {
    const next = new URLSearchParams(params.toString());
    next.set(key, value);
    router.replace(`/runs/compare?${next.toString()}`);
  };
  const list = runs.data?.runs ?? [];
  return (
    <div>
      <h1>Compare runs</h1>
      <p className="muted">
        Two scored runs, on the examples both scored: in which quadrant each example landed in run A and in run B, and its memorization in one against the
        other. Runs on different versions of a dataset share the examples those versions share.
      </p>
      <ErrorNote message={errorMessage(runs.error)} />
      <form className="card row" aria-label="Choose the runs" onSubmit={(e) => e.preventDefault()}>
        {(["a", "b"] as const).map((key) => (
          <div className="field" key={key}>
            <label htmlFor={`compare-${key}`}>Run {key.toUpperCase()}</label>
            <select id={`compare-${key}`} value={key === "a" ? a : b} onChange={(e) => choose(key, e.target.value)}>
              <option value="">choose a scored run…</option>
              {list.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.version.dataset.name} v{r.version.number} · {r.name}
                </option>
              ))}
            </select>
          </div>
        ))}
      </form>
      {a && b ? <Comparison a={a} b={b} /> : <p className="notice">Choose two runs.</p>}
    </div>
  );
}

function signalOf(scoringResolved: unknown): string {
  const signal = (scoringResolved as { memorizationSignal?: unknown } | null)?.memorizationSignal;
  return typeof signal === "string" ? signal : "memorization";
}

function Comparison({ a, b }: { a: string; b: string }) {
  const [result] = useQuery({ query: COMPARISON, variables: { a, b } });
  const c = result.data?.runComparison;
  const cells = useMemo(() => new Map((c?.quadrants ?? []).map((q) => [`${q.a}|${q.b}`, q.count])), [c]);
  const option = useMemo<ChartOption | null>(() => {
    if (!c) return null;
    const xs = c.points.memorizationA;
    const ys = c.points.memorizationB;
    // One scale for both axes (the diagonal is equal memorization), rounded up to a tenth.
    const max = Math.ceil(Math.max(1e-9, ...xs, ...ys) * 10) / 10;
    return {
      grid: { left: 64, right: 24, top: 24, bottom: 56 },
      tooltip: { trigger: "item", formatter: (p: { value: [number, number] }) => `A ${formatNumber(p.value[0])} · B ${formatNumber(p.value[1])}` },
      xAxis: { type: "value", name: `${c.runA.name}: ${signalOf(c.runA.scoringResolved)}`, nameLocation: "middle", nameGap: 32, min: 0, max },
      yAxis: { type: "value", name: `${c.runB.name}: ${signalOf(c.runB.scoringResolved)}`, nameLocation: "middle", nameGap: 48, min: 0, max },
      series: [
        {
          type: "scatter",
          symbolSize: 4,
          itemStyle: { color: "#0072b2", opacity: 0.45 },
          data: xs.map((x, i) => [x, ys[i]!]),
          markLine: { silent: true, symbol: "none", lineStyle: { color: "#57606a", type: "dashed" }, data: [[{ coord: [0, 0] }, { coord: [max, max] }]] },
        },
      ],
    };
  }, [c]);
  if (result.fetching && !c) return <Loading what="comparison" />;
  if (result.error || !c) return <ErrorNote message={errorMessage(result.error) ?? "no answer"} />;
  const rowTotal = (q: string) => QUADRANT_ORDER.reduce((n, other) => n + (cells.get(`${q}|${other}`) ?? 0), 0);
  const colTotal = (q: string) => QUADRANT_ORDER.reduce((n, other) => n + (cells.get(`${other}|${q}`) ?? 0), 0);
  const same = QUADRANT_ORDER.reduce((n, q) => n + (cells.get(`${q}|${q}`) ?? 0), 0);
  return (
    <>
      <p data-testid="compare-summary">
        <strong>{formatInt(c.shared)}</strong> examples scored by both · {formatInt(c.onlyA)} only by A · {formatInt(c.onlyB)} only by B ·{" "}
        <strong>{formatInt(same)}</strong> in the same quadrant in both · memorization correlation{" "}
        <strong>{c.memorizationCorrelation === null ? "—" : formatNumber(c.memorizationCorrelation)}</strong>
      </p>
      <p className="muted">
        <Link href={`/runs/${c.runA.id}`}>Run A: {c.runA.name}</Link> · <Link href={`/runs/${c.runB.id}`}>Run B: {c.runB.name}</Link>
      </p>
      <div className="grid-2">
        <section className="card" aria-labelledby="crosstab-title">
          <h2 id="crosstab-title" style={{ marginTop: 0 }}>
            Quadrants: run A (rows) × run B (columns)
          </h2>
          {/* Focusable: on a narrow screen the table scrolls sideways, and keyboard users must reach it. */}
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Quadrant table, run A by run B">
            <table data-testid="quadrant-crosstab">
              <thead>
                <tr>
                  <th scope="col">A \ B</th>
                  {QUADRANT_ORDER.map((q) => (
                    <th scope="col" className="num" key={q}>
                      {quadrantStyle(q).label}
                    </th>
                  ))}
                  <th scope="col" className="num">
                    Total
                  </th>
                </tr>
              </thead>
              <tbody>
                {QUADRANT_ORDER.map((qa) => (
                  <tr key={qa}>
                    <th scope="row">{quadrantStyle(qa).label}</th>
                    {QUADRANT_ORDER.map((qb) => (
                      <td className="num" key={qb} data-cell={`${qa}|${qb}`} style={qa === qb ? { fontWeight: 700 } : undefined}>
                        {formatInt(cells.get(`${qa}|${qb}`) ?? 0)}
                      </td>
                    ))}
                    <td className="num">{formatInt(rowTotal(qa))}</td>
                  </tr>
                ))}
                <tr>
                  <th scope="row">Total</th>
                  {QUADRANT_ORDER.map((qb) => (
                    <td className="num" key={qb}>
                      {formatInt(colTotal(qb))}
                    </td>
                  ))}
                  <td className="num">{formatInt(c.shared)}</td>
                </tr>
              </tbody>
            </table>
          </div>
          <p className="hint">The diagonal (bold) is the examples that landed in the same quadrant in both runs.</p>
        </section>
        <section className="card" aria-labelledby="scatter-title">
          <h2 id="scatter-title" style={{ marginTop: 0 }}>
            Memorization: run A against run B
          </h2>
          {option ? (
            <EChart
              option={option}
              height={340}
              label={`Scatter of ${formatInt(c.points.memorizationA.length)} shared examples: memorization in ${c.runA.name} (x) against ${c.runB.name} (y); the dashed line is equal memorization`}
            />
          ) : null}
          <p className="hint">
            {c.points.memorizationA.length < c.shared
              ? `A sample of ${formatInt(c.points.memorizationA.length)} of the ${formatInt(c.shared)} shared examples, spread over run A's order.`
              : "Every shared example."}{" "}
            Points above the dashed line are more memorized in run B; a signal with few distinct values (forget frequency) stacks many examples on one point.
          </p>
        </section>
      </div>
    </>
  );
}
