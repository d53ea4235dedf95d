import { describe, expect, it } from "vitest";
import { readStudyPolicies, studyScatter, trajectoryChart } from "../src/lib/charts";

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

  it("accepts a baseline/curated report and rejects non-objects", () => {
    expect(readStudyPolicies({ baseline: { extractionRate: 1 }, curated: { extractionRate: 0.5 } }).map((r) => r.name)).toEqual(["baseline", "curated"]);
    expect(readStudyPolicies(null)).toEqual([]);
    expect(readStudyPolicies("report")).toEqual([]);
  });

  it("plots only policies that have both numbers", () => {
    const rows = readStudyPolicies({ policies: [{ name: "a", extractionRate: 0.5, validationPerplexity: 10 }, { name: "b", extractionRate: 0.1 }] });
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
