import { describe, expect, it } from "vitest";
import { readStudyPolicies, readStudyVerdict, repetitionChart, studyScatter, trajectoryChart } from "../src/lib/charts";

describe("study report reading", () => {
  it("reads policies[] with whatever numbers each carries", () => {
    const rows = readStudyPolicies({
      policies: [
        { name: "baseline", extractionRate: 0.5, validationPerplexity: 12.1, meanExposureRank: 6.2 },
        { name: "prune-top-10%", extractionRate: 0.25, validationPerplexity: 12.15, perplexityChange: 0.004, metrics: { meanExposureSkewNormal: 3.1 } },
        { policy: { name: "downweight" }, note: "text is ignored" },
      ],
    });
    expect(rows.map((r) => r.name)).toEqual(["baseline", "prune-top-10%", "downweight"]);
    expect(rows[1]!.values).toEqual({ extractionRate: 0.25, validationPerplexity: 12.15, perplexityChange: 0.004, meanExposureSkewNormal: 3.1 });
    expect(rows[2]!.values).toEqual({});
  });

  it("reads the study job's report format (labels, repetitions, verdict)", () => {
    const report = {
      summary: { extractionRatio: 0.5, perplexityIncrease: 0.004, policy: "prune-top" },
      verdict: { sentences: ["Pruning cut extraction by half.", 3] },
      policies: [
        {
          name: "baseline",
          label: "Baseline",
          extractionRate: 0.4,
          byRepetitions: [
            { repetitions: 9, extractionRate: 0.8 },
            { repetitions: 1, extractionRate: 0 },
          ],
          spread: { extractionRate: { min: 0.3 } },
        },
        { name: "prune-top", label: "Prune top 10 %", extractionRate: 0.2, byRepetitions: [{ repetitions: 1, extractionRate: 0 }] },
      ],
    };
    const rows = readStudyPolicies(report);
    expect(rows.map((r) => r.name)).toEqual(["Baseline", "Prune top 10 %"]);
    expect(rows[0]!.values).toEqual({ extractionRate: 0.4 }); // nested spreads are not columns
    expect(rows[0]!.byRepetitions).toEqual([
      { repetitions: 1, extractionRate: 0 },
      { repetitions: 9, extractionRate: 0.8 },
    ]);
    expect(readStudyVerdict(report)).toEqual({
      sentences: ["Pruning cut extraction by half."],
      extractionRatio: 0.5,
      perplexityIncrease: 0.004,
      policy: "prune-top",
    });
    const chart = repetitionChart(rows) as { xAxis: { data: string[] }; series: { data: (number | null)[] }[] };
    expect(chart.xAxis.data).toEqual(["1", "9"]);
    expect(chart.series[1]!.data).toEqual([0, null]);
    expect(readStudyVerdict(null).sentences).toEqual([]);
  });

  it("accepts a baseline/curated report and rejects non-objects", () => {
    expect(readStudyPolicies({ baseline: { extractionRate: 1 }, curated: { extractionRate: 0.5 } }).map((r) => r.name)).toEqual(["baseline", "curated"]);
    expect(readStudyPolicies(null)).toEqual([]);
    expect(readStudyPolicies("report")).toEqual([]);
  });

  it("plots only policies that have both numbers", () => {
    const rows = readStudyPolicies({
      policies: [
        { name: "a", extractionRate: 0.5, validationPerplexity: 10 },
        { name: "b", extractionRate: 0.1 },
      ],
    });
    const option = studyScatter(rows, "extractionRate", "extraction") as { series: { name: string; data: number[][] }[] };
    expect(option.series.map((s) => s.name)).toEqual(["a"]);
    expect(option.series[0]!.data).toEqual([[10, 0.5]]);
    expect(studyScatter(rows, "meanExposureRank", "exposure")).toBeNull();
  });
});

describe("trajectory chart", () => {
  it("marks forget events on the loss line and draws ε", () => {
    const option = trajectoryChart({ epochs: 4, loss: [2, 0.5, 1.5, 0.4], accuracy: [0.1, 0.8, 0.3, 0.9], forgetEpochs: [2], epsilon: 1 }) as {
      series: { name: string; data: unknown[]; markLine?: { data: unknown[] } }[];
    };
    const forget = option.series.find((s) => s.name === "Forget event")!;
    expect(forget.data).toEqual([["2", 1.5]]);
    expect(option.series[0]!.markLine?.data).toEqual([{ yAxis: 1 }]);
  });
});
