import { describe, expect, it } from "vitest";
import { memorizationAxisLabel, signalInfo, SIGNALS } from "../src/data-map/signals";

describe("memorization signals", () => {
  it("label the y axis with the run's signal and its unit", () => {
    expect(memorizationAxisLabel("lossDrop")).toBe("memorization: loss drop (nats)");
    expect(memorizationAxisLabel("forgetFrequency")).toBe("memorization: forget frequency");
    expect(memorizationAxisLabel("meanLoss")).toBe("memorization: mean loss (nats)");
    expect(memorizationAxisLabel(null)).toBe("memorization");
    expect(memorizationAxisLabel("somethingNew")).toBe("memorization: somethingNew");
  });

  it("know every signal the API may name", () => {
    expect(Object.keys(SIGNALS).sort()).toEqual(["accuracyGain", "excessLossDrop", "forgetFrequency", "lossDrop", "meanLoss", "relativeLossDrop"]);
    expect(signalInfo("forgetFrequency")?.explanation).toContain("paper");
  });
});
