export {
  bundledStudyCorpus,
  BUNDLED_CORPORA,
  isBundledCorpusName,
  type BundledCorpusName,
  parseCorpusJsonl,
  validateCorpus,
  DEFAULT_STUDY_CORPUS,
  StudyInputError,
  type StudyPassage,
  type StudyCanaryMark,
  type StudySplit,
} from "./corpus.ts";
export { buildStudyData, referenceAlphabet, type StudyData, type StudyExample, type AuditGroup } from "./examples.ts";
export {
  scoreBaseline,
  presentationPositions,
  forgetEventsOverPresentations,
  type ForgetEventUnit,
  type StudyScoringConfig,
  type StudyScores,
} from "./scoring.ts";
export {
  defaultStudyPolicies,
  curatedWeights,
  duplicateCopies,
  resolvePolicySpec,
  SUMMARY_POLICY,
  FORGET_FREQUENCY_POLICY,
  DEDUP_POLICY,
  type DedupSpec,
  type ResolvedPolicySpec,
  type StudyPolicy,
  type StudyPolicyKind,
  type StudyPolicySpec,
  type CuratedWeights,
} from "./policies.ts";
export {
  spreadOf,
  jaccard,
  pairwiseJaccard,
  pairedBootstrap,
  quantileSorted,
  rocAuc,
  topRecall,
  topShare,
  type Spread,
  type PairwiseJaccard,
  type Interval,
  type BootstrapOptions,
  type PairedBootstrap,
  type IntSource,
} from "./stats.ts";
export { signalScores, topSet, SignalsAccumulator, type SignalScore, type SignalRow, type SignalSeedResult, type SignalsTable } from "./signals.ts";
export { summarize, compareExposures, PAPER_CLAIM, BEAT_RULE } from "./verdict.ts";
export {
  runInterventionStudy,
  DEFAULT_STUDY_TRAINING,
  DEFAULT_CANARIES,
  DEFAULT_SEEDS,
  DEFAULT_REFERENCES,
  DEFAULT_BOOTSTRAP,
  QUICK_STUDY,
  type InterventionStudyOptions,
  type StudyProgress,
  type StudyTrainingConfig,
} from "./study.ts";
export { resolveStudyOptions } from "./options.ts";
export { studyConfigSchema, studyScoringSchema, assertCorpusChoice, ConfigError, parseConfig, type StudyConfig, type ParsedStudyConfig } from "./config.ts";
export { renderStudyCharts, type StudyChart } from "./charts.ts";
export { renderStudyReport, renderStudyTable, type RenderOptions, type RenderedStudyReport } from "./render.ts";
export * from "./report-types.ts";
