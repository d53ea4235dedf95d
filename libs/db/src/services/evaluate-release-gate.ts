import type { Tx } from "../audit.ts";
import { notFound } from "../errors.ts";
import { readReleaseGate, type ReleaseGate } from "./set-release-gate.ts";

/**
 * What a study job must put in `Study.report` for the release gate to read it (the fields the
 * gate uses; a report may hold much more):
 *
 *     report.summary.extractionRatio     curated ÷ baseline canary extraction rate (0.55 = −45 %)
 *     report.summary.perplexityIncrease  (curated − baseline) ÷ baseline validation perplexity
 *
 * As the study job writes them (libs/study): "baseline" is the model trained on the version's
 * examples, "curated" the same model retrained (same seeds and schedule) after GenDataCarto's
 * prune-by-memorization policy; the ratio is pooled over seeds, the increase a mean over seeds.
 * The study trains every example at weight 1: it measures what the policy would do to this
 * version, not the version's own down-weighting.
 */
export interface StudyGateSummary {
  extractionRatio?: number | null;
  perplexityIncrease?: number | null;
}

export interface GateVerdict {
  passed: boolean;
  /** Why it did not pass (empty when it passed). */
  reasons: string[];
  /** The study the verdict is based on (null: there is none). */
  studyId: string | null;
  gate: ReleaseGate;
  measured: { extractionRatio: number | null; perplexityIncrease: number | null };
}

type Reader = Pick<Tx, "datasetVersion" | "study">;

/**
 * The release gate's verdict for a version now: null when its dataset has no gate; otherwise
 * checked against the latest SUCCEEDED study of that version. No study blocks ("no study").
 */
export async function evaluateReleaseGate(client: Reader, versionId: string): Promise<GateVerdict | null> {
  const version = await client.datasetVersion.findUnique({ where: { id: versionId }, include: { dataset: { select: { releaseGate: true } } } });
  if (!version) throw notFound("DatasetVersion", versionId);
  const gate = readReleaseGate(version.dataset.releaseGate);
  if (!gate) return null;
  const study = await client.study.findFirst({
    where: { versionId, status: "SUCCEEDED" },
    orderBy: [{ finishedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
  });
  const measured = { extractionRatio: null as number | null, perplexityIncrease: null as number | null };
  if (!study) {
    return {
      passed: false,
      reasons: [`no study: version ${versionId} has no SUCCEEDED study to check the release gate against`],
      studyId: null,
      gate,
      measured,
    };
  }
  const summary = ((study.report as { summary?: StudyGateSummary } | null)?.summary ?? {}) as StudyGateSummary;
  const reasons: string[] = [];
  const check = (key: keyof StudyGateSummary, max: number | undefined, describe: (v: number) => string, describeMax: string) => {
    if (max === undefined) return;
    const value = summary[key];
    if (typeof value !== "number" || !Number.isFinite(value)) {
      reasons.push(`study ${study.id} reports no report.summary.${key}`);
      return;
    }
    measured[key] = value;
    if (value > max) reasons.push(`${describe(value)} exceeds the maximum ${describeMax} (study ${study.id})`);
  };
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  check("extractionRatio", gate.maxExtractionRatio, (v) => `extraction ratio ${v.toFixed(4)}`, `${gate.maxExtractionRatio}`);
  check("perplexityIncrease", gate.maxPerplexityIncrease, (v) => `perplexity increase ${pct(v)}`, pct(gate.maxPerplexityIncrease ?? 0));
  return { passed: reasons.length === 0, reasons, studyId: study.id, gate, measured };
}
