"use client";
// The examples table beside the data map (issue 15): it lists the map's selection (or, with
// nothing selected, every point shown), a page at a time; its filters (text over key and text,
// quadrant) narrow the list and highlight the matching points on the map. Rows are point
// indices in typed arrays, so a selection of 1 M points filters and pages without a DOM row
// or a string per point; keys come from the API one page at a time (Run.examplesAt), text
// matches as run ordinals (Run.searchPoints), which are the map's point indices.
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { useClient } from "urql";
import { formatInt, formatNumber } from "../lib/format";
import { graphql } from "../lib/graphql";
import { describeGovernance } from "./governance";
import type { PreparedDataMap } from "./model";
import { markerPath, quadrantStyle } from "./palette";
import { memorizationAxisLabel } from "./signals";

const SEARCH_POINTS = graphql(`
  query SearchPoints($runId: ID!, $search: String!) {
    run(id: $runId) {
      id
      searchPoints(search: $search) { ordinals totalCount }
    }
  }
`);

const EXAMPLES_AT = graphql(`
  query ExamplesAt($runId: ID!, $ordinals: [Int!]!) {
    run(id: $runId) {
      id
      examplesAt(ordinals: $ordinals) { id key }
    }
  }
`);

export const TABLE_PAGE_SIZE = 25;

export interface ExamplesTableProps {
  map: PreparedDataMap;
  runId: string;
  /** Point indices listed before the table's own filters, in index order. */
  rows: Int32Array;
  /** What `rows` are: the selection, or every point shown. */
  rowsAre: "selected" | "shown";
  governance: Uint8Array | null;
  /** The table's filters as a mask over every point (1: matches), null when no filter is on; for the map to highlight. */
  onHighlight(mask: Uint8Array | null): void;
}

type Search =
  | { status: "off" }
  | { status: "loading"; text: string }
  | { status: "ready"; text: string; mask: Uint8Array; total: number; truncated: boolean }
  | { status: "error"; text: string; message: string };

export function ExamplesTable({ map, runId, rows, rowsAre, governance, onHighlight }: ExamplesTableProps) {
  const client = useClient();
  const [text, setText] = useState("");
  const [quadrant, setQuadrant] = useState(-1);
  const [search, setSearch] = useState<Search>({ status: "off" });
  const [page, setPage] = useState(0);

  // Text: asked of the API once typing pauses; its answer is a mask over the map's points.
  useEffect(() => {
    const wanted = text.trim();
    if (!wanted) {
      setSearch({ status: "off" });
      return;
    }
    setSearch({ status: "loading", text: wanted });
    let cancelled = false;
    const timer = window.setTimeout(() => {
      client
        .query(SEARCH_POINTS, { runId, search: wanted }, { requestPolicy: "network-only" })
        .toPromise()
        .then((r) => {
          if (cancelled) return;
          const found = r.data?.run?.searchPoints;
          if (!found) {
            setSearch({ status: "error", text: wanted, message: r.error?.graphQLErrors[0]?.message ?? r.error?.message ?? "The search failed" });
            return;
          }
          const mask = new Uint8Array(map.count);
          for (const o of found.ordinals) if (o >= 0 && o < map.count) mask[o] = 1;
          setSearch({ status: "ready", text: wanted, mask, total: found.totalCount, truncated: found.totalCount > found.ordinals.length });
        });
    }, 300);
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [text, client, runId, map.count]);

  const textMask = search.status === "ready" ? search.mask : null;
  const filtering = quadrant >= 0 || textMask !== null;
  const highlight = useMemo(() => {
    if (!filtering) return null;
    const mask = new Uint8Array(map.count);
    for (let i = 0; i < map.count; i++) mask[i] = (quadrant < 0 || map.quadrant[i] === quadrant) && (!textMask || textMask[i]) ? 1 : 0;
    return mask;
  }, [filtering, quadrant, textMask, map]);
  useEffect(() => onHighlight(highlight), [highlight, onHighlight]);
  useEffect(() => () => onHighlight(null), [onHighlight]);

  const listed = useMemo(() => {
    if (!highlight) return rows;
    let n = 0;
    for (let k = 0; k < rows.length; k++) if (highlight[rows[k]!]) n++;
    const out = new Int32Array(n);
    n = 0;
    for (let k = 0; k < rows.length; k++) if (highlight[rows[k]!]) out[n++] = rows[k]!;
    return out;
  }, [rows, highlight]);

  const pages = Math.max(1, Math.ceil(listed.length / TABLE_PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  useEffect(() => setPage(0), [rows, highlight]);
  const pageRows = useMemo(() => Array.from(listed.subarray(current * TABLE_PAGE_SIZE, (current + 1) * TABLE_PAGE_SIZE)), [listed, current]);

  // The page's keys and ids, by point index.
  const [examples, setExamples] = useState<Map<number, { id: string; key: string }>>(new Map());
  const pageKey = pageRows.join(",");
  useEffect(() => {
    if (!pageRows.length) return;
    let cancelled = false;
    client
      .query(EXAMPLES_AT, { runId, ordinals: pageRows })
      .toPromise()
      .then((r) => {
        const found = r.data?.run?.examplesAt;
        if (cancelled || !found) return;
        setExamples((prev) => {
          const next = new Map(prev);
          found.forEach((e, k) => {
            if (e) next.set(pageRows[k]!, e);
          });
          return next;
        });
      });
    return () => {
      cancelled = true;
    };
    // pageKey stands for pageRows' contents.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pageKey, client, runId]);

  const yLabel = memorizationAxisLabel(map.memorizationSignal);
  return (
    <section className="examples-table" aria-labelledby="examples-table-title">
      <h3 id="examples-table-title">Examples</h3>
      <div className="row examples-table-filters">
        <label className="field-inline">
          Filter{" "}
          <input
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="key or text"
            maxLength={200}
            aria-label="Filter examples by key or text"
          />
        </label>
        <label className="field-inline">
          Quadrant{" "}
          <select value={quadrant} onChange={(e) => setQuadrant(Number(e.target.value))} aria-label="Filter examples by quadrant">
            <option value={-1}>Any</option>
            {map.quadrantNames.map((name, q) => (
              <option key={name} value={q}>
                {quadrantStyle(name).label}
              </option>
            ))}
          </select>
        </label>
        {filtering ? (
          <button
            type="button"
            onClick={() => {
              setText("");
              setQuadrant(-1);
            }}
          >
            Clear filters
          </button>
        ) : null}
      </div>
      <p className="hint" aria-live="polite" data-testid="examples-table-summary">
        <strong>{formatInt(listed.length)}</strong> {listed.length === 1 ? "example" : "examples"}
        {rowsAre === "selected" ? " of the selection" : " shown on the map"}
        {filtering && highlight ? ` match the filter (highlighted on the map: ${formatInt(countOnes(highlight))} in all)` : ""}
        {search.status === "loading" ? " · searching…" : ""}
        {search.status === "ready" && search.truncated
          ? ` · text matches the first ${formatInt(search.mask.length ? countOnes(search.mask) : 0)} of ${formatInt(search.total)}`
          : ""}
        {rowsAre === "shown" ? ". Select points on the map to list only those." : "."}
      </p>
      {search.status === "error" ? <p className="error">{search.message}</p> : null}
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Quadrant</th>
              <th scope="col">Difficulty</th>
              <th scope="col" title={yLabel}>
                Memorization
              </th>
              <th scope="col">Governance</th>
            </tr>
          </thead>
          <tbody>
            {pageRows.map((i) => {
              const name = map.quadrantNames[map.quadrant[i]!]!;
              const style = quadrantStyle(name);
              const example = examples.get(i);
              const state = governance ? describeGovernance(governance[i]!) : null;
              return (
                <tr key={i} data-point={i}>
                  <td className="mono">
                    {example ? <Link href={`/runs/${runId}/examples/${example.id}`}>{example.key}</Link> : <span className="muted">row {formatInt(i)}…</span>}
                    {map.isCanary[i] ? <span className="muted"> · canary</span> : null}
                  </td>
                  <td>
                    <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" className="marker">
                      <path d={markerPath(style.shape)} fill={style.color} stroke="#1b1f24" strokeWidth="0.8" />
                    </svg>{" "}
                    {style.label}
                  </td>
                  <td className="num">{formatNumber(map.difficulty[i])}</td>
                  <td className="num">{formatNumber(map.memorization[i])}</td>
                  <td>{state === null ? <span className="muted">…</span> : state || <span className="muted">—</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {listed.length > TABLE_PAGE_SIZE ? (
        <div className="row" role="navigation" aria-label="Examples table pages">
          <button type="button" onClick={() => setPage(current - 1)} disabled={current === 0}>
            Previous
          </button>
          <span data-testid="examples-table-page">
            Page {formatInt(current + 1)} of {formatInt(pages)}
          </span>
          <button type="button" onClick={() => setPage(current + 1)} disabled={current >= pages - 1}>
            Next
          </button>
        </div>
      ) : null}
    </section>
  );
}

function countOnes(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i]!;
  return n;
}
