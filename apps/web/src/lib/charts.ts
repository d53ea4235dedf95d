// ECharts options built from API data. Pure functions (no DOM), so they are unit-tested.
import type { EChartsCoreOption } from "echarts/core";

export interface TrajectoryInput {
  epochs: number;
  loss: (number | null)[];
  accuracy: (number | null)[];
  forgetEpochs: number[];
  epsilon: number | null;
}

const LOSS_COLOR = "#0072B2";
const ACCURACY_COLOR = "#E69F00";
const FORGET_COLOR = "#D55E00";

/** Loss (left axis) and accuracy (right axis) per epoch, forget events marked on the loss line. */
export function trajectoryChart(t: TrajectoryInput): EChartsCoreOption {
  const epochs = Array.from({ length: Math.max(t.epochs, t.loss.length, t.accuracy.length) }, (_, i) => i);
  return {
    tooltip: { trigger: "axis" },
    legend: { data: ["Loss (nats)", "Accuracy", "Forget event"], bottom: 0 },
    grid: { left: 56, right: 56, top: 30, bottom: 60 },
    xAxis: { type: "category", data: epochs.map(String), name: "epoch", nameLocation: "middle", nameGap: 26 },
    yAxis: [
      { type: "value", name: "loss", scale: true },
      { type: "value", name: "accuracy", min: 0, max: 1 },
    ],
    series: [
      {
        name: "Loss (nats)",
        type: "line",
        data: epochs.map((e) => t.loss[e] ?? null),
        color: LOSS_COLOR,
        symbolSize: 6,
        connectNulls: false,
        markLine:
          t.epsilon != null
            ? { symbol: "none", silent: true, lineStyle: { type: "dashed", color: "#57606a" }, label: { formatter: "ε", position: "insideEndTop" }, data: [{ yAxis: t.epsilon }] }
            : undefined,
      },
      {
        name: "Accuracy",
        type: "line",
        yAxisIndex: 1,
        data: epochs.map((e) => t.accuracy[e] ?? null),
        color: ACCURACY_COLOR,
        symbol: "diamond",
        symbolSize: 6,
        lineStyle: { type: "dashed" },
      },
      {
        name: "Forget event",
        type: "scatter",
        data: t.forgetEpochs.filter((e) => e >= 0 && e < epochs.length).map((e) => [String(e), t.loss[e] ?? null]),
        color: FORGET_COLOR,
        symbol: "triangle",
        symbolSize: 16,
        z: 5,
      },
    ],
  };
}

/** One policy's row of an intervention study report, with whatever numbers it carries. */
export interface StudyPolicyRow {
  name: string;
  values: Record<string, number>;
}

export const STUDY_FIELDS = [
  { key: "extractionRate", label: "Extraction rate", percent: true },
  { key: "meanExposureRank", label: "Mean exposure (rank)", percent: false },
  { key: "meanExposureSkewNormal", label: "Mean exposure (skew-normal)", percent: false },
  { key: "validationPerplexity", label: "Validation perplexity", percent: false },
  { key: "perplexityChange", label: "Perplexity change", percent: true },
] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function numbersOf(entry: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  const take = (obj: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(obj)) if (typeof v === "number" && Number.isFinite(v) && !(k in out)) out[k] = v;
  };
  take(entry);
  for (const nested of ["metrics", "results", "summary"]) {
    const value = entry[nested];
    if (isRecord(value)) take(value);
  }
  return out;
}

function nameOf(entry: Record<string, unknown>, fallback: string): string {
  for (const key of ["name", "label", "policy"]) {
    const v = entry[key];
    if (typeof v === "string" && v) return v;
    if (isRecord(v) && typeof v.name === "string") return v.name;
  }
  return fallback;
}

/**
 * Reads the per-policy rows of a study report, whose exact shape belongs to the study job:
 * `policies[]` is expected; `results[]`, `arms[]` or `{ baseline, curated }` are accepted too.
 */
export function readStudyPolicies(report: unknown): StudyPolicyRow[] {
  if (!isRecord(report)) return [];
  for (const key of ["policies", "results", "arms", "runs"]) {
    const list = report[key];
    if (Array.isArray(list)) {
      return list.filter(isRecord).map((entry, i) => ({ name: nameOf(entry, `policy ${i + 1}`), values: numbersOf(entry) }));
    }
  }
  const rows: StudyPolicyRow[] = [];
  for (const key of ["baseline", "curated"]) {
    const entry = report[key];
    if (isRecord(entry)) rows.push({ name: nameOf(entry, key), values: numbersOf(entry) });
  }
  return rows;
}

const POLICY_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"];

/** y-metric vs validation perplexity, one labelled point per policy; null when no policy has both numbers. */
export function studyScatter(rows: StudyPolicyRow[], yKey: string, yLabel: string): EChartsCoreOption | null {
  const points = rows.filter((r) => r.values.validationPerplexity !== undefined && r.values[yKey] !== undefined);
  if (points.length === 0) return null;
  return {
    tooltip: { trigger: "item" },
    legend: { bottom: 0, data: points.map((r) => r.name) },
    grid: { left: 64, right: 24, top: 24, bottom: 64 },
    xAxis: { type: "value", name: "validation perplexity", nameLocation: "middle", nameGap: 28, scale: true },
    yAxis: { type: "value", name: yLabel, scale: true },
    series: points.map((r, i) => ({
      name: r.name,
      type: "scatter",
      symbolSize: 14,
      color: POLICY_COLORS[i % POLICY_COLORS.length],
      label: { show: true, position: "top", formatter: r.name },
      data: [[r.values.validationPerplexity, r.values[yKey]]],
    })),
  };
}
