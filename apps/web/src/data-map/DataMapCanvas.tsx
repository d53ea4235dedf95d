"use client";
// The data map itself: every point on one <canvas>, written straight into an ImageData buffer
// (100 k points draw in a few milliseconds, no DOM node per point), each in its quadrant's
// colour and marker shape. Axes, threshold lines, canary rings, governance outlines, hover and
// the selection outline are drawn on top with the 2D context.
//
// Mouse: wheel zooms at the cursor, drag pans, shift-drag selects (box or lasso; add Ctrl/⌘
// to add to the selection), click selects one point, double-click opens it.
// Keyboard (canvas focused): + / − zoom, arrow keys pan, 0 resets the view, Esc clears the selection.
import { useCallback, useEffect, useRef, useState } from "react";
import { nearestPoint, pointsInPolygon, pointsInRect, simplifyPath, type Point, type ScreenPoints } from "./hit-test";
import { GOVERNANCE_FLAG_ORDER, GOVERNANCE_FLAGS, GOVERNANCE_STYLE, traceGovernanceMarker } from "./governance";
import { applyVisibility, jitterPixels, projectPoints, type PreparedDataMap } from "./model";
import { CANARY_COLOR, QUADRANT_ORDER, markerOffsets, packRgba, quadrantStyle } from "./palette";
import { memorizationAxisLabel } from "./signals";
import { fitView, formatTick, makeScales, niceTicks, panView, robustView, wheelZoomFactor, zoomView, type AxisRange, type PlotRect, type View } from "./scales";

export type SelectionMode = "box" | "lasso";

export interface DataMapCanvasProps {
  map: PreparedDataMap;
  /** Per quadrant index (as in map.quadrantNames): is it drawn? */
  shown: readonly boolean[];
  /** 1 per selected point; a new array for every change. */
  selected: Uint8Array;
  selectionMode: SelectionMode;
  jitter: boolean;
  /** 1 per point passing the filters beyond the quadrant toggles (the governance filter); null: all pass. */
  filter?: Uint8Array | null;
  /** 1 per point matching the examples table's filter: the others are drawn faded; null: no highlight. */
  highlight?: Uint8Array | null;
  /** GOVERNANCE_FLAGS per point: outlined by state; null while not loaded. */
  governance?: Uint8Array | null;
  /** The window the map opens on (and `0`/Reset zoom returns to): robust (0.5–99.5 %) or every point. */
  range?: AxisRange;
  height?: number;
  /** Bumped by the parent to fit the view to the data again. */
  resetSignal?: number;
  onSelect(indices: number[], additive: boolean): void;
  onHover(index: number, at: Point | null): void;
  onOpen?(index: number): void;
  /** Called once, right after the first complete frame (the `gdc:data-map-drawn` mark). */
  onFirstDraw?(): void;
}

const MARGIN = { left: 58, right: 18, top: 14, bottom: 46 };
const WHITE = packRgba("#ffffff");
/** Points outside the table's filter, while it highlights others. */
const FADED = packRgba("#d5d9de");
const GOVERNANCE_STROKE = "#24292f";
const BLACK = packRgba("#000000");
const HOVER_RADIUS = 8;

type Drag =
  | { kind: "pan"; start: Point; view: View; moved: boolean }
  | { kind: "box"; start: Point; end: Point; additive: boolean; moved: boolean }
  | { kind: "lasso"; path: Point[]; additive: boolean; moved: boolean };

function plotRectFor(width: number, height: number): PlotRect {
  return {
    left: MARGIN.left,
    top: MARGIN.top,
    width: Math.max(10, width - MARGIN.left - MARGIN.right),
    height: Math.max(10, height - MARGIN.top - MARGIN.bottom),
  };
}

/** Quadrant indices in drawing order: the rare, interesting quadrants last, so on top. */
function drawOrder(names: readonly string[]): number[] {
  const priority = (name: string) => {
    const i = (QUADRANT_ORDER as readonly string[]).indexOf(name);
    return name === "HOTSPOT_MEMORIZED" ? 10 : name === "NOISY_OUTLIER" ? 9 : i < 0 ? 5 : i;
  };
  return names.map((_, i) => i).sort((a, b) => priority(names[a]!) - priority(names[b]!));
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The window a map opens on, for the chosen range. */
export function initialView(map: PreparedDataMap, range: AxisRange = "robust"): View {
  if (range === "full") return fitView(map.difficulty, map.memorization);
  return robustView(map.difficulty, map.memorization, { include: { x: [map.thresholds.difficulty], y: [map.thresholds.memorization] } });
}

export function DataMapCanvas(props: DataMapCanvasProps) {
  const { height = 540 } = props;
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const propsRef = useRef(props);
  propsRef.current = props;

  // Computed once (useRef's argument would be evaluated on every render: quantiles of every point).
  const [firstView] = useState(() => initialView(props.map, props.range));
  const viewRef = useRef<View>(firstView);
  const sizeRef = useRef({ width: 0, height, dpr: 1 });
  const screenRef = useRef<ScreenPoints>({ x: new Float32Array(0), y: new Float32Array(0), visible: new Uint8Array(0) });
  const imageRef = useRef<ImageData | null>(null);
  const dragRef = useRef<Drag | null>(null);
  const hoverRef = useRef(-1);
  const frameRef = useRef(0);
  const firstDrawRef = useRef(true);

  const draw = useCallback(() => {
    frameRef.current = 0;
    const canvas = canvasRef.current;
    const { map, shown, selected, jitter, filter = null, highlight = null, governance = null } = propsRef.current;
    const { width, height: cssHeight, dpr } = sizeRef.current;
    if (!canvas || width <= 0) return;
    const ctx = canvas.getContext("2d");
    if (!ctx) return;

    const plot = plotRectFor(width, cssHeight);
    const scales = makeScales(viewRef.current, plot);
    const screen = screenRef.current;
    if (screen.x.length !== map.count) {
      screenRef.current = { x: new Float32Array(map.count), y: new Float32Array(map.count), visible: new Uint8Array(map.count) };
    }
    const pts = screenRef.current;
    projectPoints(map, scales, jitter ? jitterPixels(map, scales) : 0, pts);
    const visibleCount = applyVisibility(map.quadrant, shown, pts.visible, filter && filter.length === map.count ? filter : null);
    const lit = highlight && highlight.length === map.count ? highlight : null;

    // Points, straight into pixels.
    const W = canvas.width;
    const H = canvas.height;
    if (!imageRef.current || imageRef.current.width !== W || imageRef.current.height !== H) imageRef.current = ctx.createImageData(W, H);
    const image = imageRef.current;
    const u32 = new Uint32Array(image.data.buffer);
    u32.fill(WHITE);
    const clipX0 = Math.ceil(plot.left * dpr);
    const clipX1 = Math.floor((plot.left + plot.width) * dpr);
    const clipY0 = Math.ceil(plot.top * dpr);
    const clipY1 = Math.floor((plot.top + plot.height) * dpr);
    const bytes = image.data;
    // Opaque points up to a few thousand; beyond, translucent ones so that density shows
    // (100 k opaque points would merge into solid bands).
    const alpha = Math.min(1, Math.max(0.2, 4000 / Math.max(1, map.count)));
    // Bigger points when there are few of them; 3 px keeps 100 k points readable. Odd sizes,
    // so each marker shape has a centre pixel.
    const pointSize = Math.max(2, Math.round((map.count <= 2_000 ? 7 : map.count <= 20_000 ? 5 : 3) * dpr));
    const outline = pointSize + 2 * Math.max(1, Math.round(dpr));
    const styles = map.quadrantNames.map((name) => quadrantStyle(name));
    const colors = styles.map((style) => packRgba(style.color));
    const stamps = styles.map((style) => markerOffsets(style.shape, pointSize));
    const outlineStamps = styles.map((style) => markerOffsets(style.shape, outline));
    const stamp = (cx: number, cy: number, offsets: { dx: Int16Array; dy: Int16Array }, color: number, opaque = alpha >= 1) => {
      const x = Math.round(cx * dpr);
      const y = Math.round(cy * dpr);
      const { dx, dy } = offsets;
      const r = color & 0xff;
      const g = (color >>> 8) & 0xff;
      const b = (color >>> 16) & 0xff;
      for (let k = 0; k < dx.length; k++) {
        const sx = x + dx[k]!;
        const sy = y + dy[k]!;
        if (sx < clipX0 || sx >= clipX1 || sy < clipY0 || sy >= clipY1) continue;
        if (opaque) {
          u32[sy * W + sx] = color;
        } else {
          const o = (sy * W + sx) * 4;
          bytes[o] = bytes[o]! + (r - bytes[o]!) * alpha;
          bytes[o + 1] = bytes[o + 1]! + (g - bytes[o + 1]!) * alpha;
          bytes[o + 2] = bytes[o + 2]! + (b - bytes[o + 2]!) * alpha;
        }
      }
    };
    const { x: px, y: py, visible } = pts;
    const quadrant = map.quadrant;
    if (lit) {
      // The table's filter: the rest stays as faded context underneath.
      for (let i = 0; i < map.count; i++) if (visible[i] && !lit[i]) stamp(px[i]!, py[i]!, stamps[quadrant[i]!]!, FADED);
    }
    for (const q of drawOrder(map.quadrantNames)) {
      const color = colors[q]!;
      const offsets = stamps[q]!;
      for (let i = 0; i < map.count; i++) {
        if (visible[i] && quadrant[i] === q && (!lit || lit[i])) stamp(px[i]!, py[i]!, offsets, color);
      }
    }
    let selectedCount = 0;
    if (selected.length === map.count) {
      for (let i = 0; i < map.count; i++) {
        if (!selected[i] || !visible[i]) continue;
        selectedCount++;
        const q = quadrant[i]!;
        stamp(px[i]!, py[i]!, outlineStamps[q]!, BLACK, true);
        stamp(px[i]!, py[i]!, stamps[q]!, colors[q]!, true);
      }
    }
    ctx.putImageData(image, 0, 0);

    // Vector overlay in CSS pixels.
    ctx.save();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#333";
    ctx.strokeStyle = "#d0d7de";
    ctx.lineWidth = 1;
    const view = viewRef.current;
    const xTicks = niceTicks(view.xMin, view.xMax, Math.max(3, Math.round(plot.width / 90)));
    const yTicks = niceTicks(view.yMin, view.yMax, Math.max(3, Math.round(plot.height / 60)));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of xTicks) {
      const x = Math.round(scales.x(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, plot.top + plot.height);
      ctx.lineTo(x, plot.top + plot.height + 5);
      ctx.stroke();
      ctx.fillText(formatTick(t, xTicks), x, plot.top + plot.height + 7);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of yTicks) {
      const y = Math.round(scales.y(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(plot.left - 5, y);
      ctx.lineTo(plot.left, y);
      ctx.stroke();
      ctx.fillText(formatTick(t, yTicks), plot.left - 7, y);
    }
    ctx.strokeStyle = "#57606a";
    ctx.strokeRect(plot.left + 0.5, plot.top + 0.5, plot.width - 1, plot.height - 1);
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText("Difficulty — mean early-epoch loss (nats) →", plot.left + plot.width / 2, cssHeight - 4);
    ctx.save();
    ctx.translate(14, plot.top + plot.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(`${capitalize(memorizationAxisLabel(map.memorizationSignal))} →`, 0, 0);
    ctx.restore();

    ctx.beginPath();
    ctx.rect(plot.left, plot.top, plot.width, plot.height);
    ctx.clip();

    // Threshold lines.
    const { thresholds } = map;
    ctx.strokeStyle = "#1b1f24";
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 1.25;
    const tx = scales.x(thresholds.difficulty);
    const ty = scales.y(thresholds.memorization);
    ctx.beginPath();
    ctx.moveTo(tx, plot.top);
    ctx.lineTo(tx, plot.top + plot.height);
    ctx.moveTo(plot.left, ty);
    ctx.lineTo(plot.left + plot.width, ty);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#1b1f24";
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText(`θd = ${thresholds.difficulty.toFixed(3)}`, tx + 4, plot.top + 4);
    ctx.textAlign = "right";
    ctx.textBaseline = "bottom";
    ctx.fillText(`θm = ${thresholds.memorization.toFixed(3)}`, plot.left + plot.width - 4, ty - 3);

    // Governance: an outline per state (a form of its own, not a colour), every point of a state in one path.
    let governed = 0;
    if (governance && governance.length === map.count) {
      ctx.strokeStyle = GOVERNANCE_STROKE;
      ctx.lineWidth = 1.5;
      const r = pointSize / dpr / 2 + 3;
      for (const name of GOVERNANCE_FLAG_ORDER) {
        const bit = GOVERNANCE_FLAGS[name];
        const marker = GOVERNANCE_STYLE[name].marker;
        ctx.beginPath();
        for (let i = 0; i < map.count; i++) {
          if (!(governance[i]! & bit) || !visible[i]) continue;
          traceGovernanceMarker(ctx, marker, px[i]!, py[i]!, r);
          governed++;
        }
        ctx.lineWidth = name === "PRUNED" ? 2.5 : 1.5;
        ctx.stroke();
      }
    }

    // Canaries: a ring, so they stand out whatever their quadrant.
    ctx.strokeStyle = CANARY_COLOR;
    ctx.lineWidth = 1.5;
    for (const i of map.canaryIndices) {
      if (!visible[i]) continue;
      ctx.beginPath();
      ctx.arc(px[i]!, py[i]!, 4.5, 0, Math.PI * 2);
      ctx.stroke();
    }

    const hover = hoverRef.current;
    if (hover >= 0 && hover < map.count && visible[hover]) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#ffffff";
      ctx.beginPath();
      ctx.arc(px[hover]!, py[hover]!, 7, 0, Math.PI * 2);
      ctx.stroke();
      ctx.strokeStyle = "#000000";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(px[hover]!, py[hover]!, 7, 0, Math.PI * 2);
      ctx.stroke();
    }

    const drag = dragRef.current;
    if (drag?.kind === "box") {
      ctx.setLineDash([4, 3]);
      ctx.strokeStyle = "#000";
      ctx.fillStyle = "rgba(11, 92, 173, 0.08)";
      const x = Math.min(drag.start.x, drag.end.x);
      const y = Math.min(drag.start.y, drag.end.y);
      ctx.fillRect(x, y, Math.abs(drag.end.x - drag.start.x), Math.abs(drag.end.y - drag.start.y));
      ctx.strokeRect(x, y, Math.abs(drag.end.x - drag.start.x), Math.abs(drag.end.y - drag.start.y));
      ctx.setLineDash([]);
    } else if (drag?.kind === "lasso" && drag.path.length > 1) {
      ctx.setLineDash([4, 3]);
      ctx.strokeStyle = "#000";
      ctx.fillStyle = "rgba(11, 92, 173, 0.08)";
      ctx.beginPath();
      ctx.moveTo(drag.path[0]!.x, drag.path[0]!.y);
      for (const p of drag.path) ctx.lineTo(p.x, p.y);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.restore();

    canvas.dataset.drawnPoints = String(visibleCount);
    canvas.dataset.governanceMarkers = String(governed);
    canvas.dataset.highlighted = lit ? String(countLit(lit, visible)) : "";
    canvas.dataset.range = propsRef.current.range ?? "robust";
    canvas.dataset.view = [view.xMin, view.xMax, view.yMin, view.yMax].map((v) => v.toPrecision(4)).join(",");
    canvas.dataset.selectedPoints = String(selectedCount);
    if (firstDrawRef.current) {
      firstDrawRef.current = false;
      // Read by bench/web/data-map.ts: navigation start → first complete frame of the map.
      performance.mark("gdc:data-map-drawn", { detail: { points: visibleCount } });
      canvas.dataset.ready = "true";
      propsRef.current.onFirstDraw?.();
    }
  }, []);

  const schedule = useCallback(() => {
    if (!frameRef.current) frameRef.current = requestAnimationFrame(draw);
  }, [draw]);

  // Canvas size follows its container; the backing store follows the device pixel ratio.
  useEffect(() => {
    const wrap = wrapRef.current;
    const canvas = canvasRef.current;
    if (!wrap || !canvas) return;
    const resize = () => {
      const dpr = Math.min(window.devicePixelRatio || 1, 2);
      const width = Math.floor(wrap.clientWidth);
      sizeRef.current = { width, height, dpr };
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      canvas.style.height = `${height}px`;
      // Draw synchronously on first layout so the map appears in the same frame.
      draw();
    };
    resize();
    const observer = new ResizeObserver(() => {
      if (Math.floor(wrap.clientWidth) !== sizeRef.current.width) resize();
    });
    observer.observe(wrap);
    return () => observer.disconnect();
  }, [draw, height]);

  // New data, a reset or another range: fit the view to the data (at mount it already is).
  const fittedRef = useRef({ map: props.map, reset: props.resetSignal, range: props.range });
  useEffect(() => {
    const fitted = fittedRef.current;
    if (fitted.map !== props.map || fitted.reset !== props.resetSignal || fitted.range !== props.range) {
      fittedRef.current = { map: props.map, reset: props.resetSignal, range: props.range };
      viewRef.current = initialView(props.map, props.range);
    }
    hoverRef.current = -1;
    schedule();
  }, [props.map, props.resetSignal, props.range, schedule]);

  useEffect(() => {
    schedule();
  }, [props.shown, props.selected, props.jitter, props.filter, props.highlight, props.governance, schedule]);

  useEffect(() => () => cancelAnimationFrame(frameRef.current), []);

  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const p = localPoint(canvas, event);
      const plot = plotRectFor(sizeRef.current.width, sizeRef.current.height);
      const scales = makeScales(viewRef.current, plot);
      const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
      viewRef.current = zoomView(viewRef.current, { x: scales.invertX(p.x), y: scales.invertY(p.y) }, wheelZoomFactor(delta));
      setHover(-1, null);
      schedule();
    };
    canvas.addEventListener("wheel", onWheel, { passive: false });
    return () => canvas.removeEventListener("wheel", onWheel);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [schedule]);

  function setHover(index: number, at: Point | null) {
    if (hoverRef.current === index) return;
    hoverRef.current = index;
    propsRef.current.onHover(index, at);
    schedule();
  }

  function onPointerDown(event: React.PointerEvent<HTMLCanvasElement>) {
    if (event.button !== 0) return;
    const canvas = event.currentTarget;
    canvas.setPointerCapture(event.pointerId);
    const p = localPoint(canvas, event);
    const additive = event.ctrlKey || event.metaKey || event.altKey;
    if (event.shiftKey) {
      dragRef.current =
        propsRef.current.selectionMode === "box"
          ? { kind: "box", start: p, end: p, additive, moved: false }
          : { kind: "lasso", path: [p], additive, moved: false };
      canvas.classList.add("selecting");
    } else {
      dragRef.current = { kind: "pan", start: p, view: viewRef.current, moved: false };
      canvas.classList.add("panning");
    }
    setHover(-1, null);
  }

  function onPointerMove(event: React.PointerEvent<HTMLCanvasElement>) {
    const canvas = event.currentTarget;
    const p = localPoint(canvas, event);
    const drag = dragRef.current;
    if (!drag) {
      const index = nearestPoint(screenRef.current, p.x, p.y, HOVER_RADIUS);
      setHover(index, index >= 0 ? { x: screenRef.current.x[index]!, y: screenRef.current.y[index]! } : null);
      return;
    }
    if (drag.kind === "pan") {
      const dx = p.x - drag.start.x;
      const dy = p.y - drag.start.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      viewRef.current = panView(drag.view, dx, dy, plotRectFor(sizeRef.current.width, sizeRef.current.height));
    } else if (drag.kind === "box") {
      drag.end = p;
      if (Math.abs(p.x - drag.start.x) + Math.abs(p.y - drag.start.y) > 3) drag.moved = true;
    } else {
      drag.path.push(p);
      if (drag.path.length > 3) drag.moved = true;
    }
    schedule();
  }

  function onPointerUp(event: React.PointerEvent<HTMLCanvasElement>) {
    const canvas = event.currentTarget;
    canvas.classList.remove("selecting", "panning");
    const drag = dragRef.current;
    dragRef.current = null;
    if (!drag) return;
    const p = localPoint(canvas, event);
    if (drag.moved && drag.kind === "box") {
      propsRef.current.onSelect(pointsInRect(screenRef.current, drag.start, p), drag.additive);
    } else if (drag.moved && drag.kind === "lasso") {
      propsRef.current.onSelect(pointsInPolygon(screenRef.current, simplifyPath([...drag.path, p])), drag.additive);
    } else if (!drag.moved) {
      const index = nearestPoint(screenRef.current, p.x, p.y, HOVER_RADIUS);
      if (index >= 0) propsRef.current.onSelect([index], event.shiftKey || event.ctrlKey || event.metaKey);
    }
    schedule();
  }

  function onDoubleClick(event: React.MouseEvent<HTMLCanvasElement>) {
    const p = localPoint(event.currentTarget, event);
    const index = nearestPoint(screenRef.current, p.x, p.y, HOVER_RADIUS);
    if (index >= 0) propsRef.current.onOpen?.(index);
  }

  function onKeyDown(event: React.KeyboardEvent<HTMLCanvasElement>) {
    const plot = plotRectFor(sizeRef.current.width, sizeRef.current.height);
    const view = viewRef.current;
    const center = { x: (view.xMin + view.xMax) / 2, y: (view.yMin + view.yMax) / 2 };
    const step = 40;
    let handled = true;
    switch (event.key) {
      case "+":
      case "=":
        viewRef.current = zoomView(view, center, 1.25);
        break;
      case "-":
      case "_":
        viewRef.current = zoomView(view, center, 0.8);
        break;
      case "ArrowLeft":
        viewRef.current = panView(view, step, 0, plot);
        break;
      case "ArrowRight":
        viewRef.current = panView(view, -step, 0, plot);
        break;
      case "ArrowUp":
        viewRef.current = panView(view, 0, step, plot);
        break;
      case "ArrowDown":
        viewRef.current = panView(view, 0, -step, plot);
        break;
      case "0":
        viewRef.current = initialView(propsRef.current.map, propsRef.current.range);
        break;
      case "Escape":
        propsRef.current.onSelect([], false);
        break;
      // Keyboard selection: zoom and pan to a region, then "a" selects the shown points in view
      // (Shift+A adds them to the selection); Enter opens the first selected example.
      case "a":
      case "A":
        if (event.ctrlKey || event.metaKey || event.altKey) {
          handled = false;
          break;
        }
        propsRef.current.onSelect(
          pointsInRect(screenRef.current, { x: plot.left, y: plot.top }, { x: plot.left + plot.width, y: plot.top + plot.height }),
          event.shiftKey,
        );
        break;
      case "Enter": {
        const first = propsRef.current.selected.indexOf(1);
        if (first >= 0) propsRef.current.onOpen?.(first);
        else handled = false;
        break;
      }
      default:
        handled = false;
    }
    if (handled) {
      event.preventDefault();
      schedule();
    }
  }

  return (
    <div ref={wrapRef} className="datamap-canvas-wrap">
      <canvas
        ref={canvasRef}
        tabIndex={0}
        role="img"
        aria-label={`Data map: ${props.map.count} examples plotted by difficulty (x) and ${memorizationAxisLabel(props.map.memorizationSignal)} (y). Wheel or +/− to zoom, drag or arrow keys to pan, shift-drag to select; A selects the points in view, Enter opens the first selected.`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onPointerLeave={() => {
          if (!dragRef.current) setHover(-1, null);
        }}
        onDoubleClick={onDoubleClick}
        onKeyDown={onKeyDown}
      />
    </div>
  );
}

function countLit(lit: Uint8Array, visible: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < lit.length; i++) if (lit[i] && visible[i]) n++;
  return n;
}

function localPoint(canvas: HTMLCanvasElement, event: { clientX: number; clientY: number }): Point {
  const rect = canvas.getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
}
