"use client";
import { useState } from "react";
import { downloadWithToken } from "../../../lib/authorized-download";
import { EXPORT_PATH } from "../../../data-map/source";

/** The run scores files the API serves (GET /export/runs/<id>/scores.<format>), with what each is for. */
const SCORE_FILES = [
  { format: "csv", label: "Scores (CSV)" },
  { format: "arrow", label: "Scores (Arrow, for pandas / pyarrow)" },
] as const;

export const runScoresPath = (runId: string, format: (typeof SCORE_FILES)[number]["format"]) =>
  `${EXPORT_PATH}/runs/${encodeURIComponent(runId)}/scores.${format}`;

/**
 * Download buttons for a scored run's scores: every score column, keyed by the example keys the
 * user imported, one row per training example in import order.
 */
export function RunScoresDownload({ runId, runName }: { runId: string; runName: string }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function onDownload(format: (typeof SCORE_FILES)[number]["format"]) {
    setError(null);
    setBusy(format);
    try {
      const safeName = (runName || runId).replace(/[^\w.-]+/g, "-").slice(0, 80);
      await downloadWithToken(runScoresPath(runId, format), `scores-${safeName}.${format}`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="card" aria-labelledby="scores-download-title">
      <h2 id="scores-download-title" style={{ marginTop: 0 }}>
        Download scores
      </h2>
      <p className="hint">
        Every score of every training example (difficulty, memorization and each memorization signal, forget events, confidence, variability, correctness,
        quadrant), keyed by your example ids (<code>example_key</code>), one row per example in the order you imported them.
      </p>
      <div className="row">
        {SCORE_FILES.map((file) => (
          <button
            key={file.format}
            type="button"
            onClick={() => onDownload(file.format)}
            disabled={busy !== null}
            data-testid={`download-scores-${file.format}`}
          >
            {busy === file.format ? "Preparing the download…" : file.label}
          </button>
        ))}
      </div>
      {error ? <p className="error">{error}</p> : null}
    </section>
  );
}
