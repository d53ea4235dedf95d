"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useClient, useQuery } from "urql";
import { ErrorNote, Loading } from "../components/Shell";
import { formatInt, formatNumber, humanize } from "../lib/format";
import { errorMessage, type Me } from "../lib/session";
import { DataMapCanvas, type SelectionMode } from "./DataMapCanvas";
import { countByQuadrant, prepareDataMap, type DataMapPayload } from "./model";
import { quadrantStyle } from "./palette";
import { ProposeForm } from "./ProposeForm";
import type { Point } from "./hit-test";

const DATA_MAP = /* GraphQL */ `
  query DataMap($runId: ID!) {
    run(id: $runId) {
      id
      dataMap {
        runId
        count
        ids
        difficulty
        memorization
        quadrant
        quadrants
        isCanary
        thresholds { difficulty memorization source }
      }
    }
  }
`;

const POINT_DETAIL = /* GraphQL */ `
  query PointDetail($id: ID!, $runId: ID!) {
    example(id: $id) {
      id
      key
      text
      split
      isCanary
      score(runId: $runId) { forgetEvents neverLearned confidence variability correctness }
    }
  }
`;

const DATA_MAP_CONTEXT = { url: "/graphql?op=DataMap" };

interface PointDetail {
  id: string;
  key: string;
  text: string | null;
  split: string;
  isCanary: boolean;
  score: { forgetEvents: number; neverLearned: boolean; confidence: number; variability: number; correctness: number } | null;
}

export interface DataMapPanelProps {
  me: Me;
  runId: string;
  version: { id: string; number: number; status: string; dataset: { id: string; name: string } };
}

type DataMapQuery = { run: { id: string; dataMap: DataMapPayload | null } | null };

/**
 * The data map query, for the run page to start at mount — in parallel with the run's own
 * query, not after it — so the map's 100 k points are on their way as early as possible.
 * `url` tags the request so the benchmark can find it among the page's GraphQL calls.
 */
export function useDataMapQuery(runId: string) {
  return useQuery<DataMapQuery>({ query: DATA_MAP, variables: { runId }, context: DATA_MAP_CONTEXT });
}

export type DataMapQueryResult = ReturnType<typeof useDataMapQuery>[0];

export function DataMapPanel({ me, runId, version, result }: DataMapPanelProps & { result: DataMapQueryResult }) {
  const payload = result.data?.run?.dataMap ?? null;
  const map = useMemo(() => {
    if (!payload) return null;
    // Marks read by bench/web/data-map.ts: response parsed → arrays prepared → (canvas) drawn.
    performance.mark("gdc:data-map-received");
    const prepared = prepareDataMap(payload);
    performance.mark("gdc:data-map-prepared");
    return prepared;
  }, [payload]);

  if (result.error) return <ErrorNote message={errorMessage(result.error)} />;
  if (!map) return result.fetching ? <Loading what="the data map" /> : <p className="muted">This run has no scores yet.</p>;
  return <DataMapExplorer me={me} runId={runId} version={version} map={map} />;
}

function DataMapExplorer({ me, runId, version, map }: DataMapPanelProps & { map: ReturnType<typeof prepareDataMap> }) {
  const client = useClient();
  const router = useRouter();
  const counts = useMemo(() => countByQuadrant(map.quadrant, map.quadrantNames.length), [map]);
  const [shown, setShown] = useState<boolean[]>(() => map.quadrantNames.map(() => true));
  const [selected, setSelected] = useState<Uint8Array>(() => new Uint8Array(map.count));
  const [mode, setMode] = useState<SelectionMode>("lasso");
  const [jitter, setJitter] = useState(true);
  const [resetSignal, setResetSignal] = useState(0);
  const [hover, setHover] = useState<{ index: number; at: Point } | null>(null);
  const [detail, setDetail] = useState<PointDetail | null>(null);
  const detailCache = useRef(new Map<string, PointDetail>());
  const wrapRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    setShown(map.quadrantNames.map(() => true));
    setSelected(new Uint8Array(map.count));
  }, [map]);

  const visibleCount = useMemo(() => counts.reduce((sum, c, q) => sum + (shown[q] ? c : 0), 0), [counts, shown]);
  const selectedIndices = useMemo(() => {
    const out: number[] = [];
    for (let i = 0; i < selected.length; i++) if (selected[i] && shown[map.quadrant[i]!]) out.push(i);
    return out;
  }, [selected, shown, map]);

  const onSelect = useCallback(
    (indices: number[], additive: boolean) => {
      setSelected((prev) => {
        const next = additive && prev.length === map.count ? prev.slice() : new Uint8Array(map.count);
        for (const i of indices) next[i] = 1;
        return next;
      });
    },
    [map],
  );

  const onHover = useCallback((index: number, at: Point | null) => {
    setHover(index >= 0 && at ? { index, at } : null);
  }, []);

  // Fetch the hovered example's text once the pointer rests on it (debounced), cached per id.
  useEffect(() => {
    if (!hover) {
      setDetail(null);
      return;
    }
    const id = map.ids[hover.index]!;
    const cached = detailCache.current.get(id);
    if (cached) {
      setDetail(cached);
      return;
    }
    setDetail(null);
    let cancelled = false;
    const timer = window.setTimeout(() => {
      client
        .query<{ example: PointDetail | null }>(POINT_DETAIL, { id, runId })
        .toPromise()
        .then((r) => {
          if (r.data?.example) detailCache.current.set(id, r.data.example);
          if (!cancelled && r.data?.example) setDetail(r.data.example);
        });
    }, 150);
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [hover, map, client, runId]);

  const openExample = useCallback((index: number) => router.push(`/runs/${runId}/examples/${map.ids[index]}`), [router, runId, map]);

  function selectAllShown() {
    const next = new Uint8Array(map.count);
    for (let i = 0; i < map.count; i++) if (shown[map.quadrant[i]!]) next[i] = 1;
    setSelected(next);
  }

  const single = selectedIndices.length === 1 ? selectedIndices[0]! : -1;
  const hoverIndex = hover?.index ?? -1;
  const tooltipLeft = hover ? Math.min(hover.at.x + 14, (wrapRef.current?.clientWidth ?? 800) - 350) : 0;

  return (
    <section aria-labelledby="datamap-title">
      <h2 id="datamap-title">Data map</h2>
      <p className="point-count" aria-live="polite">
        <strong data-testid="point-count">{formatInt(visibleCount)}</strong> of {formatInt(map.count)} points shown
        {selectedIndices.length > 0 ? (
          <>
            {" · "}
            <strong data-testid="selected-count">{formatInt(selectedIndices.length)}</strong> selected
          </>
        ) : null}
      </p>
      <div className="datamap">
        <div ref={wrapRef} style={{ position: "relative" }}>
          <DataMapCanvas
            map={map}
            shown={shown}
            selected={selected}
            selectionMode={mode}
            jitter={jitter}
            resetSignal={resetSignal}
            onSelect={onSelect}
            onHover={onHover}
            onOpen={openExample}
          />
          {hover && hoverIndex >= 0 ? (
            <div className="datamap-tooltip" role="tooltip" style={{ left: Math.max(0, tooltipLeft), top: hover.at.y + 14 }}>
              <div>
                <span className="swatch" style={{ background: quadrantStyle(map.quadrantNames[map.quadrant[hoverIndex]!]!).color }} />{" "}
                <strong>{quadrantStyle(map.quadrantNames[map.quadrant[hoverIndex]!]!).label}</strong>
                {map.isCanary[hoverIndex] ? " · canary" : ""}
              </div>
              <div className="text">{detail ? (detail.text ?? "(text redacted for your role)") : "Loading text…"}</div>
              <div className="muted">
                {detail ? `${detail.key} · ` : ""}difficulty {formatNumber(map.difficulty[hoverIndex])} · memorization{" "}
                {formatNumber(map.memorization[hoverIndex])}
                {detail?.score ? ` · ${detail.score.forgetEvents} forget events · confidence ${formatNumber(detail.score.confidence)}` : ""}
              </div>
            </div>
          ) : null}
          <p className="hint">
            Wheel or <kbd>+</kbd>/<kbd>−</kbd> to zoom, drag or arrow keys to pan, <kbd>Shift</kbd>-drag to select ({mode}),{" "}
            <kbd>Shift</kbd>+<kbd>Ctrl</kbd>-drag to add, click a point to select it, double-click to open it, <kbd>0</kbd> resets the view.
          </p>
        </div>
        <aside className="stack">
          <fieldset>
            <legend>Quadrants</legend>
            {map.quadrantNames.map((name, q) => {
              const style = quadrantStyle(name);
              return (
                <label key={name} className="quadrant-toggle" title={style.description}>
                  <input
                    type="checkbox"
                    checked={shown[q] ?? true}
                    onChange={(e) => setShown((prev) => prev.map((v, i) => (i === q ? e.target.checked : v)))}
                  />
                  <span className="swatch" style={{ background: style.color }} aria-hidden="true" />
                  <span>{style.label}</span>
                  <span className="count" data-testid={`count-${name}`}>
                    {formatInt(counts[q])}
                  </span>
                </label>
              );
            })}
            <div className="hint">
              Thresholds: θd = {formatNumber(map.thresholds.difficulty)}, θm = {formatNumber(map.thresholds.memorization)} ({map.thresholds.source}).
              Rings mark canaries ({formatInt(map.canaryIndices.length)}).
            </div>
          </fieldset>
          <fieldset>
            <legend>Selection tool</legend>
            <label className="field-inline">
              <input type="radio" name="selection-mode" value="lasso" checked={mode === "lasso"} onChange={() => setMode("lasso")} /> Lasso
            </label>
            <label className="field-inline">
              <input type="radio" name="selection-mode" value="box" checked={mode === "box"} onChange={() => setMode("box")} /> Box
            </label>
            <div className="row" style={{ marginTop: "0.4rem" }}>
              <button type="button" onClick={selectAllShown}>
                Select all shown
              </button>
              <button type="button" onClick={() => onSelect([], false)} disabled={selectedIndices.length === 0}>
                Clear selection
              </button>
            </div>
          </fieldset>
          <fieldset>
            <legend>View</legend>
            <label className="field-inline">
              <input type="checkbox" checked={jitter} onChange={(e) => setJitter(e.target.checked)} /> Spread overlapping points
            </label>
            <button type="button" onClick={() => setResetSignal((n) => n + 1)}>
              Reset zoom
            </button>
          </fieldset>
          {single >= 0 ? (
            <p>
              <Link href={`/runs/${runId}/examples/${map.ids[single]}`}>Open the selected example</Link> (
              {humanize(map.quadrantNames[map.quadrant[single]!]!)})
            </p>
          ) : null}
          <ProposeForm me={me} runId={runId} version={version} exampleIds={selectedIndices.map((i) => map.ids[i]!)} />
        </aside>
      </div>
    </section>
  );
}
