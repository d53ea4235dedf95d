// ECharts options built from API data. Pure functions (no DOM), so they are unit-tested.
import type { EChartsCoreOption } from "echarts/core";

export interface TrajectoryInput {
  epochs: number;
  loss: (number | null)[];
  accuracy: (number | null)[];
  forgetEpochs: number[];
  epsilon: number | null;
}

const POLICY_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"];
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
            ? {
                symbol: "none",
                silent: true,
                lineStyle: { type: "dashed", color: "#57606a" },
                label: { formatter: "ε", position: "insideEndTop" },
                data: [{ yAxis: t.epsilon }],
              }
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
  /** Extraction rate per canary repetition count, when the report has it. */
  byRepetitions: { repetitions: number; extractionRate: number }[];
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
  for (const key of ["label", "name", "policy"]) {
    const v = entry[key];
    if (typeof v === "string" && v) return v;
    if (isRecord(v) && typeof v.name === "string") return v.name;
  }
  return fallback;
}

function repetitionsOf(entry: Record<string, unknown>): StudyPolicyRow["byRepetitions"] {
  const list = entry.byRepetitions;
  if (!Array.isArray(list)) return [];
  return list
    .filter(isRecord)
    .filter((r) => typeof r.repetitions === "number" && typeof r.extractionRate === "number" && Number.isFinite(r.extractionRate))
    .map((r) => ({ repetitions: r.repetitions as number, extractionRate: r.extractionRate as number }))
    .sort((a, b) => a.repetitions - b.repetitions);
}

/** The study's plain-language verdict and headline numbers, when the report has them. */
export function readStudyVerdict(report: unknown): {
  sentences: string[];
  extractionRatio: number | null;
  perplexityIncrease: number | null;
  policy: string | null;
} {
  const r = isRecord(report) ? report : {};
  const verdict = isRecord(r.verdict) ? r.verdict : {};
  const summary = isRecord(r.summary) ? r.summary : {};
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    sentences: Array.isArray(verdict.sentences) ? verdict.sentences.filter((s): s is string => typeof s === "string") : [],
    extractionRatio: num(summary.extractionRatio),
    perplexityIncrease: num(summary.perplexityIncrease),
    policy: typeof summary.policy === "string" ? summary.policy : null,
  };
}

/** Extraction rate by how often a canary was repeated, one line per policy; null without data. */
export function repetitionChart(rows: StudyPolicyRow[]): EChartsCoreOption | null {
  const withData = rows.filter((r) => r.byRepetitions.length > 0);
  if (withData.length === 0) return null;
  const levels = [...new Set(withData.flatMap((r) => r.byRepetitions.map((b) => b.repetitions)))].sort((a, b) => a - b);
  return {
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 0, data: withData.map((r) => r.name) },
    grid: { left: 72, right: 40, top: 56, bottom: 48 },
    xAxis: { type: "category", name: "canary repetitions", nameLocation: "middle", nameGap: 28, data: levels.map(String) },
    yAxis: { type: "value", name: "extraction rate", nameLocation: "middle", nameGap: 52, min: 0, max: 1 },
    series: withData.map((r, i) => ({
      name: r.name,
      type: "line",
      color: POLICY_COLORS[i % POLICY_COLORS.length],
      symbolSize: 8,
      data: levels.map((level) => r.byRepetitions.find((b) => b.repetitions === level)?.extractionRate ?? null),
    })),
  };
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
      return list
        .filter(isRecord)
        .map((entry, i) => ({ name: nameOf(entry, `policy ${i + 1}`), values: numbersOf(entry), byRepetitions: repetitionsOf(entry) }));
    }
  }
  const rows: StudyPolicyRow[] = [];
  for (const key of ["baseline", "curated"]) {
    const entry = report[key];
    if (isRecord(entry)) rows.push({ name: nameOf(entry, key), values: numbersOf(entry), byRepetitions: repetitionsOf(entry) });
  }
  return rows;
}

/** The padded bounds are odd numbers: label only the round ticks between them. */
const BETWEEN_BOUNDS = { showMinLabel: false, showMaxLabel: false };

/** An axis bound `share` of the data range beyond the data (ECharts calls it with the extent). */
function padded(side: "min" | "max", share: number) {
  return ({ min, max }: { min: number; max: number }) => {
    const pad = (max - min || Math.abs(max) || 1) * share;
    return Number((side === "min" ? min - pad : max + pad).toPrecision(6));
  };
}

/** y-metric vs validation perplexity, one labelled point per policy; null when no policy has both numbers. */
export function studyScatter(rows: StudyPolicyRow[], yKey: string, yLabel: string): EChartsCoreOption | null {
  const points = rows.filter((r) => r.values.validationPerplexity !== undefined && r.values[yKey] !== undefined);
  if (points.length === 0) return null;
  return {
    tooltip: { trigger: "item" },
    legend: { type: "scroll", top: 0, data: points.map((r) => r.name) },
    grid: { left: 72, right: 40, top: 56, bottom: 48 },
    // Padded ranges so the points' labels stay inside the plot.
    xAxis: {
      type: "value",
      name: "validation perplexity",
      nameLocation: "middle",
      nameGap: 28,
      min: padded("min", 0.2),
      max: padded("max", 0.2),
      axisLabel: BETWEEN_BOUNDS,
    },
    yAxis: { type: "value", name: yLabel, nameLocation: "middle", nameGap: 52, min: padded("min", 0.12), max: padded("max", 0.12), axisLabel: BETWEEN_BOUNDS },
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
