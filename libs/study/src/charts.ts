/**
 * The report's charts as SVG strings, rendered server-side by ECharts (no DOM, no canvas):
 * the data map of the first seed's baseline, and exposure and extraction vs perplexity per
 * policy and per canary repetition level.
 */
import * as echarts from "echarts";
import { QUADRANTS } from "@gdc/cartography";
import { QUADRANT_COLORS } from "@gdc/cartography/palette";
import type { StudyReport } from "./report-types.ts";

export interface StudyChart {
  /** File name, e.g. "data-map.svg". */
  file: string;
  title: string;
  /** Alt text: what the chart shows. */
  alt: string;
  svg: string;
}

const POLICY_COLORS = ["#000000", "#D55E00", "#E69F00", "#0072B2", "#56B4E9", "#009E73", "#CC79A7", "#F0E442"];
const POLICY_SYMBOLS = ["circle", "diamond", "triangle", "rect", "roundRect", "pin", "arrow", "circle"];

function render(option: echarts.EChartsCoreOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    chart.setOption({ animation: false, backgroundColor: "#ffffff", textStyle: { fontFamily: "sans-serif" }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function dataMapChart(report: StudyReport): StudyChart | null {
  const map = report.dataMap;
  if (!map) return null;
  const scoring = report.scoring.find((s) => s.seed === map.seed);
  const points = map.ids.map((id, i) => ({ id, d: map.difficulty[i]!, m: map.memorization[i]!, q: map.quadrant[i]!, canary: map.canary[i]! }));
  const series: object[] = QUADRANTS.map((q) => {
    const at = points.filter((p) => p.q === q && !p.canary);
    return {
      name: `${q} (${at.length})`,
      type: "scatter",
      symbolSize: 5,
      itemStyle: { color: QUADRANT_COLORS[q], opacity: 0.55 },
      data: at.map((p) => [p.d, p.m]),
    };
  });
  const canaries = points.filter((p) => p.canary);
  series.push({
    name: `canary copies (${canaries.length})`,
    type: "scatter",
    symbol: "triangle",
    symbolSize: 10,
    itemStyle: { color: "rgba(0,0,0,0)", borderColor: "#000000", borderWidth: 1.5 },
    data: canaries.map((p) => [p.d, p.m]),
  });
  if (scoring) {
    const t = scoring.thresholds;
    series.push({
      name: "thresholds",
      type: "scatter",
      data: [],
      markLine: {
        symbol: "none",
        silent: true,
        lineStyle: { color: "#555555", type: "dashed" },
        data: [
          { name: `θ_d = ${t.difficulty.toFixed(3)}`, xAxis: t.difficulty, label: { show: true, formatter: "{b}", position: "insideEndTop" } },
          { name: `θ_m = ${t.memorization.toFixed(3)}`, yAxis: t.memorization, label: { show: true, formatter: "{b}", position: "insideEndTop" } },
        ],
      },
    });
  }
  const svg = render(
    {
      title: { text: `Data map (seed ${map.seed} baseline; dashed: quadrant thresholds)`, left: "center", top: 6, textStyle: { fontSize: 14 } },
      legend: { bottom: 0, data: series.map((s) => (s as { name: string }).name).filter((n) => n !== "thresholds") },
      grid: { left: 64, right: 32, top: 48, bottom: 96 },
      xAxis: { type: "value", name: "difficulty (mean early-epoch loss, nats)", nameLocation: "middle", nameGap: 28, scale: true },
      yAxis: { type: "value", name: "memorization (forget events ÷ transitions)", nameLocation: "middle", nameGap: 44, min: 0 },
      series,
    },
    760,
    520,
  );
  return {
    file: "data-map.svg",
    title: "Data map",
    alt: `Scatter of ${points.length} training examples by difficulty and memorization, coloured by quadrant, canary copies as open triangles`,
    svg,
  };
}

type ChartMetric = "extractionRate" | "meanExposureRank";
const METRIC = {
  extractionRate: { name: "canary extraction rate", short: "extraction", max: 1 as number | undefined, file: "extraction" },
  meanExposureRank: { name: "mean exposure (rank, bits)", short: "exposure", max: undefined as number | undefined, file: "exposure" },
};

function extractionChart(report: StudyReport, metric: ChartMetric = "extractionRate"): StudyChart {
  const m = METRIC[metric];
  const series = report.policies.flatMap((p, i) => {
    const color = POLICY_COLORS[i % POLICY_COLORS.length];
    const symbol = POLICY_SYMBOLS[i % POLICY_SYMBOLS.length];
    return [
      {
        name: p.label,
        type: "scatter",
        symbol,
        symbolSize: 16,
        itemStyle: { color, opacity: 0.85 },
        data: [[p.validationPerplexity, p[metric]]],
      },
      {
        name: p.label,
        type: "scatter",
        symbol,
        symbolSize: 7,
        itemStyle: { color, opacity: 0.4 },
        data: p.perSeed.map((s) => [s.validationPerplexity, s[metric]]),
      },
    ];
  });
  const svg = render(
    {
      title: { text: `Canary ${m.short} vs validation perplexity (large: mean; small: one seed)`, left: "center", textStyle: { fontSize: 13 } },
      legend: { bottom: 0, orient: "vertical", data: report.policies.map((p) => p.label) },
      grid: { left: 64, right: 32, top: 40, bottom: 150 },
      xAxis: { type: "value", name: "validation perplexity", nameLocation: "middle", nameGap: 28, scale: true },
      yAxis: { type: "value", name: m.name, nameLocation: "middle", nameGap: 44, min: 0, ...(m.max === undefined ? {} : { max: m.max }) },
      series,
    },
    760,
    600,
  );
  return {
    file: `${m.file}-vs-perplexity.svg`,
    title: `${m.short[0]!.toUpperCase()}${m.short.slice(1)} vs perplexity per policy`,
    alt: `Scatter of ${m.name} against validation perplexity, one large point per policy (mean over seeds) and small points per seed`,
    svg,
  };
}

function repetitionChart(report: StudyReport, metric: ChartMetric = "extractionRate"): StudyChart {
  const m = METRIC[metric];
  const levels = [...new Set(report.policies.flatMap((p) => p.byRepetitions.map((r) => r.repetitions)))].sort((a, b) => a - b);
  const svg = render(
    {
      title: { text: `Canary ${m.short} by repetitions k (mean over seeds)`, left: "center", textStyle: { fontSize: 13 } },
      legend: { bottom: 0, orient: "vertical", data: report.policies.map((p) => p.label) },
      grid: { left: 64, right: 32, top: 40, bottom: 150 },
      xAxis: { type: "category", name: "copies of the canary in the training split (k)", nameLocation: "middle", nameGap: 28, data: levels.map(String) },
      yAxis: { type: "value", name: m.name, nameLocation: "middle", nameGap: 44, min: 0, ...(m.max === undefined ? {} : { max: m.max }) },
      series: report.policies.map((p, i) => ({
        name: p.label,
        type: "bar",
        itemStyle: { color: POLICY_COLORS[i % POLICY_COLORS.length] },
        data: levels.map((k) => p.byRepetitions.find((r) => r.repetitions === k)?.[metric] ?? 0),
      })),
    },
    760,
    560,
  );
  return {
    file: `${m.file}-by-repetitions.svg`,
    title: `${m.short[0]!.toUpperCase()}${m.short.slice(1)} by canary repetitions`,
    alt: `Bar chart of ${m.name} per repetition level k, one bar per policy`,
    svg,
  };
}

export function renderStudyCharts(report: StudyReport): StudyChart[] {
  return [
    dataMapChart(report),
    extractionChart(report, "meanExposureRank"),
    repetitionChart(report, "meanExposureRank"),
    extractionChart(report, "extractionRate"),
    repetitionChart(report, "extractionRate"),
  ].filter((c): c is StudyChart => c !== null);
}
