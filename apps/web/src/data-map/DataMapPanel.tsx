"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { useClient } from "urql";
import { ErrorNote, Loading } from "../components/Shell";
import { formatInt, formatNumber, humanize } from "../lib/format";
import { useSession, type Me } from "../lib/session";
import { DataMapCanvas, initialView, type SelectionMode } from "./DataMapCanvas";
import { ExamplesTable } from "./ExamplesTable";
import {
  countGovernanceFlags,
  describeGovernance,
  GOVERNANCE_FILTERS,
  GOVERNANCE_STYLE,
  governanceFilterLabel,
  governanceMarkerPath,
  governanceMask,
  type GovernanceFilter,
} from "./governance";
import { countByQuadrant, type PreparedDataMap } from "./model";
import { markerPath, quadrantStyle } from "./palette";
import { pointsOutside, ROBUST_QUANTILES, type AxisRange } from "./scales";
import { ProposeForm } from "./ProposeForm";
import { memorizationAxisLabel } from "./signals";
import { DataMapSource, type DataMapSnapshot, type GovernanceState, type IdsState } from "./source";
import type { Point } from "./hit-test";
import { graphql, type ResultOf } from "../lib/graphql";

const POINT_DETAIL = graphql(`
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
`);

type PointDetail = NonNullable<ResultOf<typeof POINT_DETAIL>["example"]>;

export interface DataMapPanelProps {
  me: Me;
  runId: string;
  version: { id: string; number: number; status: string; dataset: { id: string; name: string } };
}

export interface DataMapResource extends DataMapSnapshot {
  /** Fetches the points again (a run that was scored after the page opened). */
  reload(): void;
  /** Starts fetching the example ids, if they are not loaded or on their way. */
  loadIds(): void;
  /** Fetches the governance column again (after a proposal). */
  reloadGovernance(): void;
}

/**
 * The run's data map, for the run page to start fetching at mount — in parallel with the
 * run's own query, not after it — so the map's 100 k points are on their way as early as
 * possible. Points come as an Arrow file from /export (see source.ts); example ids follow
 * in the background once the map is drawn.
 */
export function useDataMap(runId: string): DataMapResource {
  const { state } = useSession();
  const token = state.status === "signed-in" ? state.token : null;
  const source = useMemo(() => new DataMapSource(runId, token), [runId, token]);
  useEffect(() => {
    void source.load();
    void source.loadGovernance();
    return () => source.dispose();
  }, [source]);
  const snapshot = useSyncExternalStore(source.subscribe, source.getSnapshot, source.getSnapshot);
  const reload = useCallback(() => {
    void source.load();
    void source.loadGovernance();
  }, [source]);
  const loadIds = useCallback(() => void source.loadIds(), [source]);
  const reloadGovernance = useCallback(() => void source.loadGovernance(), [source]);
  return useMemo(() => ({ ...snapshot, reload, loadIds, reloadGovernance }), [snapshot, reload, loadIds, reloadGovernance]);
}

export function DataMapPanel({ me, runId, version, data }: DataMapPanelProps & { data: DataMapResource }) {
  const { map } = data;
  if (map.status === "error") return <ErrorNote message={map.message} />;
  if (map.status === "no-scores") return <p className="muted">This run has no scores yet.</p>;
  if (map.status === "loading") return <Loading what="the data map" />;
  // A new map (re-fetched, or re-scored) starts a new explorer: no selection outlives its points.
  return (
    <DataMapExplorer
      key={map.serial}
      me={me}
      runId={runId}
      version={version}
      map={map.map}
      ids={data.ids}
      loadIds={data.loadIds}
      governance={data.governance}
      reloadGovernance={data.reloadGovernance}
    />
  );
}

/** Runs `task` when the browser is idle (soon, in any case). */
function whenIdle(task: () => void): () => void {
  if (typeof window.requestIdleCallback === "function") {
    const handle = window.requestIdleCallback(task, { timeout: 500 });
    return () => window.cancelIdleCallback(handle);
  }
  const timer = window.setTimeout(task, 0);
  return () => window.clearTimeout(timer);
}

function DataMapExplorer({
  me,
  runId,
  version,
  map,
  ids: idsState,
  loadIds,
  governance: governanceState,
  reloadGovernance,
}: DataMapPanelProps & { map: PreparedDataMap; ids: IdsState; loadIds: () => void; governance: GovernanceState; reloadGovernance: () => void }) {
  const client = useClient();
  const router = useRouter();
  const ids = idsState.status === "ready" ? idsState.ids : null;
  const idsError = idsState.status === "error" ? idsState.message : null;
  const counts = useMemo(() => countByQuadrant(map.quadrant, map.quadrantNames.length), [map]);
  const [shown, setShown] = useState<boolean[]>(() => map.quadrantNames.map(() => true));
  const [selected, setSelected] = useState<Uint8Array>(() => new Uint8Array(map.count));
  const [mode, setMode] = useState<SelectionMode>("lasso");
  const [jitter, setJitter] = useState(true);
  const [range, setRange] = useState<AxisRange>("robust");
  const [governanceFilter, setGovernanceFilter] = useState<GovernanceFilter>("ALL");
  const [highlight, setHighlight] = useState<Uint8Array | null>(null);
  const flags = governanceState.status === "ready" && governanceState.flags.length === map.count ? governanceState.flags : null;
  const governanceCounts = useMemo(() => (flags ? countGovernanceFlags(flags) : null), [flags]);
  // Until the column is there, a governance filter shows nothing rather than everything.
  const filterMask = useMemo(
    () => (governanceFilter === "ALL" ? null : flags ? governanceMask(flags, governanceFilter) : new Uint8Array(map.count)),
    [flags, governanceFilter, map.count],
  );
  const outsideRobust = useMemo(() => pointsOutside(initialView(map, "robust"), map.difficulty, map.memorization), [map]);
  const [resetSignal, setResetSignal] = useState(0);
  const [hover, setHover] = useState<{ index: number; at: Point } | null>(null);
  const [detail, setDetail] = useState<PointDetail | null>(null);
  /** A point double-clicked before the ids were there: opened when they are. */
  const [pendingOpen, setPendingOpen] = useState(-1);
  const detailCache = useRef(new Map<string, PointDetail>());
  const wrapRef = useRef<HTMLDivElement>(null);
  const [drawn, setDrawn] = useState(false);

  // Ids are not needed to draw: fetch them once the first frame is out, when the browser is idle.
  const onFirstDraw = useCallback(() => setDrawn(true), []);
  useEffect(() => (drawn ? whenIdle(loadIds) : undefined), [drawn, loadIds]);

  const isShown = useCallback((i: number) => (shown[map.quadrant[i]!] ?? false) && (!filterMask || filterMask[i] === 1), [shown, map, filterMask]);
  const visibleCount = useMemo(() => {
    if (!filterMask) return counts.reduce((sum, c, q) => sum + (shown[q] ? c : 0), 0);
    let n = 0;
    for (let i = 0; i < map.count; i++) if (isShown(i)) n++;
    return n;
  }, [counts, shown, filterMask, map, isShown]);
  const selectedIndices = useMemo(() => {
    const out: number[] = [];
    for (let i = 0; i < selected.length; i++) if (selected[i] && isShown(i)) out.push(i);
    return out;
  }, [selected, isShown]);
  // The examples table lists the selection, or every point shown when nothing is selected.
  const tableRows = useMemo(() => {
    if (selectedIndices.length) return Int32Array.from(selectedIndices);
    const out = new Int32Array(visibleCount);
    let n = 0;
    for (let i = 0; i < map.count && n < out.length; i++) if (isShown(i)) out[n++] = i;
    return out;
  }, [selectedIndices, visibleCount, map, isShown]);

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
    if (!ids) {
      // Ids still on their way: the tooltip says so meanwhile. (After a failure, hovering does
      // not retry on every point: opening a point or the propose form's Retry does.)
      setDetail(null);
      if (idsState.status === "idle") loadIds();
      return;
    }
    const id = ids.get(hover.index);
    const cached = detailCache.current.get(id);
    if (cached) {
      setDetail(cached);
      return;
    }
    setDetail(null);
    let cancelled = false;
    const timer = window.setTimeout(() => {
      client
        .query(POINT_DETAIL, { id, runId })
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
  }, [hover, ids, idsState.status, loadIds, client, runId]);

  const openExample = useCallback(
    (index: number) => {
      if (ids) router.push(`/runs/${runId}/examples/${ids.get(index)}`);
      else {
        setPendingOpen(index);
        loadIds();
      }
    },
    [ids, loadIds, router, runId],
  );
  useEffect(() => {
    if (pendingOpen >= 0 && ids) {
      setPendingOpen(-1);
      router.push(`/runs/${runId}/examples/${ids.get(pendingOpen)}`);
    }
  }, [pendingOpen, ids, router, runId]);

  // A selection will want its ids (to propose, to open): make sure they are coming.
  const anySelected = selectedIndices.length > 0;
  const idsIdle = idsState.status === "idle";
  useEffect(() => {
    if (anySelected && idsIdle) loadIds();
  }, [anySelected, idsIdle, loadIds]);
  const selectedIds = useMemo(() => (ids ? ids.pick(selectedIndices) : null), [ids, selectedIndices]);

  function selectAllShown() {
    const next = new Uint8Array(map.count);
    for (let i = 0; i < map.count; i++) if (isShown(i)) next[i] = 1;
    setSelected(next);
  }

  const single = selectedIndices.length === 1 ? selectedIndices[0]! : -1;
  const hoverIndex = hover?.index ?? -1;
  const tooltipLeft = hover ? Math.min(hover.at.x + 14, (wrapRef.current?.clientWidth ?? 800) - 350) : 0;

  const [dLo, dHi] = ROBUST_QUANTILES.difficulty;
  const [mLo] = ROBUST_QUANTILES.memorization;
  const robustLabel = `difficulty ${dLo * 100}–${dHi * 100} %, memorization ${mLo * 100} % to the top`;
  return (
    <section aria-labelledby="datamap-title">
      <div className="row datamap-header">
        <h2 id="datamap-title" style={{ margin: 0 }}>
          Data map
        </h2>
        <p className="point-count" aria-live="polite" style={{ margin: 0 }}>
          <strong data-testid="point-count">{formatInt(visibleCount)}</strong> of {formatInt(map.count)} points shown
          {selectedIndices.length > 0 ? (
            <>
              {" · "}
              <strong data-testid="selected-count">{formatInt(selectedIndices.length)}</strong> selected
            </>
          ) : null}
        </p>
        <p
          className="hint"
          style={{ margin: 0 }}
          data-testid="axis-range"
          title={`Zoomed to the data: ${robustLabel}; the top of the memorization axis is never cut`}
        >
          Axes:{" "}
          {range === "robust"
            ? `zoomed to the data${outsideRobust ? ` (${formatInt(outsideRobust)} ${outsideRobust === 1 ? "point" : "points"} outside)` : ""}`
            : "full range (every point)"}{" "}
          <button type="button" className="link-button" aria-pressed={range === "full"} onClick={() => setRange(range === "robust" ? "full" : "robust")}>
            {range === "robust" ? "Show the full range" : "Zoom to the data"}
          </button>
        </p>
      </div>
      <div className="datamap">
        <div ref={wrapRef} style={{ position: "relative" }}>
          <DataMapCanvas
            map={map}
            shown={shown}
            selected={selected}
            selectionMode={mode}
            jitter={jitter}
            filter={filterMask}
            highlight={highlight}
            governance={flags}
            range={range}
            resetSignal={resetSignal}
            onSelect={onSelect}
            onHover={onHover}
            onOpen={openExample}
            onFirstDraw={onFirstDraw}
          />
          {hover && hoverIndex >= 0 ? (
            <div className="datamap-tooltip" role="tooltip" style={{ left: Math.max(0, tooltipLeft), top: hover.at.y + 14 }}>
              <div>
                <span className="swatch" style={{ background: quadrantStyle(map.quadrantNames[map.quadrant[hoverIndex]!]!).color }} />{" "}
                <strong>{quadrantStyle(map.quadrantNames[map.quadrant[hoverIndex]!]!).label}</strong>
                {map.isCanary[hoverIndex] ? " · canary" : ""}
                {flags && flags[hoverIndex] ? ` · ${describeGovernance(flags[hoverIndex]!)}` : ""}
              </div>
              <div className="text">
                {detail ? (detail.text ?? "(text redacted for your role)") : idsError ? `Example ids could not be loaded: ${idsError}` : "Loading text…"}
              </div>
              <div className="muted">
                {detail ? `${detail.key} · ` : ""}difficulty {formatNumber(map.difficulty[hoverIndex])} · {memorizationAxisLabel(map.memorizationSignal)}{" "}
                {formatNumber(map.memorization[hoverIndex])}
                {detail?.score ? ` · ${detail.score.forgetEvents} forget events · confidence ${formatNumber(detail.score.confidence)}` : ""}
              </div>
            </div>
          ) : null}
          <p className="hint">
            Wheel or <kbd>+</kbd>/<kbd>−</kbd> to zoom, drag or arrow keys to pan, <kbd>Shift</kbd>-drag to select ({mode}), <kbd>Shift</kbd>+<kbd>Ctrl</kbd>
            -drag to add, click a point to select it, double-click to open it, <kbd>0</kbd> resets the view. Keyboard: zoom and pan to a region, then{" "}
            <kbd>A</kbd> selects the points in view (<kbd>Shift</kbd>+<kbd>A</kbd> adds), <kbd>Enter</kbd> opens the first selected, <kbd>Esc</kbd> clears.
          </p>
          {/* Under the map, beside the legend and the propose form: the selection as rows. */}
          <ExamplesTable
            map={map}
            runId={runId}
            rows={tableRows}
            rowsAre={selectedIndices.length ? "selected" : "shown"}
            governance={flags}
            onHighlight={setHighlight}
          />
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
                  <svg width="14" height="14" viewBox="0 0 12 12" aria-hidden="true" className="marker" data-shape={style.shape} data-testid={`shape-${name}`}>
                    <path d={markerPath(style.shape)} fill={style.color} stroke="#1b1f24" strokeWidth="0.8" />
                  </svg>
                  <span>
                    {style.label} <span className="muted">({style.shape})</span>
                  </span>
                  <span className="count" data-testid={`count-${name}`}>
                    {formatInt(counts[q])}
                  </span>
                </label>
              );
            })}
            <div className="hint">
              Thresholds: θd = {formatNumber(map.thresholds.difficulty)}, θm = {formatNumber(map.thresholds.memorization)} ({map.thresholds.source}). Each
              quadrant has its own marker shape. Rings mark canaries ({formatInt(map.canaryIndices.length)}).
            </div>
          </fieldset>
          <fieldset data-testid="governance-legend">
            <legend>Governance</legend>
            {GOVERNANCE_FILTERS.map((filter) => {
              const style = filter === "ALL" || filter === "ANY" || filter === "NONE" ? null : GOVERNANCE_STYLE[filter];
              const count = governanceCounts && style && filter !== "ALL" && filter !== "ANY" && filter !== "NONE" ? governanceCounts[filter] : null;
              return (
                <label key={filter} className="quadrant-toggle" title={style?.description}>
                  <input
                    type="radio"
                    name="governance-filter"
                    value={filter}
                    checked={governanceFilter === filter}
                    onChange={() => setGovernanceFilter(filter)}
                  />
                  {style ? (
                    <svg
                      width="14"
                      height="14"
                      viewBox="0 0 12 12"
                      aria-hidden="true"
                      className="marker"
                      data-marker={style.marker}
                      data-testid={`governance-marker-${filter}`}
                    >
                      <path d={governanceMarkerPath(style.marker)} fill="none" stroke="#24292f" strokeWidth="1.5" />
                    </svg>
                  ) : (
                    <span className="marker-space" aria-hidden="true" />
                  )}
                  <span>
                    {filter === "ALL"
                      ? "All points"
                      : filter === "ANY"
                        ? "Any proposal or change"
                        : filter === "NONE"
                          ? "No proposal"
                          : governanceFilterLabel(filter)}
                  </span>
                  {count !== null ? (
                    <span className="count" data-testid={`governance-count-${filter}`}>
                      {formatInt(count)}
                    </span>
                  ) : null}
                </label>
              );
            })}
            <div className="hint">
              {governanceState.status === "error"
                ? `Governance state could not be loaded: ${governanceState.message}`
                : governanceState.status === "loading"
                  ? "Loading governance state…"
                  : `Outlines mark proposals on version ${version.number} and the drafts made from it, and what releases pruned or down-weighted. Show only one state with the buttons.`}
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
              {ids ? (
                <Link href={`/runs/${runId}/examples/${ids.get(single)}`}>Open the selected example</Link>
              ) : (
                <span className="muted">Open the selected example (loading example ids…)</span>
              )}{" "}
              ({humanize(map.quadrantNames[map.quadrant[single]!]!)})
            </p>
          ) : null}
          {pendingOpen >= 0 && !ids ? (
            <p className="muted" role="status">
              {idsError ? `The example cannot be opened: ${idsError}` : "Opening the example once its id has loaded…"}
            </p>
          ) : null}
          <ProposeForm
            me={me}
            runId={runId}
            version={version}
            exampleCount={selectedIndices.length}
            exampleIds={selectedIds}
            idsError={idsError}
            onRetryIds={loadIds}
            onProposed={reloadGovernance}
          />
        </aside>
      </div>
    </section>
  );
}
