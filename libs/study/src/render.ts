/** The study report for people: a plain-text table (stdout) and a Markdown report with charts. */
import { renderStudyCharts, type StudyChart } from "./charts.ts";
import type { ArmResult, StudyReport } from "./report-types.ts";
import type { SignalRow, SignalsTable } from "./signals.ts";
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

const ci = (i: { lo: number; hi: number }, f: (x: number) => string) => `[${f(i.lo)}, ${f(i.hi)}]`;

function columns(): Column[] {
  return [
    { header: "policy", cell: (a) => a.name },
    { header: "exposure (rank) [95 % CI]", cell: (a) => `${num(a.exposure.mean, 2)} ${ci(a.exposure.ci, (x) => num(x, 2))}` },
    {
      header: "Δ exposure vs baseline [95 % CI]",
      cell: (a) =>
        a.exposureChange ? `${signedPct(a.exposureChange.relativeChange, 1)} ${ci(a.exposureChange.relativeChangeCI, (x) => signedPct(x, 1))}` : "—",
    },
    { header: "extraction", cell: (a) => withSpread(a.spread.extractionRate, (x) => pct(x)) },
    { header: "val. perplexity", cell: (a) => withSpread(a.spread.validationPerplexity, (x) => num(x, 3)) },
    { header: "Δ ppl, equal epochs", cell: (a) => withSpread(a.spread.perplexityChange, (x) => signedPct(x)) },
    {
      header: "Δ ppl, equal steps",
      cell: (a) => (a.equalSteps ? withSpread(a.equalSteps.perplexityChange, (x) => signedPct(x)) : a.name === "baseline" ? "—" : "= equal epochs"),
    },
    { header: "canary copies caught", cell: (a) => withSpread(a.spread.caughtShare, (x) => pct(x)) },
    { header: "pruned", cell: (a) => [...new Set(a.perSeed.map((s) => s.pruned))].join("/") },
  ];
}

/** Fixed-width table of the per-policy results and the verdict. */
export function renderStudyTable(report: StudyReport): string {
  const cols = columns();
  const rows = [cols.map((c) => c.header), ...report.policies.map((a) => cols.map((c) => c.cell(a)))];
  const widths = cols.map((_, j) => Math.max(...rows.map((r) => [...r[j]!].length)));
  const line = (r: string[]) => r.map((v, j) => (j === 0 ? v.padEnd(widths[j]!) : v.padStart(widths[j]!))).join("  ");
  const out = [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)];
  const seeds = report.config.seeds.length;
  out.push("");
  out.push(
    `${seeds} seed${seeds === 1 ? "" : "s"} (${report.config.seeds.join(", ")}) × ${report.config.canaries.canaries} canaries; exposure in bits with two-level bootstrap 95 % intervals; ` +
      `other values are means${seeds > 1 ? " ± sample std over seeds" : ""}.`,
  );
  if (report.signals) out.push("", signalsText(report.signals));
  out.push("");
  out.push(
    `release gate: extractionRatio ${num(report.summary.extractionRatio, 4)}, perplexityIncrease ${signedPct(report.summary.perplexityIncrease ?? Number.NaN, 3)}`,
  );
  out.push(...report.verdict.sentences);
  return out.join("\n") + "\n";
}

function signalHeader(t: SignalsTable): string[] {
  const levels = [...new Set(t.rows.flatMap((r) => r.recall.map((x) => x.repetitions)))].sort((a, b) => a - b);
  return ["signal", ...levels.map((k) => `k=${k}`), "k≥4", "all", "AUC", "top Jaccard"];
}

function signalCells(t: SignalsTable, r: SignalRow): string[] {
  const levels = [...new Set(t.rows.flatMap((x) => x.recall.map((y) => y.repetitions)))].sort((a, b) => a - b);
  return [
    r.key,
    ...levels.map((k) => pct(r.recall.find((x) => x.repetitions === k)?.recall.mean ?? Number.NaN, 0)),
    pct(r.recallAtLeast4.mean, 0),
    pct(r.recallAll.mean, 0),
    r.auc.n > 1 ? `${num(r.auc.mean, 3)} (${num(r.auc.min, 2)}–${num(r.auc.max, 2)})` : num(r.auc.mean, 3),
    num(r.topJaccard.mean, 2),
  ];
}

function signalsText(t: SignalsTable): string {
  const rows = [signalHeader(t), ...t.rows.map((r) => signalCells(t, r))];
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => [...r[j]!].length)));
  const line = (r: string[]) => r.map((v, j) => (j === 0 ? v.padEnd(widths[j]!) : v.padStart(widths[j]!))).join("  ");
  return [
    `signals of the baseline's dynamics: recall of canary copies in the top ${t.topPercent} % by repetitions k, ROC-AUC of canary copies vs the rest (mean over seeds), top-${t.topPercent} % Jaccard across seeds`,
    line(rows[0]!),
    ...rows.slice(1).map(line),
  ].join("\n");
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
  return [
    `| ${header.map(esc).join(" | ")} |`,
    `| ${header.map((_, j) => (j === 0 ? "---" : "---:")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
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
  md.push(
    `Rule for "beat": ${report.verdict.rule}. With ${report.config.canaries.canaries} canaries one canary is ${pct(1 / Math.max(1, report.config.canaries.canaries))} of the extraction rate.`,
  );
  md.push("");
  md.push("## Results per policy");
  md.push("");
  const cols = columns();
  md.push(
    mdTable(
      cols.map((x) => x.header),
      report.policies.map((a) => cols.map((x) => x.cell(a))),
    ),
  );
  md.push("");
  const b = c.bootstrap;
  md.push(
    `Exposure: mean over ${seeds} seed${seeds === 1 ? "" : "s"} × ${c.canaries.canaries} canaries, in bits (|R| = ${c.canaries.references} reference secrets; the rank estimator is capped at log₂|R| = ${Math.log2(c.canaries.references).toFixed(2)}), ` +
      `with ${Math.round(b.level * 100)} % percentile intervals from ${b.resamples} two-level bootstrap resamples (seeds, then canaries within seeds; seed ${b.seed}). Δ exposure is the paired change from the baseline (same seed and canary). ` +
      `Other values are means${seeds > 1 ? " ± sample standard deviation over seeds" : ""}. Δ perplexity is relative to the baseline of the same seed: "equal epochs" trains the curated data for the baseline's ${c.training.epochs} epochs (fewer optimizer steps when examples were pruned), ` +
      `"equal steps" for the baseline's ${c.training.baselineSteps} optimizer steps (more epochs of the curated data). "Caught": share of canary copies the policy pruned or down-weighted.`,
  );
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
  md.push("### Exposure and extraction by canary repetitions");
  md.push("");
  const levels = [...new Set(report.policies.flatMap((a) => a.byRepetitions.map((r) => r.repetitions)))].sort((x, y) => x - y);
  md.push(
    mdTable(
      ["policy", ...levels.map((k) => `k = ${k}`)],
      report.policies.map((a) => [
        a.name,
        ...levels.map((k) => {
          const r = a.byRepetitions.find((x) => x.repetitions === k);
          return r ? `${num(r.meanExposureRank, 2)} bits / ${pct(r.extractionRate, 0)}` : "n/a";
        }),
      ]),
    ),
  );
  md.push("");
  md.push("Mean exposure (rank) / extraction rate over seeds and the canaries at each level.");
  md.push("");
  for (const file of ["exposure-vs-perplexity.svg", "exposure-by-repetitions.svg", "extraction-vs-perplexity.svg", "extraction-by-repetitions.svg"]) {
    const ch = chart(file);
    if (ch) md.push(image(ch, mode), "");
  }

  if (report.signals) {
    const t = report.signals;
    md.push("## Memorization signals: which one finds the canaries");
    md.push("");
    md.push(
      `From each seed's baseline dynamics (no retraining), for every signal: the share of canary copies in its top ${t.topPercent} % (the prune policy's budget; ties broken at random, i.e. counted fractionally) per repetition level k and pooled, ` +
        `the ROC-AUC of canary copies (${t.canaryCopies}) against the other ${t.examples - t.canaryCopies} examples (ties count half; 0.5 is chance), and the mean pairwise Jaccard of its top ${t.topPercent} % sets across seeds (ties broken as the policy does). Means over seeds; AUC range in brackets.`,
    );
    md.push("");
    md.push(
      mdTable(
        signalHeader(t),
        t.rows.map((r) => signalCells(t, r)),
      ),
    );
    md.push("");
    md.push(
      `Best candidate signal on this corpus: ${t.bestByAuc ?? "none"} by AUC, ${t.bestByRecall ?? "none"} by recall of canaries repeated ≥ 4 times. This study's memorization signal: ${t.configured}.`,
    );
    md.push("");
    md.push(
      mdTable(
        ["signal", "definition"],
        t.rows.map((r) => [r.key, r.label]),
      ),
    );
    md.push("");
  }

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
  md.push(
    `Why a policy did or did not catch the canaries: for the first seed (report.json has every seed), each canary's copies in the prune policy's ranking (by memorization, ties broken by difficulty; percentile 1 = first to be pruned, so the top 10 % is percentile > 0.9) and their quadrants.`,
  );
  md.push("");
  md.push(
    mdTable(
      ["seed", "ε / τ", "memorized examples (m > 0)", "canary", "k", "mean m", "mean difficulty", "best rank percentile", "quadrants of its copies"],
      report.scoring.slice(0, 1).flatMap((s) =>
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
  md.push(
    `- Corpus: ${c.corpus.source}; ${c.corpus.trainPassages} training passages + ${c.corpus.canaryCopies} canary copies = ${c.corpus.trainingExamples} training examples; ${c.corpus.validationPassages} validation passages.`,
  );
  md.push(
    `- Canaries: ${c.canaries.canaries} in ${c.canaries.frames} distinct sentence frames, repetitions ${c.canaries.repetitions.join(", ")}; secrets of length ${c.canaries.secretLength.join(", ")}; |R| = ${c.canaries.references}.`,
  );
  md.push(
    `- Model: ${JSON.stringify(t.model)} (${t.parameters} parameters); ${t.epochs} epochs, batch ${t.batchSize}, learning rate ${t.learningRate}, max ${t.maxTokens} tokens, clip ${t.clipNorm ?? "none"}; backend ${report.backend}.`,
  );
  md.push(
    `- Scoring: ${JSON.stringify(c.scoring)}${q ? `; resolved: learned by ${q.config.learnedBy}, ${q.config.learnedBy === "loss" ? `ε = ${q.config.epsilonSource === "median" ? "median of the loss matrix" : "absolute"} (seed ${q.seed}: ${num(q.config.epsilon, 4)})` : `τ = ${q.config.tau}`}, Te = ${q.config.earlyEpochs}, forget events per ${q.forgetEventsOver}, thresholds ${q.thresholds.source}` : ""}.`,
  );
  md.push(
    `- Seeds: ${c.seeds.join(", ")}. Each policy's model is retrained from the same initial weights (same seed, tokenizer, schedule) on the curated weights; prune arms also for the baseline's ${c.training.baselineSteps} optimizer steps${c.auditEqualSteps ? "" : " (perplexity only, no canary audit)"}.`,
  );
  md.push(
    `- Time: ${(report.timing.seconds / 60).toFixed(1)} min in all; ${report.timing.trainings} trainings (${report.timing.equalStepsTrainings} of them at equal steps) took ${(report.timing.trainingSeconds / 60).toFixed(1)} min (${report.timing.examplesPerSecond.toFixed(0)} examples/s), canary audits ${(report.timing.auditSeconds / 60).toFixed(1)} min.`,
  );
  md.push("");
  return { markdown: md.join("\n"), table: renderStudyTable(report), charts };
}
