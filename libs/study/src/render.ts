/** The study report for people: a plain-text table (stdout) and a Markdown report with charts. */
import { renderStudyCharts, type StudyChart } from "./charts.ts";
import type { ArmResult, StudyReport } from "./report-types.ts";
import type { Spread } from "./stats.ts";

const pct = (x: number, digits = 1) => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : "n/a");
const signedPct = (x: number, digits = 2) => (Number.isFinite(x) ? `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(digits)} %` : "n/a");
const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits));

/** "mean ± std", with the spread only when there is more than one seed. */
function withSpread(s: Spread, format: (x: number) => string): string {
  return s.n > 1 ? `${format(s.mean)} ± ${format(s.std).replace(/^[+−]/, "")}` : format(s.mean);
}

function rangeOf(s: Spread, format: (x: number) => string): string {
  return s.n > 1 ? `${format(s.min)} … ${format(s.max)}` : format(s.min);
}

interface Column {
  header: string;
  cell: (a: ArmResult) => string;
}

function columns(): Column[] {
  return [
    { header: "policy", cell: (a) => a.name },
    { header: "extraction", cell: (a) => withSpread(a.spread.extractionRate, (x) => pct(x)) },
    { header: "exposure (rank)", cell: (a) => withSpread(a.spread.meanExposureRank, (x) => num(x, 2)) },
    { header: "exposure (skew-normal)", cell: (a) => withSpread(a.spread.meanExposureSkewNormal, (x) => num(x, 2)) },
    { header: "val. perplexity", cell: (a) => withSpread(a.spread.validationPerplexity, (x) => num(x, 3)) },
    { header: "Δ perplexity", cell: (a) => withSpread(a.spread.perplexityChange, (x) => signedPct(x)) },
    { header: "canary copies caught", cell: (a) => withSpread(a.spread.caughtShare, (x) => pct(x)) },
    { header: "selection Jaccard", cell: (a) => (a.selectionJaccard?.mean === null || a.selectionJaccard === null ? "—" : num(a.selectionJaccard.mean, 3)) },
  ];
}

/** Fixed-width table of the per-policy means (± sample std over seeds) and the verdict. */
export function renderStudyTable(report: StudyReport): string {
  const cols = columns();
  const rows = [cols.map((c) => c.header), ...report.policies.map((a) => cols.map((c) => c.cell(a)))];
  const widths = cols.map((_, j) => Math.max(...rows.map((r) => [...r[j]!].length)));
  const line = (r: string[]) => r.map((v, j) => (j === 0 ? v.padEnd(widths[j]!) : v.padStart(widths[j]!))).join("  ");
  const out = [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)];
  const seeds = report.config.seeds.length;
  out.push("");
  out.push(`${seeds} seed${seeds === 1 ? "" : "s"} (${report.config.seeds.join(", ")}); values are means${seeds > 1 ? " ± sample std over seeds" : ""}.`);
  out.push(`release gate: extractionRatio ${num(report.summary.extractionRatio, 4)}, perplexityIncrease ${signedPct(report.summary.perplexityIncrease ?? Number.NaN, 3)}`);
  out.push(...report.verdict.sentences);
  return out.join("\n") + "\n";
}

export interface RenderOptions {
  /** "files": charts are referenced as ./<file>; "inline": embedded as data: URIs (for storage in one document). */
  images?: "files" | "inline";
}

export interface RenderedStudyReport {
  markdown: string;
  table: string;
  charts: StudyChart[];
}

function image(chart: StudyChart, mode: "files" | "inline"): string {
  const src = mode === "files" ? `./${chart.file}` : `data:image/svg+xml;base64,${Buffer.from(chart.svg, "utf8").toString("base64")}`;
  return `![${chart.alt}](${src})`;
}

function mdTable(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [`| ${header.map(esc).join(" | ")} |`, `| ${header.map((_, j) => (j === 0 ? "---" : "---:")).join(" | ")} |`, ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`)].join("\n");
}

export function renderStudyReport(report: StudyReport, options: RenderOptions = {}): RenderedStudyReport {
  const mode = options.images ?? "files";
  const charts = renderStudyCharts(report);
  const chart = (file: string) => charts.find((c) => c.file === file);
  const c = report.config;
  const seeds = c.seeds.length;
  const md: string[] = [];
  md.push("# Intervention study");
  md.push("");
  md.push(`Generated ${report.createdAt} by \`gdc study\` (@gdc/study). Every number and sentence below is computed from this run's measurements.`);
  md.push("");
  md.push("## Verdict");
  md.push("");
  for (const s of report.verdict.sentences) md.push(`- ${s}`);
  md.push("");
  md.push(`Rule for "beat": ${report.verdict.rule}. With ${report.config.canaries.canaries} canaries one canary is ${pct(1 / Math.max(1, report.config.canaries.canaries))} of the extraction rate, so differences smaller than the spread over seeds are not evidence either way.`);
  md.push("");
  md.push("## Results per policy");
  md.push("");
  const cols = columns();
  md.push(mdTable(cols.map((x) => x.header), report.policies.map((a) => cols.map((x) => x.cell(a)))));
  md.push("");
  md.push(`Means over ${seeds} seed${seeds === 1 ? "" : "s"}${seeds > 1 ? " ± sample standard deviation" : ""}. Exposure in bits (|R| = ${c.canaries.references} reference secrets; the rank estimator is capped at log₂|R| = ${Math.log2(c.canaries.references).toFixed(2)}). Δ perplexity is relative to the baseline of the same seed. "Caught": share of canary copies the policy pruned or down-weighted. "Selection Jaccard": how alike the examples a policy selected are across seeds.`);
  md.push("");
  md.push("Range over seeds (min … max):");
  md.push("");
  md.push(
    mdTable(
      ["policy", "extraction", "exposure (rank)", "val. perplexity", "Δ perplexity", "pruned", "down-weighted"],
      report.policies.map((a) => [
        a.name,
        rangeOf(a.spread.extractionRate, (x) => pct(x)),
        rangeOf(a.spread.meanExposureRank, (x) => num(x, 2)),
        rangeOf(a.spread.validationPerplexity, (x) => num(x, 3)),
        rangeOf(a.spread.perplexityChange, (x) => signedPct(x)),
        [...new Set(a.perSeed.map((s) => s.pruned))].join("/"),
        [...new Set(a.perSeed.map((s) => s.downweighted))].join("/"),
      ]),
    ),
  );
  md.push("");
  md.push("### Extraction by canary repetitions");
  md.push("");
  const levels = [...new Set(report.policies.flatMap((a) => a.byRepetitions.map((r) => r.repetitions)))].sort((x, y) => x - y);
  md.push(
    mdTable(
      ["policy", ...levels.map((k) => `k = ${k}`)],
      report.policies.map((a) => [a.name, ...levels.map((k) => pct(a.byRepetitions.find((r) => r.repetitions === k)?.extractionRate ?? Number.NaN))]),
    ),
  );
  md.push("");
  const rc = chart("extraction-vs-perplexity.svg");
  if (rc) md.push(image(rc, mode), "");
  const kc = chart("extraction-by-repetitions.svg");
  if (kc) md.push(image(kc, mode), "");

  md.push("## Release-gate summary");
  md.push("");
  const gatePolicy = report.policies.find((a) => a.name === report.summary.policy);
  const extractions = (a: ArmResult | undefined) => (a ? a.perSeed.reduce((n, x) => n + x.extracted, 0) : Number.NaN);
  md.push(
    `Policy \`${report.summary.policy}\`: \`extractionRatio\` = ${num(report.summary.extractionRatio, 4)} ` +
      (report.summary.extractionRatio === null
        ? "(undefined: the baseline extracted no canary)"
        : `(${extractions(gatePolicy)} curated ÷ ${extractions(report.policies[0])} baseline extractions, pooled over seeds)`) +
      `, \`perplexityIncrease\` = ${num(report.summary.perplexityIncrease, 5)} (mean over seeds of the relative change from the same seed's baseline).`,
  );
  md.push("");

  md.push("## Where the canaries sat in the baseline's scores");
  md.push("");
  md.push("Why a policy did or did not catch the canaries: per seed, each canary's copies in the prune policy's ranking (by memorization, ties broken by difficulty; percentile 1 = first to be pruned, so the top 10 % is percentile > 0.9) and their quadrants.");
  md.push("");
  md.push(
    mdTable(
      ["seed", "ε / τ", "memorized examples (m > 0)", "canary", "k", "mean m", "mean difficulty", "best rank percentile", "quadrants of its copies"],
      report.scoring.flatMap((s) =>
        s.canaries.map((cs) => [
          String(s.seed),
          s.config.learnedBy === "loss" ? `ε ${num(s.config.epsilon, 3)}` : `τ ${num(s.config.tau, 2)}`,
          `${s.memorizedExamples}`,
          cs.canaryId,
          String(cs.repetitions),
          num(cs.meanMemorization, 3),
          num(cs.meanDifficulty, 3),
          num(cs.bestMemorizationPercentile, 3),
          Object.entries(cs.quadrants)
            .map(([q, n]) => `${q} ${n}`)
            .join(", "),
        ]),
      ),
    ),
  );
  md.push("");
  md.push("## Stability across seeds");
  md.push("");
  const hj = report.stability.hotspotJaccard;
  const tj = report.stability.topMemorizationJaccard;
  md.push(`- HOTSPOT_MEMORIZED set: mean pairwise Jaccard ${num(hj.mean)} (min ${num(hj.min)}, max ${num(hj.max)}; set sizes ${hj.sizes.join(", ")}).`);
  md.push(`- Top 10 % by memorization: mean pairwise Jaccard ${num(tj.mean)} (min ${num(tj.min)}, max ${num(tj.max)}).`);
  for (const a of report.policies) {
    if (a.selectionJaccard) md.push(`- ${a.label}: selected examples' mean pairwise Jaccard ${num(a.selectionJaccard.mean)}.`);
  }
  md.push("");
  const dm = chart("data-map.svg");
  if (dm) {
    md.push("## Data map");
    md.push("");
    md.push(image(dm, mode));
    md.push("");
  }
  md.push("## Setup");
  md.push("");
  const t = c.training;
  const q = report.scoring[0];
  md.push(`- Corpus: ${c.corpus.source}; ${c.corpus.trainPassages} training passages + ${c.corpus.canaryCopies} canary copies = ${c.corpus.trainingExamples} training examples; ${c.corpus.validationPassages} validation passages.`);
  md.push(`- Canaries: ${c.canaries.canaries}, repetitions ${c.canaries.repetitions.join(", ")}; secrets of length ${c.canaries.secretLength.join(", ")}; |R| = ${c.canaries.references}.`);
  md.push(`- Model: ${JSON.stringify(t.model)} (${t.parameters} parameters); ${t.epochs} epochs, batch ${t.batchSize}, learning rate ${t.learningRate}, max ${t.maxTokens} tokens, clip ${t.clipNorm ?? "none"}; backend ${report.backend}.`);
  md.push(`- Scoring: ${JSON.stringify(c.scoring)}${q ? `; resolved: learned by ${q.config.learnedBy}, ${q.config.learnedBy === "loss" ? `ε = ${q.config.epsilonSource === "median" ? "median of the loss matrix" : "absolute"} (seed ${q.seed}: ${num(q.config.epsilon, 4)})` : `τ = ${q.config.tau}`}, Te = ${q.config.earlyEpochs}, forget events per ${q.forgetEventsOver}, thresholds ${q.thresholds.source}` : ""}.`);
  md.push(`- Seeds: ${c.seeds.join(", ")}. Each policy's model is retrained from the same initial weights (same seed, tokenizer, schedule) on the curated weights.`);
  md.push(`- Time: ${(report.timing.seconds / 60).toFixed(1)} min in all; ${report.timing.trainings} trainings took ${(report.timing.trainingSeconds / 60).toFixed(1)} min (${report.timing.examplesPerSecond.toFixed(0)} examples/s), canary audits ${(report.timing.auditSeconds / 60).toFixed(1)} min.`);
  md.push("");
  return { markdown: md.join("\n"), table: renderStudyTable(report), charts };
}
